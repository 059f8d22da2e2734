import { type FormEvent, useState } from "react";
import { useTranslation } from "react-i18next";
import { useSearchParams } from "react-router";
import { fieldErrorsOf } from "../api/client";
import type { Device, User } from "../api/types";
import { useSpace } from "../app/space";
import { useApps } from "../apps/api";
import { Button } from "../ui/Button";
import { Card } from "../ui/Card";
import { Field } from "../ui/Field";
import { PageHeader } from "../ui/PageHeader";
import { type Picked, PickList } from "../ui/PickList";
import { FormError, Loading } from "../ui/States";
import { type ExplainInput, type ExplainWhy, useExplain } from "./api";
import { DecisionView } from "./DecisionView";

/** "Why does this user or device get, or not get, this app?": the engine's decision now, with its rules. */
export function ExplainPage() {
  const { t } = useTranslation();
  const { spaceId } = useSpace();
  const [params] = useSearchParams();
  const apps = useApps(spaceId, { page: 1, pageSize: 500, order: "asc", sort: "name" });
  const [app, setApp] = useState(params.get("app") ?? "");
  const [kind, setKind] = useState<"user" | "device">(params.get("device") ? "device" : "user");
  const initial = params.get("user") ?? params.get("device");
  const [subject, setSubject] = useState<Picked[]>(initial ? [{ id: initial, name: initial }] : []);
  const [why, setWhy] = useState<ExplainWhy>("requested");
  const start =
    initial && params.get("app")
      ? { app: params.get("app") ?? "", subject: { kind, id: initial }, why }
      : undefined;
  const [input, setInput] = useState<ExplainInput | undefined>(start);
  const result = useExplain(spaceId, input);
  const errors = fieldErrorsOf(result.error);
  const chosen = subject[subject.length - 1];
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (app && chosen) setInput({ app, subject: { kind, id: chosen.id }, why });
  };
  return (
    <>
      <PageHeader title={t("explain.title")} description={t("explain.description")} />
      <Card>
        <form className="explain-form" onSubmit={submit}>
          <Field label={t("explain.app")} error={errors.app}>
            {(p) => (
              <select
                {...p}
                name="app"
                className="select"
                value={app}
                onChange={(e) => setApp(e.target.value)}
              >
                <option value="">{t("explain.chooseApp")}</option>
                {(apps.data?.items ?? []).map((a) => (
                  <option key={a.adamId} value={a.adamId}>
                    {a.name ?? a.adamId}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <div className="segmented" role="radiogroup" aria-label={t("explain.subjectKind")}>
            {(["user", "device"] as const).map((k) => (
              <label key={k} className={kind === k ? "active" : ""}>
                <input
                  type="radio"
                  name="kind"
                  value={k}
                  checked={kind === k}
                  onChange={() => {
                    setKind(k);
                    setSubject([]);
                  }}
                />
                {t(`explain.${k}`)}
              </label>
            ))}
          </div>
          {kind === "user" ? (
            <PickList<User>
              name="user"
              path={`/spaces/${spaceId}/users`}
              labelOf={(u) => u.name}
              value={subject}
              onChange={(v) => setSubject(v.slice(-1))}
              label={t("explain.user")}
              error={errors.user}
            />
          ) : (
            <PickList<Device>
              name="device"
              path={`/spaces/${spaceId}/devices`}
              labelOf={(d) => d.serialNumber}
              value={subject}
              onChange={(v) => setSubject(v.slice(-1))}
              label={t("explain.device")}
              error={errors.device}
            />
          )}
          <Field label={t("explain.why")}>
            {(p) => (
              <select
                {...p}
                className="select"
                value={why}
                onChange={(e) => setWhy(e.target.value as ExplainWhy)}
              >
                {(["requested", "mandatory", "check_in"] as const).map((w) => (
                  <option key={w} value={w}>
                    {t(`explain.reason.${w}`)}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Button variant="primary" type="submit" disabled={!app || !chosen}>
            {t("explain.submit")}
          </Button>
        </form>
      </Card>
      {input && result.isPending ? <Loading /> : null}
      <FormError error={result.error} />
      {result.data ? <DecisionView explanation={result.data} /> : null}
    </>
  );
}
