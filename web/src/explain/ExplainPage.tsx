import { type FormEvent, useState } from "react";
import { useTranslation } from "react-i18next";
import { useSearchParams } from "react-router";
import { fieldErrorsOf } from "../api/client";
import type { Device, User } from "../api/types";
import { useSpace } from "../app/space";
import { AppSelect } from "../apps/AppSelect";
import { useApps } from "../apps/api";
import { useDevice } from "../devices/api";
import { Button } from "../ui/Button";
import { Card } from "../ui/Card";
import { Field } from "../ui/Field";
import { PageHeader } from "../ui/PageHeader";
import { type Picked, PickList } from "../ui/PickList";
import { FormError, Loading } from "../ui/States";
import { useUser } from "../users/api";
import {
  EXPLAIN_WHYS,
  type ExplainInput,
  type ExplainWhy,
  explainSearch,
  isExplainWhy,
  useExplain,
} from "./api";
import { DecisionView } from "./DecisionView";

/**
 * What the address asks to explain: `app`, `user` or `device` (an id), and `why` when a
 * situation is chosen (none: the subject's current situation, as the API decides it).
 */
function inputOf(params: URLSearchParams): ExplainInput | undefined {
  const app = params.get("app");
  const user = params.get("user");
  const device = params.get("device");
  const why = params.get("why");
  const subject = user
    ? { kind: "user" as const, id: user }
    : device
      ? { kind: "device" as const, id: device }
      : undefined;
  if (!app || !subject) return undefined;
  return { app, subject, ...(isExplainWhy(why) ? { why } : {}) };
}

/**
 * "Why does this user or device get, or not get, this app?": the engine's decision now, with
 * its rules. The address holds the question (a deep link from the waiting queue, a device or
 * a user page explains at once; back and forward go through the questions asked).
 */
export function ExplainPage() {
  const { t } = useTranslation();
  const { spaceId } = useSpace();
  const [params, setParams] = useSearchParams();
  const input = inputOf(params);
  const result = useExplain(spaceId, input);
  return (
    <>
      <PageHeader title={t("explain.title")} description={t("explain.description")} />
      {/* The form starts again from each new address (a link followed, back, forward). */}
      <ExplainForm
        key={params.toString()}
        params={params}
        error={result.error}
        onSubmit={(asked) => setParams(new URLSearchParams(explainSearch(asked)))}
      />
      {input && result.isPending ? <Loading /> : null}
      <FormError error={result.error} />
      {result.data ? <DecisionView explanation={result.data} /> : null}
    </>
  );
}

function ExplainForm({
  params,
  error,
  onSubmit,
}: {
  params: URLSearchParams;
  error: unknown;
  onSubmit: (input: ExplainInput) => void;
}) {
  const { t } = useTranslation();
  const { spaceId } = useSpace();
  const apps = useApps(spaceId, { page: 1, pageSize: 500, order: "asc", sort: "name" });
  const linked = inputOf(params);
  const [app, setApp] = useState(params.get("app") ?? "");
  const [kind, setKind] = useState<"user" | "device">(
    linked?.subject.kind ?? (params.get("device") ? "device" : "user"),
  );
  const [subject, setSubject] = useState<Picked[]>(
    linked ? [{ id: linked.subject.id, name: linked.subject.id }] : [],
  );
  const [why, setWhy] = useState<ExplainWhy | "">(linked?.why ?? "");
  // A subject given by its id in the address is shown as people know it: a user's name, a device's serial.
  const linkedId = linked?.subject.id ?? "";
  const user = useUser(spaceId, linkedId, linked?.subject.kind === "user");
  const device = useDevice(spaceId, linkedId, linked?.subject.kind === "device");
  const linkedName = linked?.subject.kind === "user" ? user.data?.name : device.data?.serialNumber;
  const shown = subject.map((p) =>
    p.id === linkedId && p.name === linkedId && linkedName ? { ...p, name: linkedName } : p,
  );
  const errors = fieldErrorsOf(error);
  const chosen = subject[subject.length - 1];
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (app && chosen) onSubmit({ app, subject: { kind, id: chosen.id }, ...(why ? { why } : {}) });
  };
  return (
    <Card>
      <form className="explain-form" onSubmit={submit}>
        <Field label={t("explain.app")} error={errors.app}>
          {(p) => <AppSelect field={p} name="app" apps={apps.data?.items} value={app} onChange={setApp} />}
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
            value={shown}
            onChange={(v) => setSubject(v.slice(-1))}
            label={t("explain.user")}
            error={errors.user}
          />
        ) : (
          <PickList<Device>
            name="device"
            path={`/spaces/${spaceId}/devices`}
            labelOf={(d) => d.serialNumber}
            value={shown}
            onChange={(v) => setSubject(v.slice(-1))}
            label={t("explain.device")}
            error={errors.device}
          />
        )}
        <Field label={t("explain.why")} error={errors.why}>
          {(p) => (
            <select
              {...p}
              name="why"
              className="select"
              value={why}
              onChange={(e) => setWhy(isExplainWhy(e.target.value) ? e.target.value : "")}
            >
              <option value="">{t("explain.whyCurrent")}</option>
              {EXPLAIN_WHYS.map((w) => (
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
  );
}
