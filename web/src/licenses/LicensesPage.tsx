import { useTranslation } from "react-i18next";
import { useAccounts } from "../accounts/api";
import { downloadUrl } from "../api/client";
import { usePage } from "../api/query";
import type { AppRow, License } from "../api/types";
import { useSpace } from "../app/space";
import { useApps } from "../apps/api";
import { Button } from "../ui/Button";
import { Card } from "../ui/Card";
import { SearchBox, useTableQuery } from "../ui/DataTable";
import { FilterSelect, useUrlFilters } from "../ui/FilterSelect";
import { PageHeader } from "../ui/PageHeader";
import { EmptyState, ErrorNotice, Loading } from "../ui/States";
import { LicenseTable } from "./LicenseTable";
import { ReclaimInactive } from "./ReclaimDialog";

const STATES = ["pending_assign", "assigned", "pending_release", "in_grace", "released"] as const;
const FILTERS = ["app", "account", "type", "state", "user", "device"] as const;

/** Every license of the space, filtered by app, user, device, account, type and state (the filters live in the URL). */
export function LicensesPage() {
  const { t } = useTranslation();
  const { spaceId } = useSpace();
  const table = useTableQuery({ sort: "assignedAt", order: "desc" });
  const filters = useUrlFilters<(typeof FILTERS)[number]>(() => table.setPage(1));
  const accounts = useAccounts(spaceId);
  const apps = useApps(spaceId, { page: 1, pageSize: 500, order: "asc", sort: "name" });
  const filter = Object.fromEntries(FILTERS.map((k) => [k, filters.get(k)]));
  const licenses = usePage<License>(`/spaces/${spaceId}/licenses`, { ...table.query, ...filter });
  // The export is what the page lists: the same filters and the same search, every page of it.
  const exported = downloadUrl(`/spaces/${spaceId}/licenses/export`, { ...filter, q: table.query.q });
  const select = (key: (typeof FILTERS)[number], label: string, all: string, options: [string, string][]) => (
    <FilterSelect
      label={label}
      all={all}
      value={filters.get(key)}
      options={options}
      onChange={(v) => filters.set(key, v)}
    />
  );
  return (
    <>
      <PageHeader
        title={t("licenses.title")}
        description={t("licenses.description")}
        actions={
          <>
            <ReclaimInactive />
            <a className="btn btn-secondary" href={exported} download>
              {t("licenses.export")}
            </a>
          </>
        }
      />
      <Card>
        <div className="toolbar toolbar-wrap">
          <SearchBox
            value={table.query.q ?? ""}
            onChange={table.setSearch}
            label={t("licenses.search")}
            placeholder={t("licenses.search")}
          />
          {select(
            "app",
            t("licenses.app"),
            t("licenses.allApps"),
            (apps.data?.items ?? []).map((a: AppRow) => [a.adamId, a.name ?? a.adamId]),
          )}
          {select(
            "account",
            t("licenses.account"),
            t("licenses.allAccounts"),
            (accounts.data ?? []).map((a) => [a.id, a.displayName]),
          )}
          {select("type", t("licenses.type"), t("licenses.allTypes"), [
            ["user", t("licenseType.user")],
            ["device", t("licenseType.device")],
          ])}
          {select(
            "state",
            t("licenses.state"),
            t("licenses.allStates"),
            STATES.map((s) => [s, t(`licenseState.${s}`)]),
          )}
          {filters.get("user") || filters.get("device") ? (
            <Button size="sm" variant="ghost" onClick={filters.clear}>
              {t("licenses.clearFilters")}
            </Button>
          ) : null}
        </div>
        {licenses.isPending ? (
          <Loading />
        ) : licenses.isError ? (
          <ErrorNotice error={licenses.error} onRetry={licenses.refetch} />
        ) : (
          <LicenseTable
            page={licenses.data}
            table={table}
            from="log"
            empty={<EmptyState title={t("licenses.emptyTitle")}>{t("licenses.emptyText")}</EmptyState>}
          />
        )}
      </Card>
    </>
  );
}
