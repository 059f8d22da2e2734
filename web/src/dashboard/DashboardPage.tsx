import { useQueries } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import { useAccounts } from "../accounts/api";
import { EXPIRY_WINDOW_DAYS, TokenExpiryBadge, tokenExpiring } from "../accounts/token-expiry";
import { api } from "../api/client";
import type { Asset, Items } from "../api/types";
import { spacePath, useSpace } from "../app/space";
import { useApps } from "../apps/api";
import { useNotifications } from "../notifications/api";
import { useNotificationText } from "../notifications/message";
import { AlsoReached } from "../notifications/NotificationDetail";
import { Badge } from "../ui/Badge";
import { Card, Stat } from "../ui/Card";
import { useFormat } from "../ui/format";
import { PageHeader } from "../ui/PageHeader";
import { EmptyState, ErrorNotice, Loading } from "../ui/States";
import { HealthBadge, SeverityBadge, UsageBar } from "../ui/status";
import { isLow, type LowAt, lowAccounts } from "./low-apps";

/**
 * The space at a glance: open notifications (NT3, an (account, app)'s NT1 levels as one),
 * licenses used / total per account, tokens expiring; an account whose token expires
 * within 30 days needs attention, and says so beside its health.
 */
export function DashboardPage() {
  const { t } = useTranslation();
  const f = useFormat();
  const { spaceId, space } = useSpace();
  const accounts = useAccounts(spaceId);
  const text = useNotificationText();
  // NT1's levels of an (account, app) count and show as one, as on the Notifications page.
  const open = useNotifications(
    spaceId,
    { page: 1, pageSize: 5, order: "desc" },
    { open: true, acknowledged: false, group: true },
  );
  const alerts = useNotifications(
    spaceId,
    { page: 1, pageSize: 1, order: "desc" },
    { open: true, acknowledged: false, severity: "alert", group: true },
  );
  const assets = useQueries({
    queries: (accounts.data ?? []).map((a) => ({
      queryKey: [`/spaces/${spaceId}/accounts`, a.id, "assets"],
      queryFn: () => api.get<Items<Asset>>(`/spaces/${spaceId}/accounts/${a.id}/assets`).then((r) => r.items),
    })),
  });
  if (accounts.isPending) return <Loading />;
  if (accounts.isError) return <ErrorNotice error={accounts.error} onRetry={accounts.refetch} />;
  const list = accounts.data;
  const now = Date.now();
  const expiring = list.filter((a) => tokenExpiring(a.tokenExpiresAt, now));
  // A token about to expire needs the admin as much as a broken one (NT2).
  const attention = list.filter((a) => a.health !== "ok" || expiring.includes(a));
  const totals = list.map((_, i) =>
    (assets[i]?.data ?? []).reduce((s, x) => ({ used: s.used + x.used, total: s.total + x.total }), {
      used: 0,
      total: 0,
    }),
  );
  const used = totals.reduce((s, x) => s + x.used, 0);
  const total = totals.reduce((s, x) => s + x.total, 0);
  return (
    <>
      <PageHeader
        title={t("dashboard.title")}
        description={t("dashboard.description", { space: space.name })}
      />
      <div className="stats">
        <Stat
          label={t("dashboard.openNotifications")}
          value={f.number(open.data?.total)}
          hint={t("dashboard.alerts", { count: alerts.data?.total ?? 0 })}
          tone={(alerts.data?.total ?? 0) > 0 ? "danger" : undefined}
        />
        <Stat
          label={t("dashboard.licensesUsed")}
          value={`${f.number(used)} / ${f.number(total)}`}
          hint={f.percent(used, total)}
        />
        <Stat
          label={t("dashboard.accounts")}
          value={f.number(list.length)}
          hint={t("dashboard.unhealthy", { count: attention.length })}
          tone={attention.length > 0 ? "warning" : undefined}
        />
        <Stat
          label={t("dashboard.tokensExpiring")}
          value={f.number(expiring.length)}
          hint={t("dashboard.within", { days: EXPIRY_WINDOW_DAYS })}
          tone={expiring.length > 0 ? "warning" : undefined}
        />
      </div>
      <AppsRunningLow
        lowAt={lowAccounts(list.map((a, i) => ({ name: a.displayName, assets: assets[i]?.data ?? [] })))}
      />
      <div className="grid-2">
        <Card
          title={t("dashboard.perAccount")}
          actions={<Link to={spacePath(spaceId, "/accounts")}>{t("common.viewAll")}</Link>}
        >
          {list.length === 0 ? (
            <EmptyState
              title={t("accounts.emptyTitle")}
              action={
                <Link className="btn btn-primary" to={spacePath(spaceId, "/accounts")}>
                  {t("accounts.add")}
                </Link>
              }
            >
              {t("accounts.emptyText")}
            </EmptyState>
          ) : (
            <ul className="account-usage">
              {list.map((a, i) => (
                <li key={a.id}>
                  <div className="account-usage-head">
                    <Link to={spacePath(spaceId, `/accounts/${a.id}`)} className="strong-link">
                      {a.priority}. {a.displayName}
                    </Link>
                    <span className="badges">
                      <HealthBadge health={a.health} />
                      <TokenExpiryBadge expiresAt={a.tokenExpiresAt} />
                    </span>
                  </div>
                  <div className="account-usage-bar">
                    <UsageBar used={totals[i]?.used ?? 0} total={totals[i]?.total ?? 0} />
                    <span className="small">
                      {t("dashboard.usedOf", {
                        used: f.number(totals[i]?.used ?? 0),
                        total: f.number(totals[i]?.total ?? 0),
                      })}
                    </span>
                  </div>
                  {expiring.includes(a) ? (
                    <div className="small warning-text">
                      {t("dashboard.expiresOn", { date: f.date(a.tokenExpiresAt) })}
                    </div>
                  ) : null}
                </li>
              ))}
            </ul>
          )}
        </Card>
        <Card
          title={t("dashboard.latestNotifications")}
          actions={<Link to={spacePath(spaceId, "/notifications")}>{t("common.viewAll")}</Link>}
        >
          {open.isPending ? (
            <Loading />
          ) : open.isError ? (
            <ErrorNotice error={open.error} onRetry={open.refetch} />
          ) : open.data.items.length === 0 ? (
            <EmptyState title={t("notifications.noneTitle")}>{t("notifications.noneText")}</EmptyState>
          ) : (
            <ul className="notification-list">
              {open.data.items.map((n) => (
                <li key={n.id}>
                  <SeverityBadge severity={n.severity} />
                  <span className="notification-title">
                    {text.title(n)}
                    <AlsoReached notification={n} />
                  </span>
                  <span className="muted small">{f.dateTime(n.raisedAt)}</span>
                </li>
              ))}
            </ul>
          )}
        </Card>
      </div>
    </>
  );
}

