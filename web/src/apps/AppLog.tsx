import { useTranslation } from "react-i18next";
import { useSpace } from "../app/space";
import { LicenseTable } from "../licenses/LicenseTable";
import { useTableQuery } from "../ui/DataTable";
import { EmptyState, ErrorNotice, Loading } from "../ui/States";
import { useAppLog } from "./api";

/** DI5: per license of (account, app): subject, type, assignment date, last action; revoke one (RV2). */
export function AppLog({ accountId, adamId }: { accountId: string; adamId: string }) {
  const { t } = useTranslation();
  const { spaceId } = useSpace();
  const table = useTableQuery({ sort: "assignedAt", order: "desc" });
  const log = useAppLog(spaceId, accountId, adamId, table.query);
  if (log.isPending) return <Loading />;
  if (log.isError) return <ErrorNotice error={log.error} onRetry={log.refetch} />;
  return (
    <>
      <LicenseTable
        page={log.data}
        table={table}
        from="log"
        hide={["app", "account"]}
        empty={<EmptyState title={t("licenses.emptyTitle")}>{t("licenses.emptyLogText")}</EmptyState>}
      />
      <p className="footnote">{t("help.appLog")}</p>
    </>
  );
}
