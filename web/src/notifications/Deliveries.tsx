import { useState } from "react";
import { useTranslation } from "react-i18next";
import type { ChannelDeliveries, DeliveryState, NotificationDelivery, ResendResult } from "../api/types";
import { Badge } from "../ui/Badge";
import { Button } from "../ui/Button";
import { Card } from "../ui/Card";
import { type Column, DataTable, useTableQuery } from "../ui/DataTable";
import { useFormat } from "../ui/format";
import { LastError } from "../ui/LastError";
import { EmptyState, ErrorNotice, Loading, Notice } from "../ui/States";
import {
  type DeliveryFilter,
  useChannelName,
  useDeliveries,
  useDeliveryError,
  useDeliverySummary,
  useResend,
} from "./deliveries";
import { useNotificationText } from "./message";

/** What configures each channel on the server, for the administrator who fixes it. */
const SETTINGS: Record<string, string> = {
  webhook: "NOTIFY_WEBHOOK_URL, NOTIFY_WEBHOOK_SECRET",
  email: "SMTP_URL, NOTIFY_EMAIL_FROM, NOTIFY_EMAIL_TO",
};

/**
 * NT3: the notifications' deliveries to the webhook and by e-mail that failed for good, at a
 * glance: how many, each channel's last error, and (App and content management, PM1) a
 * button that sends them again once the channel's settings are fixed, with what came of it.
 */
export function DeliveryFailures({ spaceId, canWrite }: { spaceId: string; canWrite: boolean }) {
  const { t } = useTranslation();
  const f = useFormat();
  const channelName = useChannelName();
  const errorText = useDeliveryError();
  const summary = useDeliverySummary(spaceId);
  const resend = useResend(spaceId);
  const failing = (summary.data?.channels ?? []).filter((c) => c.failed > 0);
  const failed = summary.data?.failed ?? 0;
  const resendable = failing.some((c) => c.configured !== false);
  const unconfigured = failing.filter((c) => c.configured === false);
  const latest = failing
    .map((c) => c.lastFailure?.at)
    .filter((at): at is string => at !== undefined)
    .sort()
    .at(-1);
  const settings = failing.map((c) => SETTINGS[c.channel]).filter((s): s is string => s !== undefined);
  const reasons = failing
    .map((c) =>
      t("deliveries.channelReason", {
        channel: channelName(c.channel),
        reason: c.lastFailure?.error ? errorText(c.lastFailure.error) : t("deliveries.noReason"),
      }),
    )
    .join(t("deliveries.separator"));
  return (
    <>
      {resend.data ? <ResendOutcome result={resend.data} failing={failing} /> : null}
      {resend.error ? <ErrorNotice error={resend.error} /> : null}
      {failed > 0 ? (
        <div className="notice notice-danger delivery-failures" role="alert">
          <div className="delivery-failures-text">
            <strong>{t("deliveries.failedSummary", { count: failed, reasons })}</strong>
            <span>
              {settings.length > 0
                ? t("deliveries.fixHintSettings", { settings: settings.join(", ") })
                : t("deliveries.fixHint")}
              {latest ? ` ${t("deliveries.lastFailure", { time: f.dateTime(latest) })}` : null}
            </span>
            {unconfigured.length > 0 ? (
              <span>
                {t("deliveries.notConfigured", {
                  channels: unconfigured.map((c) => channelName(c.channel)).join(", "),
                })}
              </span>
            ) : null}
          </div>
          {canWrite && resendable ? (
            <Button variant="primary" busy={resend.isPending} onClick={() => resend.mutate({})}>
              {t("deliveries.sendAgain")}
            </Button>
          ) : null}
        </div>
      ) : null}
    </>
  );
}

/** What sending again came to: delivered, refused again (the settings still need fixing), or left to the worker. */
function ResendOutcome({ result, failing }: { result: ResendResult; failing: ChannelDeliveries[] }) {
  const { t } = useTranslation();
  const channelName = useChannelName();
  const errorText = useDeliveryError();
  if (result.retried === 0)
    return (
      <Notice tone="info">
        {failing.length > 0 ? t("deliveries.result.noneConfigured") : t("deliveries.result.none")}
      </Notice>
    );
  const parts = [
    ...(result.delivered > 0 ? [t("deliveries.result.delivered", { count: result.delivered })] : []),
    ...(result.failed > 0 ? [t("deliveries.result.failedAgain", { count: result.failed })] : []),
    ...(result.pending > 0 ? [t("deliveries.result.pending", { count: result.pending })] : []),
  ];
  const why = result.errors
    .map((e) =>
      t("deliveries.channelReason", { channel: channelName(e.channel), reason: errorText(e.error) }),
    )
    .join(t("deliveries.separator"));
  const tone = result.failed > 0 ? "danger" : result.pending > 0 ? "warning" : "success";
  return (
    <Notice
      tone={tone}
      title={t("deliveries.result.sent", { count: result.retried, parts: parts.join(", ") })}
    >
      {why ? t("deliveries.result.why", { why }) : null}
    </Notice>
  );
}

type StateChoice = DeliveryState | "all";

/**
 * NT3: every delivery of the space's notifications, newest first: the notification, the
 * channel, its state, attempts, last error and when. Failed ones first shown when there are.
 */
