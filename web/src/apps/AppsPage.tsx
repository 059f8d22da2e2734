import { useState } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import { useAccounts } from "../accounts/api";
import { downloadUrl } from "../api/client";
import type { AppRow } from "../api/types";
import { spacePath, useSpace } from "../app/space";
import { Badge } from "../ui/Badge";
import { Button } from "../ui/Button";
import { Card } from "../ui/Card";
import { type Column, DataTable, SearchBox, useTableQuery } from "../ui/DataTable";
import { useFormat } from "../ui/format";
import { PageHeader } from "../ui/PageHeader";
import { EmptyState, ErrorNotice, Loading } from "../ui/States";
import { UsageBar } from "../ui/status";
import { AppIcon } from "./AppIcon";
import { useApps } from "./api";
import { CatalogDialog } from "./CatalogDialog";
import { DelegatedFrom } from "./Delegations";

/** "adamId · App · Productivity · Version 2.1 · Custom app": what the store's lookup told (VU4, DB5). */
export function appDetails(a: AppRow, t: (key: string, options?: Record<string, unknown>) => string): string {
  return [
    a.adamId,
    t(`apps.kind.${a.productType}`),
    // The store's genre, in English: the console's language where it knows the App Store's name.
    a.genre ? t(`genre.${a.genre}`, { defaultValue: a.genre }) : undefined,
    a.latestVersion ? t("apps.version", { version: a.latestVersion }) : undefined,
    a.custom ? t("apps.custom") : undefined,
  ]
    .filter(Boolean)
    .join(" · ");
}

/**
 * VU4: per app, price per license, total, available and used; for the space or one account.
 * An app the default space delegated here is listed too, marked so (CA1), even when none of
 * the space's accounts bought it.
 */
export function AppsPage() {
  const { t } = useTranslation();
  const f = useFormat();
  const { spaceId, canWrite } = useSpace();
  const accounts = useAccounts(spaceId);
  const [catalogApp, setCatalogApp] = useState<AppRow>();
  const [accountId, setAccountId] = useState("");
  const table = useTableQuery({ sort: "name" });
  const apps = useApps(spaceId, table.query, accountId || undefined);
  const columns: Column<AppRow>[] = [
    {
      key: "name",
      header: t("apps.name"),
      sort: "name",
      render: (a) => (
        <div className="app-name">
          <AppIcon name={a.name ?? a.adamId} artworkUrl={a.artworkUrl} />
          <div>
            <Link
              className="strong-link"
              to={spacePath(spaceId, `/apps/${a.adamId}${accountId ? `?account=${accountId}` : ""}`)}
            >
              {a.name ?? a.adamId}
            </Link>
            <div className="muted small">{appDetails(a, t)}</div>
            {a.delegatedFrom ? <DelegatedFrom spaceId={a.delegatedFrom} /> : null}
          </div>
        </div>
      ),
    },
    {
      key: "price",
      header: t("apps.price"),
      sort: "price",
      align: "right",
      render: (a) => f.price(a.price, a.currency),
    },
    {
      key: "total",
      header: t("apps.total"),
      sort: "total",
      align: "right",
      render: (a) => f.number(a.total),
    },
    {
      key: "available",
      header: t("apps.available"),
      sort: "available",
      align: "right",
      // DI6: seats held for reservations are neither used nor available: said, so the sums add up.
      render: (a) =>
        a.reserved > 0 ? (
          <span className="stacked" title={t("apps.reservedTitle")}>
            <span>{f.number(a.available)}</span>
            <span className="muted small">{t("apps.reservedShort", { count: a.reserved })}</span>
          </span>
        ) : (
          f.number(a.available)
        ),
    },
    {
      key: "used",
      header: t("apps.used"),
      sort: "used",
      align: "right",
      render: (a) => (
        <span className="usage-cell">
          {f.number(a.used)} <UsageBar used={a.used} total={a.total} />
        </span>
      ),
    },
    {
      key: "waiting",
      header: t("waiting.stat"),
      sort: "waiting",
      align: "right",
      render: (a) =>
        a.waiting > 0 ? (
          <Badge tone="warning">{f.number(a.waiting)}</Badge>
        ) : (
          <span className="muted">0</span>
        ),
    },
    { key: "accounts", header: t("apps.accounts"), align: "right", render: (a) => a.accounts },
    {
      key: "catalog",
      header: t("apps.catalog"),
      render: (a) => (
        <span className="row-actions">
          {a.inCatalog ? (
            <Badge tone="success">{t("apps.inCatalog")}</Badge>
          ) : (
            <Badge>{t("apps.notInCatalog")}</Badge>
          )}
          {/* CA1, CA3: added here, its options changed; removal (PB1) is on the app's page. */}
          {canWrite ? (
            <Button
              size="sm"
              variant={a.inCatalog ? "ghost" : "secondary"}
              onClick={() => setCatalogApp(a)}
              aria-label={t(a.inCatalog ? "catalog.optionsOf" : "catalog.addOf", {
                name: a.name ?? a.adamId,
              })}
            >
              {/* Its words are part of its name, as speech input needs (WCAG 2.5.3). */}
              {t(a.inCatalog ? "catalog.options" : "catalog.addShort")}
            </Button>
          ) : null}
        </span>
      ),
    },
  ];
  return (
    <>
      <PageHeader
        title={t("apps.title")}
        description={t("help.apps")}
        actions={
          // Per app and account, for finance and true-up: the account chosen, else every account.
          <a
            className="btn btn-secondary"
            href={downloadUrl(`/spaces/${spaceId}/usage/export`, { account: accountId })}
            download
          >
            {t("apps.exportUsage")}
          </a>
        }
      />
      <Card>
        <div className="toolbar">
          <SearchBox
            value={table.query.q ?? ""}
            onChange={table.setSearch}
            label={t("apps.search")}
            placeholder={t("apps.search")}
          />
          <label className="inline-field">
            <span>{t("apps.account")}</span>
            <select className="select" value={accountId} onChange={(e) => setAccountId(e.target.value)}>
              <option value="">{t("apps.allAccounts")}</option>
              {(accounts.data ?? []).map((a) => (
                <option key={a.id} value={a.id}>
                  {a.priority}. {a.displayName}
                </option>
              ))}
            </select>
          </label>
        </div>
        {apps.isPending ? (
          <Loading />
        ) : apps.isError ? (
          <ErrorNotice error={apps.error} onRetry={apps.refetch} />
        ) : (
          <DataTable
            caption={t("apps.title")}
            columns={columns}
            rows={apps.data.items}
            rowKey={(a) => a.adamId}
            table={table}
            total={apps.data.total}
            empty={
              table.query.q ? undefined : (
                <EmptyState title={t("apps.emptyTitle")}>{t("apps.emptyText")}</EmptyState>
              )
            }
          />
        )}
      </Card>
      {catalogApp ? (
        <CatalogDialog
          adamId={catalogApp.adamId}
          name={catalogApp.name}
          onClose={() => setCatalogApp(undefined)}
        />
      ) : null}
    </>
  );
}
