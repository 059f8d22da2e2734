import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import { spacePath, useSpace } from "../app/space";
import { explainSearch } from "../explain/api";
import { Badge } from "../ui/Badge";
import { type Column, DataTable } from "../ui/DataTable";
import { useFormat } from "../ui/format";
import { LicenseStateBadge, LicenseTypeBadge } from "../ui/status";
import type { LicenseUsageRow } from "./types";

type Col =
  | "name"
  | "version"
  | "cost"
  | "assigned"
  | "type"
  | "platform"
  | "source"
  | "size"
  | "installed"
  | "device"
  | "details";

/**
 * VU1 (a user's apps) and VU3 (a device's installed apps): the columns each view names.
 * `userId` or `deviceId`: whose page it is, the subject its "Why?" links explain.
 */
export function UsageTable({
  rows,
  columns: keys,
  caption,
  userId,
  deviceId,
  empty,
}: {
  rows: LicenseUsageRow[];
  columns: Col[];
  caption: string;
  userId?: string;
  deviceId?: string;
  empty?: React.ReactNode;
}) {
  const { t } = useTranslation();
  const f = useFormat();
  const { spaceId } = useSpace();
  const all: Record<Col, Column<LicenseUsageRow>> = {
    name: {
      key: "name",
      header: t("usage.name"),
      render: (r) =>
        r.adamId ? (
          <Link to={spacePath(spaceId, `/apps/${r.adamId}`)}>{r.name ?? r.adamId}</Link>
        ) : (
          (r.name ?? r.bundleId ?? "—")
        ),
    },
    version: { key: "version", header: t("usage.version"), render: (r) => r.version ?? "—" },
    cost: {
      key: "cost",
      header: t("usage.cost"),
      align: "right",
      render: (r) => f.price(r.price, r.currency),
    },
    assigned: {
      key: "assigned",
      header: t("usage.assignedAt"),
      render: (r) => f.date(r.license?.assignedAt),
    },
    type: {
      key: "type",
      header: t("usage.licenseType"),
      render: (r) =>
        r.license ? (
          <span className="chips-inline">
            <LicenseTypeBadge type={r.license.type} />
            {r.license.type === "device" && r.license.serialNumber ? (
              <span className="mono small">{r.license.serialNumber}</span>
            ) : null}
            {r.license.state !== "assigned" ? <LicenseStateBadge state={r.license.state} /> : null}
          </span>
        ) : (
          <Badge>{t("usage.noLicense")}</Badge>
        ),
    },
    platform: { key: "platform", header: t("usage.platform"), render: (r) => r.platform ?? "—" },
    source: { key: "source", header: t("usage.source"), render: (r) => r.source ?? "—" },
    size: {
      key: "size",
      header: t("usage.size"),
      align: "right",
      render: (r) => f.megabytes(r.sizeBytes),
    },
    installed: { key: "installed", header: t("usage.installedAt"), render: (r) => f.date(r.installedAt) },
    device: {
      key: "device",
      header: t("usage.device"),
      render: (r) =>
        r.deviceId ? (
          <Link to={spacePath(spaceId, `/devices/${r.deviceId}`)}>{r.serialNumber ?? r.deviceId}</Link>
        ) : (
          "—"
        ),
    },
    details: {
      key: "details",
      header: t("common.actions"),
      render: (r) => {
        if (!r.adamId) return null;
        const subject = userId
          ? { kind: "user" as const, id: userId }
          : deviceId
            ? { kind: "device" as const, id: deviceId }
            : undefined;
        // A device license on a user's page is held by the device, not the user: the list
        // finds it by the device.
        const holder =
          r.license?.type === "device" && r.deviceId ? { kind: "device" as const, id: r.deviceId } : subject;
        return (
          <span className="row-actions">
            {r.license ? (
              <Link
                to={spacePath(
                  spaceId,
                  `/licenses?app=${r.adamId}${holder ? `&${holder.kind}=${holder.id}` : ""}`,
                )}
              >
                {t("usage.details")}
              </Link>
            ) : null}
            {subject ? (
              <Link
                to={spacePath(spaceId, `/explain${explainSearch({ app: r.adamId, subject })}`)}
                aria-label={t("usage.whyOf", { app: r.name ?? r.adamId })}
              >
                {t("usage.why")}
              </Link>
            ) : null}
          </span>
        );
      },
    },
  };
  return (
    <DataTable
      caption={caption}
      columns={keys.map((k) => all[k])}
      rows={rows}
      rowKey={(r) => `${r.adamId ?? r.bundleId}-${r.deviceId ?? ""}`}
      empty={empty}
    />
  );
}
