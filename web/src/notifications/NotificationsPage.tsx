import { useState } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import type { Notification } from "../api/types";
import { spacePath, useSpace } from "../app/space";
import { Badge } from "../ui/Badge";
import { Button } from "../ui/Button";
import { Card } from "../ui/Card";
import { type Column, DataTable, useTableQuery } from "../ui/DataTable";
import { Dialog } from "../ui/Dialog";
import { useFormat } from "../ui/format";
import { PageHeader } from "../ui/PageHeader";
import { RuleRef } from "../ui/RuleRef";
import { EmptyState, ErrorNotice, Loading } from "../ui/States";
import { SeverityBadge } from "../ui/status";
import { type NotificationFilter, useAcknowledge, useNotifications } from "./api";

/** NT3: trigger, severity, type and component; a detail view; acknowledge. */
export function NotificationsPage() {
  const { t } = useTranslation();
  const f = useFormat();
  const { spaceId, canWrite } = useSpace();
  const table = useTableQuery({ order: "desc" });
  const [filter, setFilter] = useState<NotificationFilter>({ acknowledged: false });
  const list = useNotifications(spaceId, table.query, filter);
  const ack = useAcknowledge(spaceId);
  const [detail, setDetail] = useState<Notification>();
  const columns: Column<Notification>[] = [
    {
      key: "raised",
      header: t("notifications.trigger"),
      sort: "raisedAt",
      render: (n) => f.dateTime(n.raisedAt),
    },
    {
      key: "severity",
      header: t("notifications.severity"),
      sort: "severity",
      render: (n) => <SeverityBadge severity={n.severity} />,
    },
    {
      key: "kind",
      header: t("notifications.type"),
      render: (n) => t(`notificationKind.${n.kind}`, { defaultValue: n.kind }),
    },
    { key: "component", header: t("notifications.component"), render: (n) => n.component },
    {
      key: "title",
      header: t("notifications.titleColumn"),
      render: (n) => (
        <button type="button" className="link-button" onClick={() => setDetail(n)}>
          {n.title}
        </button>
      ),
    },
    {
      key: "status",
      header: t("notifications.status"),
      render: (n) =>
        n.acknowledgedAt ? (
          <Badge>{t("notifications.acknowledged")}</Badge>
        ) : n.clearedAt ? (
          <Badge tone="success">{t("notifications.cleared")}</Badge>
        ) : (
          <Badge tone="warning">{t("notifications.open")}</Badge>
        ),
    },
  ];
  if (canWrite) {
    columns.push({
      key: "ack",
      header: t("common.actions"),
      render: (n) =>
        n.acknowledgedAt ? null : (
          <Button size="sm" onClick={() => ack.mutate(n.id)}>
            {t("notifications.acknowledge")}
          </Button>
        ),
    });
  }
  const detailRows = detail ? Object.entries(detail.details).filter(([, v]) => typeof v !== "object") : [];
  return (
    <>
      <PageHeader title={t("notifications.title")} description={<RuleRef id="NT3" />} />
      {ack.error ? <ErrorNotice error={ack.error} /> : null}
      <Card>
        <div className="toolbar">
          <label className="inline-field">
            <span>{t("notifications.show")}</span>
            <select
              className="select"
              value={filter.acknowledged === false ? "new" : "all"}
              onChange={(e) => setFilter(e.target.value === "new" ? { acknowledged: false } : {})}
            >
              <option value="new">{t("notifications.unacknowledged")}</option>
              <option value="all">{t("common.all")}</option>
            </select>
          </label>
        </div>
        {list.isPending ? (
          <Loading />
        ) : list.isError ? (
          <ErrorNotice error={list.error} />
        ) : (
          <DataTable
            caption={t("notifications.title")}
            columns={columns}
            rows={list.data.items}
            rowKey={(n) => n.id}
            table={table}
            total={list.data.total}
            empty={
              <EmptyState title={t("notifications.noneTitle")}>{t("notifications.noneText")}</EmptyState>
            }
          />
        )}
      </Card>
      <Dialog
        open={detail !== undefined}
        title={detail?.title ?? ""}
        onClose={() => setDetail(undefined)}
        footer={<Button onClick={() => setDetail(undefined)}>{t("common.close")}</Button>}
      >
        {detail ? (
          <dl className="details">
            <dt>{t("notifications.severity")}</dt>
            <dd>
              <SeverityBadge severity={detail.severity} />
            </dd>
            <dt>{t("notifications.trigger")}</dt>
            <dd>{f.dateTime(detail.raisedAt)}</dd>
            {detail.adamId ? (
              <>
                <dt>{t("licenses.app")}</dt>
                <dd>
                  <Link to={spacePath(spaceId, `/apps/${detail.adamId}`)}>{detail.adamId}</Link>
                </dd>
              </>
            ) : null}
            {detail.accountId ? (
              <>
                <dt>{t("licenses.account")}</dt>
                <dd>
                  <Link to={spacePath(spaceId, `/accounts/${detail.accountId}`)}>{detail.accountId}</Link>
                </dd>
              </>
            ) : null}
            {detail.threshold !== undefined ? (
              <>
                <dt>{t("notifications.threshold")}</dt>
                <dd>{detail.threshold} %</dd>
              </>
            ) : null}
            {detailRows.map(([k, v]) => (
              <div key={k} className="details-row">
                <dt>{t(`notificationDetail.${k}`, { defaultValue: k })}</dt>
                <dd>{String(v)}</dd>
              </div>
            ))}
          </dl>
        ) : null}
      </Dialog>
    </>
  );
}
