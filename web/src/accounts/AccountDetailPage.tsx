import { useState } from "react";
import { useTranslation } from "react-i18next";
import { Link, useParams } from "react-router";
import { HistoryLink } from "../activity/history";
import type { Asset } from "../api/types";
import { DetailUnavailable } from "../app/DetailUnavailable";
import { spacePath, useSpace } from "../app/space";
import { Badge } from "../ui/Badge";
import { Button } from "../ui/Button";
import { Card } from "../ui/Card";
import { type Column, DataTable } from "../ui/DataTable";
import { useFormat } from "../ui/format";
import { PageHeader } from "../ui/PageHeader";
import { EmptyState, ErrorNotice, Loading, Notice } from "../ui/States";
import { HealthBadge, UsageBar } from "../ui/status";
import { AccountFormDialog } from "./AccountFormDialog";
import { AppleWorkPanel } from "./AppleWorkPanel";
import { useAccount, useAccountAssets } from "./api";
import { OutsideAssignmentsPanel } from "./OutsideAssignmentsPanel";
import { TokenExpiryBadge, tokenExpiring } from "./token-expiry";

/**
 * CA2: the token's details (created, location, expiry, organisation, owner MDM), the
 * account's Apple work (pending, in flight, failed; NT2 when paused), the assignments made
 * outside Orchard (AC7) and its apps (DI1);
 * "Update token" (AC2), the fix a token problem asks for.
 */
export function AccountDetailPage() {
  const { t } = useTranslation();
  const f = useFormat();
  const { spaceId, canWrite } = useSpace();
  const { accountId = "" } = useParams();
  const account = useAccount(spaceId, accountId);
  const [updating, setUpdating] = useState(false);
  const assets = useAccountAssets(spaceId, accountId);
  if (account.isPending) return <Loading />;
  if (account.isError)
    return <DetailUnavailable list="accounts" error={account.error} onRetry={account.refetch} />;
  const a = account.data;
  const expiring = tokenExpiring(a.tokenExpiresAt);
  const columns: Column<Asset>[] = [
    {
      key: "name",
      header: t("apps.name"),
      render: (s) => (
        <Link className="strong-link" to={spacePath(spaceId, `/apps/${s.adamId}?account=${a.id}`)}>
          {s.name ?? s.adamId}
        </Link>
      ),
    },
    {
      key: "type",
      header: t("apps.productType"),
      render: (s) => <Badge>{t(`apps.kind.${s.productType}`)}</Badge>,
    },
    { key: "price", header: t("apps.price"), align: "right", render: (s) => f.price(s.price, s.currency) },
    { key: "total", header: t("apps.total"), align: "right", render: (s) => f.number(s.total) },
    { key: "available", header: t("apps.available"), align: "right", render: (s) => f.number(s.available) },
    {
      key: "used",
      header: t("apps.used"),
      align: "right",
      render: (s) => (
        <span className="usage-cell">
          {f.number(s.used)} <UsageBar used={s.used} total={s.total} />
        </span>
      ),
    },
    {
      key: "device",
      header: t("apps.deviceAssignable"),
      render: (s) => (s.deviceAssignable ? t("common.yes") : t("common.no")),
    },
  ];
  return (
    <>
      <PageHeader
        back={<Link to={spacePath(spaceId, "/accounts")}>← {t("accounts.title")}</Link>}
        title={a.displayName}
        description={
          <span className="badges">
            <HealthBadge health={a.health} />
            <TokenExpiryBadge expiresAt={a.tokenExpiresAt} />
          </span>
        }
        actions={
          <>
            <HistoryLink of={{ account: a.id }} />
            {/* AC2: the fix NT2 names ("Update token") is here too, not only on the accounts list. */}
            {canWrite ? (
              <Button
                variant={a.health === "ok" && !expiring ? undefined : "primary"}
                onClick={() => setUpdating(true)}
              >
                {t("accounts.updateToken")}
              </Button>
            ) : null}
          </>
        }
      />
      {a.health !== "ok" ? (
        <Notice tone="warning" title={t(`health.${a.health}.label`, { defaultValue: a.health })}>
          {t(`health.${a.health}.fix`, { defaultValue: "" })}
        </Notice>
      ) : expiring ? (
        <Notice tone="warning">{t("dashboard.expiresOn", { date: f.date(a.tokenExpiresAt) })}</Notice>
      ) : null}
      <div className="grid-2">
        <Card title={t("accounts.token.title")}>
          <dl className="details">
            <dt>{t("accounts.token.created")}</dt>
            <dd>{f.dateTime(a.createdAt)}</dd>
            <dt>{t("accounts.token.location")}</dt>
            <dd>{a.locationName ?? a.locationUid ?? "—"}</dd>
            <dt>{t("accounts.token.expires")}</dt>
            <dd>{f.date(a.tokenExpiresAt)}</dd>
            <dt>{t("accounts.token.org")}</dt>
            <dd>{a.orgName ?? "—"}</dd>
            <dt>{t("accounts.token.owner")}</dt>
            <dd>{a.ownerMdmInfo ? `${a.ownerMdmInfo.name} (${a.ownerMdmInfo.id})` : "—"}</dd>
          </dl>
          <p className="footnote">{t("help.token")}</p>
        </Card>
        <Card title={t("accounts.settings")}>
          <dl className="details">
            <dt>{t("accounts.priority")}</dt>
            <dd>{a.priority}</dd>
            <dt>{t("accounts.form.autoDistribute")}</dt>
            <dd>{a.autoDistribute ? t("common.on") : t("common.off")}</dd>
            <dt>{t("accounts.lastSync")}</dt>
            <dd>{f.dateTime(a.lastSyncedAt)}</dd>
          </dl>
        </Card>
      </div>
      <AppleWorkPanel spaceId={spaceId} accountId={a.id} />
      <OutsideAssignmentsPanel spaceId={spaceId} accountId={a.id} canWrite={canWrite} />
      <Card title={t("accounts.apps")}>
        {assets.isPending ? (
          <Loading />
        ) : assets.isError ? (
          <ErrorNotice error={assets.error} onRetry={assets.refetch} />
        ) : (
          <DataTable
            caption={t("accounts.apps")}
            columns={columns}
            rows={assets.data}
            rowKey={(s) => s.adamId}
            empty={<EmptyState title={t("accounts.noAppsTitle")}>{t("accounts.noAppsText")}</EmptyState>}
          />
        )}
      </Card>
      {updating ? <AccountFormDialog account={a} onClose={() => setUpdating(false)} /> : null}
    </>
  );
}
