import { useState } from "react";
import { useTranslation } from "react-i18next";
import { Link, useParams } from "react-router";
import { spacePath, useSpace } from "../app/space";
import { Card } from "../ui/Card";
import { SearchBox } from "../ui/DataTable";
import { useFormat } from "../ui/format";
import { PageHeader } from "../ui/PageHeader";
import { RuleRef } from "../ui/RuleRef";
import { EmptyState, ErrorNotice, Loading } from "../ui/States";
import { UsageTable } from "../users/UsageTable";
import { useDevice, useInstalledApps } from "./api";

/** VU3: Device > Installed apps, searchable by name and bundle id. */
export function DeviceDetailPage() {
  const { t } = useTranslation();
  const f = useFormat();
  const { spaceId } = useSpace();
  const { deviceId = "" } = useParams();
  const [q, setQ] = useState("");
  const device = useDevice(spaceId, deviceId);
  const apps = useInstalledApps(spaceId, deviceId, q);
  if (device.isPending) return <Loading />;
  if (device.isError) return <ErrorNotice error={device.error} />;
  const d = device.data;
  return (
    <>
      <PageHeader
        back={<Link to={spacePath(spaceId, "/devices")}>← {t("devices.title")}</Link>}
        title={<span className="mono">{d.serialNumber}</span>}
        description={`${d.platform} · ${t(`deviceStatus.${d.status}`, { defaultValue: d.status })} · ${t("devices.lastCheckIn")}: ${f.dateTime(d.lastCheckInAt)}`}
        actions={
          d.userId ? (
            <Link className="btn btn-secondary" to={spacePath(spaceId, `/users/${d.userId}`)}>
              {t("devices.viewUser")}
            </Link>
          ) : null
        }
      />
      <Card title={t("devices.installedApps")} actions={<RuleRef id="VU3" compact />}>
        <div className="toolbar">
          <SearchBox
            value={q}
            onChange={setQ}
            label={t("devices.searchApps")}
            placeholder={t("devices.searchApps")}
          />
        </div>
        {apps.isPending ? (
          <Loading />
        ) : apps.isError ? (
          <ErrorNotice error={apps.error} />
        ) : (
          <UsageTable
            caption={t("devices.installedApps")}
            rows={apps.data}
            columns={["name", "version", "platform", "source", "size", "type", "installed"]}
            empty={
              q ? undefined : (
                <EmptyState title={t("devices.noAppsTitle")}>{t("devices.noAppsText")}</EmptyState>
              )
            }
          />
        )}
      </Card>
    </>
  );
}