/** NT1's early view: the apps with the fewest free licenses, and those someone waits for (DB2). */
const LOW_SHOWN = 6;

/**
 * `lowAt`: the accounts where each app is low, though not summed over all (NT1 warns per
 * app and account): shown under the app, so the admin knows which account to top up.
 */
function AppsRunningLow({ lowAt }: { lowAt: LowAt }) {
  const { t } = useTranslation();
  const f = useFormat();
  const { spaceId } = useSpace();
  const apps = useApps(spaceId, { page: 1, pageSize: 50, sort: "available", order: "asc" });
  const low = (apps.data?.items ?? [])
    .filter((a) => a.waiting > 0 || isLow(a) || lowAt.has(a.adamId))
    .slice(0, LOW_SHOWN);
  return (
    <Card
      title={t("dashboard.appsLow")}
      actions={<Link to={spacePath(spaceId, "/apps")}>{t("common.viewAll")}</Link>}
    >
      {apps.isPending ? (
        <Loading />
      ) : apps.isError ? (
        <ErrorNotice error={apps.error} onRetry={apps.refetch} />
      ) : low.length === 0 ? (
        <p className="muted">{t("dashboard.appsLowEmpty")}</p>
      ) : (
        <ul className="account-usage" aria-label={t("dashboard.appsLow")}>
          {low.map((a) => (
            <li key={a.adamId}>
              <div className="account-usage-head">
                <Link to={spacePath(spaceId, `/apps/${a.adamId}`)} className="strong-link">
                  {a.name ?? a.adamId}
                </Link>
                <span className="badges">
                  <Badge tone={a.available === 0 ? "danger" : "warning"}>
                    {t("dashboard.freeOf", {
                      count: a.available,
                      available: f.number(a.available),
                      total: f.number(a.total),
                    })}
                  </Badge>
                  {a.waiting > 0 ? (
                    <Badge tone="info">{t("dashboard.waiting", { count: a.waiting })}</Badge>
                  ) : null}
                </span>
              </div>
              <div className="account-usage-bar">
                <UsageBar used={a.total - a.available} total={a.total} />
              </div>
              <ShortAt app={a} at={lowAt.get(a.adamId) ?? []} />
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}

/**
 * The accounts an app is low at though not over all of them (NT1 warns per account), each
 * with its own count: the account to top up. Low over all, the app's own badge says it.
 */
function ShortAt({
  app,
  at,
}: {
  app: { total: number; available: number };
  at: NonNullable<ReturnType<LowAt["get"]>>;
}) {
  const { t } = useTranslation();
  const f = useFormat();
  if (at.length === 0 || isLow(app)) return null;
  return (
    <ul className="low-accounts small warning-text">
      {at.map((x) => (
        <li key={x.account}>
          {t("dashboard.lowAt", {
            account: x.account,
            count: x.available,
            available: f.number(x.available),
            total: f.number(x.total),
          })}
        </li>
      ))}
    </ul>
  );
}
