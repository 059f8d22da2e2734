import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import type { Notification } from "../api/types";
import { spacePath, useSpace } from "../app/space";
import { Button } from "../ui/Button";
import { Dialog } from "../ui/Dialog";
import { useFormat } from "../ui/format";
import { SeverityBadge } from "../ui/status";
import { useNotificationText } from "./message";

/** Details shown in their own rows above, or as the usage line: not repeated among the rest. */
const SHOWN = new Set(["used", "total", "percent", "threshold", "remedy", "account"]);

/**
 * NT3's detail view: the app and the account by name (linked), used / total, the threshold,
 * the lower levels folded into it, the remedy, and what else the notification measured, each
 * with its label in the console's language.
 */
export function NotificationDetail({
  notification: n,
  onClose,
  onAcknowledge,
}: {
  notification: Notification | undefined;
  onClose: () => void;
  /** Given when the administrator may acknowledge this one (open, and a manager's space). */
  onAcknowledge?: (() => void) | undefined;
}) {
  const { t } = useTranslation();
  const f = useFormat();
  const text = useNotificationText();
  const { spaceId } = useSpace();
  const details = n?.details ?? {};
  const used = typeof details.used === "number" ? details.used : undefined;
  const total = typeof details.total === "number" ? details.total : undefined;
  const remedy = n ? text.remedy(n) : "";
  const rest = Object.entries(details).filter(([k, v]) => !SHOWN.has(k) && typeof v !== "object");
  const value = (key: string, v: unknown) =>
    key.endsWith("At") && typeof v === "string"
      ? f.dateTime(v)
      : typeof v === "number"
        ? f.number(v)
        : String(v);
  return (
    <Dialog
      open={n !== undefined}
      title={n ? text.title(n) : ""}
      onClose={onClose}
      footer={
        <>
          {onAcknowledge ? (
            <Button variant="primary" onClick={onAcknowledge}>
              {t("notifications.acknowledge")}
            </Button>
          ) : null}
          <Button onClick={onClose}>{t("common.close")}</Button>
        </>
      }
    >
      {n ? (
        <dl className="details">
          <dt>{t("notifications.severity")}</dt>
          <dd>
            <SeverityBadge severity={n.severity} />
          </dd>
          <dt>{t("notifications.trigger")}</dt>
          <dd>{f.dateTime(n.raisedAt)}</dd>
          <dt>{t("notifications.type")}</dt>
          <dd>{t(`notificationKind.${n.kind}`, { defaultValue: n.kind })}</dd>
          <dt>{t("notifications.component")}</dt>
          <dd>{text.component(n)}</dd>
          {n.adamId ? (
            <>
              <dt>{t("notificationDetail.appName")}</dt>
              <dd>
                <Link to={spacePath(spaceId, `/apps/${n.adamId}`)}>{n.appName ?? n.adamId}</Link>
              </dd>
            </>
          ) : null}
          {n.accountId ? (
            <>
              <dt>{t("notificationDetail.accountName")}</dt>
              <dd>
                <Link to={spacePath(spaceId, `/accounts/${n.accountId}`)}>
                  {n.accountName ?? n.accountId}
                </Link>
              </dd>
            </>
          ) : null}
          {used !== undefined && total !== undefined ? (
            <>
              <dt>{t("notificationDetail.usage")}</dt>
              <dd>
                {t("notificationDetail.usedOfTotal", {
                  used: f.number(used),
                  total: f.number(total),
                  percent: f.percent(used, total),
                })}
              </dd>
            </>
          ) : null}
          {n.threshold !== undefined ? (
            <>
              <dt>{t("notifications.threshold")}</dt>
              <dd>
                {n.kind === "token_expiring"
                  ? t("notificationDetail.daysBefore", { count: n.threshold })
                  : `${f.number(n.threshold)} %`}
                <AlsoReached notification={n} />
              </dd>
            </>
          ) : null}
          {remedy ? (
            <>
              <dt>{t("notificationDetail.remedy")}</dt>
              <dd>{remedy}</dd>
            </>
          ) : null}
          {rest.map(([k, v]) => (
            <div key={k} className="details-row">
              <dt>{t(`notificationDetail.${k}`, { defaultValue: k })}</dt>
              <dd>{value(k, v)}</dd>
            </div>
          ))}
        </dl>
      ) : null}
    </Dialog>
  );
}

/** NT1: the lower levels folded into this one ("also reached 50, 70, 80 %"). */
export function AlsoReached({ notification }: { notification: Notification }) {
  const { t } = useTranslation();
  const f = useFormat();
  const levels = (notification.folded ?? [])
    .map((x) => x.threshold)
    .filter((x): x is number => x !== undefined)
    .sort((a, b) => a - b);
  if (levels.length === 0) return null;
  return (
    <div className="muted small">
      {t("notifications.alsoReached", { levels: levels.map((x) => f.number(x)).join(", ") })}
    </div>
  );
}
