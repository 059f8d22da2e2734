import { useState } from "react";
import { useTranslation } from "react-i18next";
import { useSearchParams } from "react-router";
import type { Notification } from "../api/types";
import { useSpace } from "../app/space";
import { useSearchKeys } from "../i18n/message-search";
import { Badge } from "../ui/Badge";
import { Button } from "../ui/Button";
import { Card } from "../ui/Card";
import { type Column, DataTable, SearchBox, useTableQuery } from "../ui/DataTable";
import { useFormat } from "../ui/format";
import { PageHeader } from "../ui/PageHeader";
import { EmptyState, ErrorNotice, Loading } from "../ui/States";
import { SeverityBadge } from "../ui/status";
import { idsOf, type NotificationFilter, useAcknowledge, useNotification, useNotifications } from "./api";
import { DeliveriesCard, DeliveryFailures } from "./Deliveries";
import { useNotificationText } from "./message";
import { AlsoReached, NotificationDetail } from "./NotificationDetail";

/**
 * NT3: trigger, severity, type and component; a detail view; acknowledge one, a selection
 * or every row shown. An (account, app)'s NT1 levels show as one row, the highest level
 * raised with the lower ones folded into it (and acknowledged with it). Below, where they
 * went besides the console (webhook, e-mail); above, the deliveries that failed, to send again.
 */
export function NotificationsPage() {
  const { t } = useTranslation();
  const f = useFormat();
  const text = useNotificationText();
  const { spaceId, canWrite } = useSpace();
  const table = useTableQuery({ order: "desc" });
  const [filter, setFilter] = useState<NotificationFilter>({ acknowledged: false });
  // The server matches the English title and the names; the console adds the keys its own titles match.
  const keys = useSearchKeys("notificationMessages", table.query.q, "title");
  const list = useNotifications(spaceId, table.query, { ...filter, keys, group: true });
  const ack = useAcknowledge(spaceId);
  const [detail, setDetail] = useState<Notification>();
  // NT3: an e-mail's link (?notification=<id>) opens that notification, whatever the filters show.
  const [params, setParams] = useSearchParams();
  const linkedId = params.get("notification") ?? undefined;
  const linked = useNotification(spaceId, linkedId);
  const closeDetail = () => {
    setDetail(undefined);
    if (linkedId !== undefined)
      setParams(
        (p) => {
          p.delete("notification");
          return p;
        },
        { replace: true },
      );
  };
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const rows = list.data?.items ?? [];
  const open = rows.filter(isOpen);
  const chosen = open.filter((n) => selected.has(n.id));
  const allChosen = open.length > 0 && chosen.length === open.length;
  const toggle = (id: string, on: boolean) =>
    setSelected((s) => {
      const next = new Set(s);
      if (on) next.add(id);
      else next.delete(id);
      return next;
    });
  // The notification whose detail is open: one of the list's, or the one a link names.
  const shown = detail ?? linked.data;
  const acknowledge = (items: Notification[]) =>
    ack.mutate(items.flatMap(idsOf), { onSuccess: () => setSelected(new Set()) });

  const columns: Column<Notification>[] = [];
  if (canWrite) {
    columns.push({
      key: "select",
      header: t("notifications.select"),
      render: (n) =>
        open.includes(n) ? (
          <input
            type="checkbox"
            aria-label={t("notifications.selectOne", { title: text.title(n) })}
            checked={selected.has(n.id)}
            onChange={(e) => toggle(n.id, e.target.checked)}
          />
        ) : null,
    });
  }
  columns.push(
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
    { key: "component", header: t("notifications.component"), render: (n) => text.component(n) },
    {
      key: "title",
      header: t("notifications.titleColumn"),
      render: (n) => (
        <div>
          <button type="button" className="link-button" onClick={() => setDetail(n)}>
            {text.title(n)}
          </button>
          <AlsoReached notification={n} />
        </div>
      ),
    },
    {
      key: "status",
      header: t("notifications.status"),
      render: (n) =>
        !isOpen(n) ? (
          <Badge>{t("notifications.acknowledged")}</Badge>
        ) : n.clearedAt ? (
          <Badge tone="success">{t("notifications.cleared")}</Badge>
        ) : (
          <Badge tone="warning">{t("notifications.open")}</Badge>
        ),
    },
  );
  if (canWrite) {
    columns.push({
      key: "ack",
      header: t("common.actions"),
      render: (n) =>
        open.includes(n) ? (
          <Button size="sm" onClick={() => acknowledge([n])}>
            {t("notifications.acknowledge")}
          </Button>
        ) : null,
    });
  }
  return (
    <>
      <PageHeader title={t("notifications.title")} description={t("help.notifications")} />
      <DeliveryFailures spaceId={spaceId} canWrite={canWrite} />
      {ack.error ? <ErrorNotice error={ack.error} /> : null}
      {linked.error ? <ErrorNotice error={linked.error} title={t("notifications.linkGone")} /> : null}
      <Card>
        <div className="toolbar">
          <SearchBox
            value={table.query.q ?? ""}
            onChange={table.setSearch}
            label={t("notifications.search")}
            placeholder={t("notifications.search")}
          />
          <label className="inline-field">
            <span>{t("notifications.show")}</span>
            <select
              className="select"
              value={filter.acknowledged === false ? "new" : "all"}
              onChange={(e) => {
                setSelected(new Set());
                setFilter(e.target.value === "new" ? { acknowledged: false } : {});
              }}
            >
              <option value="new">{t("notifications.unacknowledged")}</option>
              <option value="all">{t("common.all", { context: "female" })}</option>
            </select>
          </label>
          {canWrite && open.length > 0 ? (
            <>
              <label className="inline-field">
                <input
                  type="checkbox"
                  checked={allChosen}
                  onChange={(e) => setSelected(new Set(e.target.checked ? open.map((n) => n.id) : []))}
                />
                <span>{t("notifications.selectAll")}</span>
              </label>
              <Button disabled={chosen.length === 0} busy={ack.isPending} onClick={() => acknowledge(chosen)}>
                {t("notifications.acknowledgeSelected", { count: chosen.length })}
              </Button>
            </>
          ) : null}
        </div>
        {list.isPending ? (
          <Loading />
        ) : list.isError ? (
          <ErrorNotice error={list.error} onRetry={list.refetch} />
        ) : (
          <DataTable
            caption={t("notifications.title")}
            columns={columns}
            rows={rows}
            rowKey={(n) => n.id}
            table={table}
            total={list.data.total}
            // A search that finds nothing is not "all clear": the table says no results.
            empty={
              table.query.q ? undefined : (
                <EmptyState title={t("notifications.noneTitle")}>{t("notifications.noneText")}</EmptyState>
              )
            }
          />
        )}
      </Card>
      <DeliveriesCard spaceId={spaceId} />
      <NotificationDetail
        notification={shown}
        onClose={closeDetail}
        onAcknowledge={
          canWrite && shown && isOpen(shown)
            ? () => ack.mutate(idsOf(shown), { onSuccess: closeDetail })
            : undefined
        }
      />
    </>
  );
}

/**
 * A row is open (to acknowledge) while any of its levels is: the head or one folded into it.
 * Its badge and its Acknowledge button both follow this.
 */
function isOpen(n: Notification): boolean {
  return !n.acknowledgedAt || (n.folded ?? []).some((x) => !x.acknowledgedAt);
}
