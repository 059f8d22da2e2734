import { useQueries } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import { useAccounts } from "../accounts/api";
import { api } from "../api/client";
import type { Asset, Items } from "../api/types";
import { spacePath, useSpace } from "../app/space";
import { useNotifications } from "../notifications/api";
import { Card, Stat } from "../ui/Card";
import { useFormat } from "../ui/format";
import { PageHeader } from "../ui/PageHeader";
import { EmptyState, ErrorNotice, Loading } from "../ui/States";
import { HealthBadge, SeverityBadge, UsageBar } from "../ui/status";

const EXPIRY_WINDOW_DAYS = 30;

/** The space at a glance: open notifications (NT3), licenses used / total per account, tokens expiring. */
export function DashboardPage() {
  const { t } = useTranslation();
  const f = useFormat();
  const { spaceId, space } = useSpace();
  const accounts = useAccounts(spaceId);
  const open = useNotifications(
    spaceId,
    { page: 1, pageSize: 5, order: "desc" },
    { open: true, acknowledged: false },
  );
  const alerts = useNotifications(
    spaceId,
    { page: 1, pageSize: 1, order: "desc" },
    { open: true, acknowledged: false, severity: "alert" },
  );
  const assets = useQueries({
    queries: (accounts.data ?? []).map((a) => ({
      queryKey: [`/spaces/${spaceId}/accounts`, a.id, "assets"],
      queryFn: () => api.get<Items<Asset>>(`/spaces/${spaceId}/accounts/${a.id}/assets`).then((r) => r.items),
    })),
  });
  if (accounts.isPending) return <Loading />;
  if (accounts.isError) return <ErrorNotice error={accounts.error} />;
  const list = accounts.data;
  const soon = Date.now() + EXPIRY_WINDOW_DAYS * 86_400_000;
  const expiring = list.filter((a) => a.tokenExpiresAt && new Date(a.tokenExpiresAt).getTime() < soon);
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
          hint={t("dashboard.unhealthy", { count: list.filter((a) => a.health !== "ok").length })}
        />
        <Stat
          label={t("dashboard.tokensExpiring")}
          value={f.number(expiring.length)}
          hint={t("dashboard.within", { days: EXPIRY_WINDOW_DAYS })}
          tone={expiring.length > 0 ? "warning" : undefined}
        />
      </div>
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
                    <HealthBadge health={a.health} />
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
            <ErrorNotice error={open.error} />
          ) : open.data.items.length === 0 ? (
            <EmptyState title={t("notifications.noneTitle")}>{t("notifications.noneText")}</EmptyState>
          ) : (
            <ul className="notification-list">
              {open.data.items.map((n) => (
                <li key={n.id}>
                  <SeverityBadge severity={n.severity} />
                  <span className="notification-title">{n.title}</span>
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
