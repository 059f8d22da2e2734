import { useState } from "react";
import { useTranslation } from "react-i18next";
import { Link, useParams, useSearchParams } from "react-router";
import { useAccounts } from "../accounts/api";
import { HistoryLink } from "../activity/history";
import { DetailUnavailable } from "../app/DetailUnavailable";
import { spacePath, useSpace } from "../app/space";
import { Button } from "../ui/Button";
import { Card, Stat } from "../ui/Card";
import { ConfirmDialog } from "../ui/Dialog";
import { useFormat } from "../ui/format";
import { PageHeader } from "../ui/PageHeader";
import { RuleRef } from "../ui/RuleRef";
import { EmptyState, ErrorNotice, Loading, Notice } from "../ui/States";
import { AccountRulesPanel } from "./AccountRulesPanel";
import { AppIcon } from "./AppIcon";
import { appDetails } from "./AppsPage";
import { useAppAccounts, useAppRow, useRevokeAll } from "./api";
import { CatalogCard } from "./CatalogCard";
import { LicenseUsage } from "./LicenseUsage";
import { WaitingQueue } from "./WaitingQueue";

/** An app of the space: its accounts' rules and logs (VU2, DI1), its license usage (VU5, RV4), revoke all (MA4). */
export function AppDetailPage() {
  const { t } = useTranslation();
  const f = useFormat();
  const { spaceId, canWrite } = useSpace();
  const { adamId = "" } = useParams();
  const [params, setParams] = useSearchParams();
  const app = useAppRow(spaceId, adamId);
  const accounts = useAccounts(spaceId);
  const rows = useAppAccounts(
    spaceId,
    adamId,
    (accounts.data ?? []).map((a) => a.id),
  );
  const revokeAll = useRevokeAll(spaceId, adamId);
  const [confirmAll, setConfirmAll] = useState(false);
  const [revokedCount, setRevokedCount] = useState<number>();
  if (app.isPending || accounts.isPending) return <Loading />;
  if (app.isError) return <DetailUnavailable list="apps" error={app.error} onRetry={app.refetch} />;
  if (accounts.isError) return <ErrorNotice error={accounts.error} onRetry={accounts.refetch} />;
  const a = app.data;
  if (!a) return <DetailUnavailable list="apps" />;
  const owning = accounts.data.filter((_, i) => rows[i]?.data);
  const selected = owning.find((x) => x.id === params.get("account")) ?? owning[0];
  const name = a.name ?? a.adamId;
  return (
    <>
      <PageHeader
        back={<Link to={spacePath(spaceId, "/apps")}>← {t("apps.title")}</Link>}
        title={
          <span className="app-name">
            <AppIcon name={name} artworkUrl={a.artworkUrl} />
            {name}
          </span>
        }
        description={appDetails(a, t)}
        actions={
          <>
            <HistoryLink of={{ app: adamId }} />
            {/* Apple never takes back a book's licenses: no revoke to offer. */}
            {canWrite && a.productType !== "Book" ? (
              <Button variant="danger" onClick={() => setConfirmAll(true)} disabled={a.used === 0}>
                {t("apps.revokeAll")}
              </Button>
            ) : null}
          </>
        }
      />
      {revokedCount !== undefined ? (
        <Notice tone="success">{t("apps.revokedAll", { count: revokedCount })}</Notice>
      ) : null}
      {revokeAll.error ? <ErrorNotice error={revokeAll.error} /> : null}
      <div className="stats">
        <Stat label={t("apps.price")} value={f.price(a.price, a.currency)} />
        <Stat label={t("apps.total")} value={f.number(a.total)} />
        <Stat
          label={t("apps.available")}
          value={f.number(a.available)}
          hint={a.reserved > 0 ? t("apps.heldForReservations", { count: a.reserved }) : undefined}
          tone={a.available === 0 && a.total > 0 ? "danger" : undefined}
        />
        <Stat label={t("apps.used")} value={f.number(a.used)} hint={f.percent(a.used, a.total)} />
        <Stat
          label={t("waiting.stat")}
          value={f.number(a.waiting)}
          tone={a.waiting > 0 ? "warning" : undefined}
        />
      </div>
      <CatalogCard adamId={adamId} name={a.name} />
      <Card title={t("apps.licensesByAccount")}>
        {owning.length === 0 ? (
          <EmptyState title={t("apps.noAccountTitle")}>{t("apps.noAccountText")}</EmptyState>
        ) : (
          <>
            <fieldset className="account-picker" aria-label={t("apps.account")}>
              {owning.map((acc) => (
                <button
                  key={acc.id}
                  type="button"
                  aria-pressed={acc.id === selected?.id}
                  className={`pill ${acc.id === selected?.id ? "pill-active" : ""}`}
                  onClick={() => setParams({ account: acc.id })}
                >
                  {acc.priority}. {acc.displayName}
                </button>
              ))}
            </fieldset>
            {selected ? (
              <AccountRulesPanel
                key={selected.id}
                account={selected}
                adamId={adamId}
                otherAccounts={owning.filter((x) => x.id !== selected.id)}
              />
            ) : null}
          </>
        )}
        <p className="footnote">{t("help.appRules")}</p>
      </Card>
      {a.waiting > 0 ? <WaitingQueue adamId={adamId} /> : null}
      <LicenseUsage adamId={adamId} />
      <ConfirmDialog
        open={confirmAll}
        danger
        title={t("apps.revokeAllTitle", { name })}
        confirmLabel={t("apps.revokeAll")}
        busy={revokeAll.isPending}
        onClose={() => setConfirmAll(false)}
        onConfirm={() =>
          revokeAll.mutate(undefined, {
            onSuccess: (r) => {
              setRevokedCount(r.revoked);
              setConfirmAll(false);
            },
          })
        }
      >
        <p>
          {t("apps.revokeAllText", {
            count: a.used,
            accounts: t("apps.accountCount", { count: owning.length }),
          })}
        </p>
        <p>
          <RuleRef id="MA4" />
        </p>
        <p>
          <RuleRef id="RV3" />
        </p>
      </ConfirmDialog>
    </>
  );
}
