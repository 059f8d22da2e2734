import { useQuery } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import { api } from "../api/client";
import type { Items, SubjectRule } from "../api/types";
import { spacePath, useSpace } from "../app/space";
import { Card } from "../ui/Card";
import { type Column, DataTable } from "../ui/DataTable";
import { RuleRef } from "../ui/RuleRef";
import { ErrorNotice, Loading } from "../ui/States";

/**
 * The license rules naming a user or a device (DI3, DI4, DB3): the apps reserved for them or
 * prohibited to them, per account, on their own page rather than on each app's.
 */
export function SubjectRules({ subject }: { subject: { kind: "user" | "device"; id: string } }) {
  const { t } = useTranslation();
  const { spaceId } = useSpace();
  const list = subject.kind === "user" ? "users" : "devices";
  const rules = useQuery({
    queryKey: [`/spaces/${spaceId}/${list}`, subject.id, "rules"],
    queryFn: () =>
      api.get<Items<SubjectRule>>(`/spaces/${spaceId}/${list}/${subject.id}/rules`).then((r) => r.items),
  });
  const columns: Column<SubjectRule>[] = [
    {
      key: "app",
      header: t("usage.name"),
      render: (r) => <Link to={spacePath(spaceId, `/apps/${r.adamId}`)}>{r.appName ?? r.adamId}</Link>,
    },
    {
      key: "account",
      header: t("subjectRules.account"),
      render: (r) => <Link to={spacePath(spaceId, `/accounts/${r.accountId}`)}>{r.accountName}</Link>,
    },
    {
      key: "role",
      header: t("subjectRules.rule"),
      render: (r) =>
        r.role === "prohibited" ? (
          <span className="badge badge-danger">{t("subjectRules.prohibited")}</span>
        ) : (
          <span className="chips-inline">
            <span className="badge badge-info">{t("subjectRules.reserved")}</span>
            <span className="muted small">{t(r.inUse ? "subjectRules.inUse" : "subjectRules.seatHeld")}</span>
          </span>
        ),
    },
  ];
  const title = t(`subjectRules.title.${subject.kind}`);
  return (
    <Card title={title} actions={<RuleRef id={subject.kind === "user" ? "DI3" : "DB3"} compact />}>
      <p className="card-help">{t(`subjectRules.help.${subject.kind}`)}</p>
      {rules.isPending ? (
        <Loading />
      ) : rules.isError ? (
        <ErrorNotice error={rules.error} onRetry={rules.refetch} />
      ) : rules.data.length === 0 ? (
        <p className="muted small">{t(`subjectRules.none.${subject.kind}`)}</p>
      ) : (
        <DataTable
          caption={title}
          columns={columns}
          rows={rules.data}
          rowKey={(r) => `${r.accountId}/${r.adamId}/${r.role}`}
        />
      )}
    </Card>
  );
}
