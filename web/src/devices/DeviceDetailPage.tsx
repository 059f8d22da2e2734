import { type ReactNode, useState } from "react";
import { useTranslation } from "react-i18next";
import { Link, useParams } from "react-router";
import { HistoryLink } from "../activity/history";
import { DetailUnavailable } from "../app/DetailUnavailable";
import { spacePath, useSpace } from "../app/space";
import { SubjectRules } from "../apps/SubjectRules";
import { SubjectWaitingApps } from "../apps/WaitingQueue";
import { SubjectLicenses } from "../licenses/SubjectLicenses";
import { Card } from "../ui/Card";
import { SearchBox } from "../ui/DataTable";
import { useFormat } from "../ui/format";
import { PageHeader } from "../ui/PageHeader";
import { EmptyState, ErrorNotice, Loading } from "../ui/States";
import { useUser } from "../users/api";
import { UsageTable } from "../users/UsageTable";
import { useDevice, useDeviceWaiting, useInstalledApps } from "./api";

/**
 * A device, by its name (else its serial number), with its serial number, model and OS
 * version beneath; the apps it waits for a license of (DB2, UB3; each wait may be cancelled), the
 * apps reserved for it (DB3), its device-based licenses, and VU3 Installed apps, searchable by name and bundle id; each app
 * links to why (Explain).
 */
export function DeviceDetailPage() {
  const { t } = useTranslation();
  const f = useFormat();
  const { spaceId } = useSpace();
  const { deviceId = "" } = useParams();
  const [q, setQ] = useState("");
  const device = useDevice(spaceId, deviceId);
  const apps = useInstalledApps(spaceId, deviceId, q);
  const user = useUser(spaceId, device.data?.userId ?? "", device.data?.userId !== undefined);
  const waiting = useDeviceWaiting(spaceId, deviceId);
  if (device.isPending) return <Loading />;
  if (device.isError)
    return <DetailUnavailable list="devices" error={device.error} onRetry={device.refetch} />;
  const d = device.data;
  const labelled = (label: string) => t("common.labelled", { label });
  // What the MDM said of it: "Serial number: C02D0000 · iPad (10th generation) · iOS 17.5.1 · Active · …".
  const facts: ReactNode[] = [
    ...(d.name
      ? [
          <span key="serial">
            {labelled(t("devices.serial"))} <span className="mono">{d.serialNumber}</span>
          </span>,
        ]
      : []),
    ...(d.model ? [d.model] : []),
    d.osVersion ? `${d.platform} ${d.osVersion}` : d.platform,
    t(`deviceStatus.${d.status}`, { defaultValue: d.status }),
    `${labelled(t("devices.lastCheckIn"))} ${d.lastCheckInAt ? f.dateTime(d.lastCheckInAt) : t("devices.never")}`,
  ];
  return (
    <>
      <PageHeader
        back={<Link to={spacePath(spaceId, "/devices")}>← {t("devices.title")}</Link>}
        title={d.name ?? <span className="mono">{d.serialNumber}</span>}
        description={facts.flatMap((fact, i) => (i === 0 ? [fact] : [" · ", fact]))}
        actions={
          <>
            <HistoryLink of={{ device: d.id }} />
            {d.userId ? (
              <Link
                className="btn btn-secondary"
                to={spacePath(spaceId, `/users/${d.userId}`)}
                title={t("devices.viewUser")}
              >
                {user.data?.name ?? t("devices.viewUser")}
              </Link>
            ) : null}
          </>
        }
      />
      {waiting.isError ? <ErrorNotice error={waiting.error} onRetry={waiting.refetch} /> : null}
      {waiting.data ? (
        <SubjectWaitingApps
          subject={{ kind: "device", id: deviceId }}
          rows={waiting.data}
          title={t("devices.waiting")}
          help={t("devices.waitingHelp")}
          ruleId="DB2"
        />
      ) : null}
      <SubjectRules subject={{ kind: "device", id: d.id }} />
      <SubjectLicenses
        subject={{ device: deviceId }}
        title={t("devices.licenses")}
        help={t("devices.licensesHelp")}
        emptyTitle={t("devices.noLicensesTitle")}
        emptyText={t("devices.noLicensesText")}
      />
      <Card title={t("devices.installedApps")}>
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
          <ErrorNotice error={apps.error} onRetry={apps.refetch} />
        ) : (
          <UsageTable
            caption={t("devices.installedApps")}
            rows={apps.data}
            deviceId={deviceId}
            columns={["name", "version", "platform", "source", "size", "type", "installed", "details"]}
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
