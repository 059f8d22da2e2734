import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import type { Device } from "../api/types";
import { spacePath, useSpace } from "../app/space";
import { Badge } from "../ui/Badge";
import { Card } from "../ui/Card";
import { type Column, DataTable, SearchBox, useTableQuery } from "../ui/DataTable";
import { FilterSelect, useUrlFilters } from "../ui/FilterSelect";
import { useFormat } from "../ui/format";
import { PageHeader } from "../ui/PageHeader";
import { EmptyState, ErrorNotice, Loading } from "../ui/States";
import { useUser } from "../users/api";
import { useDevices } from "./api";

/** The filters' choices: every platform and status the API has (the typecheck keeps them in step). */
const PLATFORMS = Object.keys({
  iOS: 1,
  macOS: 1,
  tvOS: 1,
  visionOS: 1,
  watchOS: 1,
} satisfies Record<Device["platform"], 1>);
const STATUSES = Object.keys({
  active: 1,
  inactive: 1,
  unenrolled: 1,
  retired: 1,
  wiped: 1,
} satisfies Record<Device["status"], 1>);

/**
 * The space's devices: by name (with the model beneath) and serial number, searched by either,
 * filtered by user, platform and status (in the URL).
 */
export function DevicesPage() {
  const { t } = useTranslation();
  const f = useFormat();
  const { spaceId } = useSpace();
  const table = useTableQuery();
  const filters = useUrlFilters<"user" | "platform" | "status">(() => table.setPage(1));
  const user = filters.get("user");
  const platform = filters.get("platform");
  const status = filters.get("status");
  // An unset filter is left out of the request (api/client.ts).
  const devices = useDevices(spaceId, { ...table.query, user, platform, status });
  const owner = useUser(spaceId, user ?? "", user !== undefined);
  const columns: Column<Device>[] = [
    {
      key: "name",
      header: t("devices.name"),
      sort: "name",
      render: (d) => (
        <>
          {d.name ? (
            <Link className="strong-link" to={spacePath(spaceId, `/devices/${d.id}`)}>
              {d.name}
            </Link>
          ) : (
            "—"
          )}
          {d.model ? <div className="muted small">{d.model}</div> : null}
        </>
      ),
    },
    {
      key: "serial",
      header: t("devices.serial"),
      sort: "serialNumber",
      render: (d) => (
        <Link className="strong-link mono" to={spacePath(spaceId, `/devices/${d.id}`)}>
          {d.serialNumber}
        </Link>
      ),
    },
    {
      key: "platform",
      header: t("devices.platformAndOs"),
      sort: "platform",
      render: (d) => (d.osVersion ? `${d.platform} ${d.osVersion}` : d.platform),
    },
    {
      key: "kind",
      header: t("devices.kind"),
      render: (d) => (
        <span className="chips-inline">
          {d.sharedIpad ? <Badge tone="accent">{t("devices.sharedIpad")}</Badge> : null}
          {d.supervised ? (
            <Badge tone="info">{t("devices.supervised")}</Badge>
          ) : (
            <Badge>{t("devices.unsupervised")}</Badge>
          )}
        </span>
      ),
    },
    {
      key: "user",
      header: t("devices.user"),
      render: (d) =>
        d.userId ? (
          <Link to={spacePath(spaceId, `/users/${d.userId}`)}>{d.userName ?? t("devices.viewUser")}</Link>
        ) : (
          "—"
        ),
    },
    {
      key: "status",
      header: t("devices.status"),
      sort: "status",
      render: (d) => (
        <Badge tone={d.status === "active" ? "success" : "neutral"}>
          {t(`deviceStatus.${d.status}`, { defaultValue: d.status })}
        </Badge>
      ),
    },
    {
      key: "checkin",
      header: t("devices.lastCheckIn"),
      sort: "lastCheckInAt",
      render: (d) => (d.lastCheckInAt ? f.dateTime(d.lastCheckInAt) : t("devices.never")),
    },
  ];
  return (
    <>
      <PageHeader
        title={t("devices.title")}
        description={
          !user
            ? t("devices.description")
            : owner.data
              ? t("devices.ofNamedUser", { name: owner.data.name })
              : t("devices.ofUser")
        }
      />
      <Card>
        <div className="toolbar">
          <SearchBox
            value={table.query.q ?? ""}
            onChange={table.setSearch}
            label={t("devices.search")}
            placeholder={t("devices.search")}
          />
          <FilterSelect
            label={t("devices.platform")}
            all={t("devices.allPlatforms")}
            value={platform}
            options={PLATFORMS.map((p) => [p, p] as const)}
            onChange={(v) => filters.set("platform", v)}
          />
          <FilterSelect
            label={t("devices.status")}
            all={t("devices.allStatuses")}
            value={status}
            options={STATUSES.map((s) => [s, t(`deviceStatus.${s}`)] as const)}
            onChange={(v) => filters.set("status", v)}
          />
        </div>
        {devices.isPending ? (
          <Loading />
        ) : devices.isError ? (
          <ErrorNotice error={devices.error} onRetry={devices.refetch} />
        ) : (
          <DataTable
            caption={t("devices.title")}
            columns={columns}
            rows={devices.data.items}
            rowKey={(d) => d.id}
            table={table}
            total={devices.data.total}
            empty={
              table.query.q || platform || status ? undefined : (
                <EmptyState title={t("devices.emptyTitle")}>{t("devices.emptyText")}</EmptyState>
              )
            }
          />
        )}
      </Card>
    </>
  );
}