export function DeliveriesCard({ spaceId }: { spaceId: string }) {
  const { t } = useTranslation();
  const f = useFormat();
  const text = useNotificationText();
  const channelName = useChannelName();
  const errorText = useDeliveryError();
  const table = useTableQuery({ order: "desc", pageSize: 10 });
  const [chosen, setChosen] = useState<StateChoice>();
  const [channel, setChannel] = useState<string>("");
  const summary = useDeliverySummary(spaceId);
  const state: StateChoice = chosen ?? ((summary.data?.failed ?? 0) > 0 ? "failed" : "all");
  const filter: DeliveryFilter = {
    ...(state !== "all" ? { state } : {}),
    ...(channel ? { channel } : {}),
  };
  const list = useDeliveries(spaceId, table.query, filter);
  const channels = summary.data?.channels ?? [];
  // No channel configured and nothing ever sent: the dashboard is the only channel.
  if (summary.isSuccess && channels.length === 0) return null;

  const columns: Column<NotificationDelivery>[] = [
    {
      key: "notification",
      header: t("deliveries.col.notification"),
      render: (d) => (
        <div className="stacked">
          <span>{text.title(d.notification)}</span>
          <span className="muted small">
            {t("deliveries.raised", { time: f.dateTime(d.notification.raisedAt) })}
          </span>
        </div>
      ),
    },
    { key: "channel", header: t("deliveries.col.channel"), render: (d) => channelName(d.channel) },
    { key: "state", header: t("deliveries.col.state"), render: (d) => <DeliveryBadge delivery={d} /> },
    {
      key: "attempts",
      header: t("deliveries.col.attempts"),
      align: "right",
      render: (d) => f.number(d.attempts),
    },
    {
      key: "error",
      header: t("deliveries.col.lastError"),
      render: (d) => <LastError text={d.lastError} words={errorText} />,
    },
    {
      key: "when",
      header: t("deliveries.col.when"),
      sort: "updatedAt",
      render: (d) =>
        d.state === "pending" && d.nextAttemptAt ? (
          <span className="stacked">
            <span>{f.dateTime(d.updatedAt)}</span>
            <span className="muted small">{t("deliveries.next", { time: f.dateTime(d.nextAttemptAt) })}</span>
          </span>
        ) : d.attempts === 0 ? (
          <span className="muted">{t("deliveries.notTriedYet")}</span>
        ) : (
          f.dateTime(d.updatedAt)
        ),
    },
  ];

  return (
    <Card title={t("deliveries.title")} className="deliveries">
      <div className="toolbar toolbar-wrap">
        <label className="inline-field">
          <span>{t("deliveries.state")}</span>
          <select
            className="select"
            value={state}
            onChange={(e) => {
              setChosen(e.target.value as StateChoice);
              table.setPage(1);
            }}
          >
            <option value="all">{t("common.all")}</option>
            <option value="failed">{t("deliveries.states.failed")}</option>
            <option value="pending">{t("deliveries.states.pending")}</option>
            <option value="delivered">{t("deliveries.states.delivered")}</option>
          </select>
        </label>
        <label className="inline-field">
          <span>{t("deliveries.col.channel")}</span>
          <select
            className="select"
            value={channel}
            onChange={(e) => {
              setChannel(e.target.value);
              table.setPage(1);
            }}
          >
            <option value="">{t("common.all")}</option>
            {channels.map((c) => (
              <option key={c.channel} value={c.channel}>
                {channelName(c.channel)}
              </option>
            ))}
          </select>
        </label>
      </div>
      {channels.length > 0 ? (
        <ul className="delivery-counts">
          {channels.map((c) => (
            <li key={c.channel}>
              <strong>{channelName(c.channel)}</strong>{" "}
              {t("deliveries.counts", {
                delivered: f.number(c.delivered),
                pending: f.number(c.pending),
                failed: f.number(c.failed),
              })}
              {c.configured === false ? (
                <>
                  {" "}
                  <Badge tone="warning">{t("deliveries.notConfiguredBadge")}</Badge>
                </>
              ) : null}
            </li>
          ))}
        </ul>
      ) : null}
      {list.isPending ? (
        <Loading />
      ) : list.isError ? (
        <ErrorNotice error={list.error} onRetry={list.refetch} />
      ) : (
        <DataTable
          caption={t("deliveries.title")}
          columns={columns}
          rows={list.data.items}
          rowKey={(d) => `${d.notificationId}/${d.channel}`}
          table={table}
          total={list.data.total}
          empty={
            <EmptyState
              title={state === "failed" ? t("deliveries.noneFailedTitle") : t("deliveries.noneTitle")}
            >
              {state === "failed" ? t("deliveries.noneFailedText") : t("deliveries.noneText")}
            </EmptyState>
          }
        />
      )}
      <p className="footnote">{t("deliveries.footnote")}</p>
    </Card>
  );
}

function DeliveryBadge({ delivery: d }: { delivery: NotificationDelivery }) {
  const { t } = useTranslation();
  if (d.state === "delivered") return <Badge tone="success">{t("deliveries.states.delivered")}</Badge>;
  if (d.state === "failed") return <Badge tone="danger">{t("deliveries.states.failed")}</Badge>;
  return d.lastError && d.attempts > 0 ? (
    <Badge tone="warning">{t("deliveries.states.retrying")}</Badge>
  ) : (
    <Badge tone="info">{t("deliveries.states.pending")}</Badge>
  );
}
