import { useTranslation } from "react-i18next";
import { useSpace } from "../app/space";
import { LicenseTable } from "../licenses/LicenseTable";
import { Card } from "../ui/Card";
import { SearchBox, useTableQuery } from "../ui/DataTable";
import { RuleRef } from "../ui/RuleRef";
import { EmptyState, ErrorNotice, Loading } from "../ui/States";
import { useLicenseUsage } from "./api";

/** VU5: the app's License usage, searchable by user name; revoke a user's license from here (RV4). */
export function LicenseUsage({ adamId }: { adamId: string }) {
  const { t } = useTranslation();
  const { spaceId } = useSpace();
  const table = useTableQuery({ sort: "subject" });
  const usage = useLicenseUsage(spaceId, adamId, table.query);
  return (
    <Card title={t("apps.licenseUsage")} actions={<RuleRef id="VU5" compact />}>
      <div className="toolbar">
        <SearchBox
          value={table.query.q ?? ""}
          onChange={table.setSearch}
          label={t("apps.searchUser")}
          placeholder={t("apps.searchUser")}
        />
      </div>
      {usage.isPending ? (
        <Loading />
      ) : usage.isError ? (
        <ErrorNotice error={usage.error} onRetry={usage.refetch} />
      ) : (
        <LicenseTable
          page={usage.data}
          table={table}
          from="usage"
          hide={["app"]}
          empty={<EmptyState title={t("licenses.emptyTitle")}>{t("licenses.emptyUsageText")}</EmptyState>}
        />
      )}
    </Card>
  );
}
