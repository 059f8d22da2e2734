import { type ReactNode, useState } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import { historyPath } from "../activity/history";
import type { License, Page } from "../api/types";
import { spacePath, useSpace } from "../app/space";
import { useRevoke } from "../apps/api";
import { deviceLabel } from "../devices/label";
import { Button } from "../ui/Button";
import { type Column, DataTable, type TableQuery } from "../ui/DataTable";
import { ConfirmDialog } from "../ui/Dialog";
import { useFormat } from "../ui/format";
import { RuleRef } from "../ui/RuleRef";
import { ErrorNotice, Notice } from "../ui/States";
import { LicenseStateBadge, LicenseTypeBadge } from "../ui/status";

type Hideable = "subject" | "app" | "account";

/** DI5 columns (subject, type, assignment date, last action) with state, rules and revoke (RV2 / RV4). */
export function LicenseTable({
  page,
  table,
  from,
  hide = [],
  empty,
}: {
  page: Page<License>;
  table: TableQuery;
  from: "log" | "usage";
  hide?: Hideable[];
  empty?: ReactNode;
}) {
  const { t } = useTranslation();
  const f = useFormat();
  const { spaceId, canWrite } = useSpace();
  const revoke = useRevoke(spaceId);
  const [target, setTarget] = useState<License>();
  const [done, setDone] = useState<string>();
  const subject = (l: License) => l.userName ?? (l.userId ? l.userId : deviceLabel(l)) ?? "—";
  const all: (Column<License> & { hideKey?: Hideable })[] = [
    {
      key: "subject",
      hideKey: "subject",
      header: t("licenses.subject"),
      sort: "subject",
      render: (l) =>
        l.userId ? (
          <Link to={spacePath(spaceId, `/users/${l.userId}`)}>{subject(l)}</Link>
        ) : l.deviceId ? (
          <span className="stacked">
            <Link to={spacePath(spaceId, `/devices/${l.deviceId}`)}>{subject(l)}</Link>
            {/* Whose device: the search finds a device license by its user's name. */}
            {l.deviceUserId ? (
              <Link className="muted small" to={spacePath(spaceId, `/users/${l.deviceUserId}`)}>
                {t("licenses.deviceOf", { name: l.deviceUserName ?? l.deviceUserId })}
              </Link>
            ) : null}
          </span>
        ) : (
          subject(l)
        ),
    },
    {
      key: "app",
      hideKey: "app",
      header: t("licenses.app"),
      sort: "appName",
      render: (l) => <Link to={spacePath(spaceId, `/apps/${l.adamId}`)}>{l.appName ?? l.adamId}</Link>,
    },
    { key: "account", hideKey: "account", header: t("licenses.account"), render: (l) => l.accountName },
    {
      key: "type",
      header: t("licenses.type"),
      sort: "type",
      render: (l) => <LicenseTypeBadge type={l.type} />,
    },
    {
      key: "state",
      header: t("licenses.state"),
      sort: "state",
      render: (l) => <LicenseStateBadge state={l.state} />,
    },
    {
      key: "assigned",
      header: t("licenses.assignedAt"),
      sort: "assignedAt",
      render: (l) => f.dateTime(l.assignedAt),
    },
    {
      key: "last",
      header: t("licenses.lastAction"),
      render: (l) =>
        l.lastAction ? (
          <span className="stacked">
            {/* The license's whole history is a click away (invariant 4, DI5). */}
            <Link to={historyPath(spaceId, { license: l.id })} title={t("activity.history")}>
              {t(`actions.${l.lastAction}`, { defaultValue: l.lastAction })}
            </Link>
            <span className="muted small">{f.dateTime(l.lastActionAt)}</span>
          </span>
        ) : (
          "—"
        ),
    },
    {
      key: "rules",
      header: t("licenses.rules"),
      className: "col-rules",
      render: (l) => (
        <span className="chips-inline">
          {l.ruleIds.map((r) => (
            <RuleRef key={r} id={r} compact />
          ))}
        </span>
      ),
    },
  ];
  const columns: Column<License>[] = all.filter((c) => !c.hideKey || !hide.includes(c.hideKey));
  if (canWrite) {
    columns.push({
      key: "actions",
      header: t("common.actions"),
      className: "col-actions",
      render: (l) =>
        // A book's license is never taken back by Apple (RV2): nothing to offer.
        l.revocable && (l.state === "assigned" || l.state === "pending_assign") ? (
          <Button
            size="sm"
            variant="danger"
            onClick={() => setTarget(l)}
            aria-label={t("licenses.revokeOf", { name: subject(l) })}
          >
            {t("licenses.revoke")}
          </Button>
        ) : null,
    });
  }
  return (
    <>
      {done ? <Notice tone="success">{t("licenses.revoked", { name: done })}</Notice> : null}
      {revoke.error ? <ErrorNotice error={revoke.error} /> : null}
      <DataTable
        caption={t("licenses.title")}
        columns={columns}
        rows={page.items}
        rowKey={(l) => l.id}
        table={table}
        total={page.total}
        empty={table.query.q ? undefined : empty}
      />
      <ConfirmDialog
        open={target !== undefined}
        danger
        title={t("licenses.revokeTitle", { name: target ? subject(target) : "" })}
        confirmLabel={t("licenses.revoke")}
        busy={revoke.isPending}
        onClose={() => setTarget(undefined)}
        onConfirm={() => {
          if (!target) return;
          revoke.mutate(
            { licenseId: target.id, from },
            {
              onSuccess: () => {
                setDone(subject(target));
                setTarget(undefined);
              },
            },
          );
        }}
      >
        <p>
          {t("licenses.revokeText", {
            app: target?.appName ?? target?.adamId ?? "",
            name: target ? subject(target) : "",
          })}
        </p>
        <RuleRef id={from === "usage" ? "RV4" : "RV2"} />
        <p>
          <RuleRef id="RV3" />
        </p>
      </ConfirmDialog>
    </>
  );
}
