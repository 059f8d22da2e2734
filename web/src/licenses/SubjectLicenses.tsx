import type { ReactNode } from "react";
import { usePage } from "../api/query";
import type { License } from "../api/types";
import { useSpace } from "../app/space";
import { Card } from "../ui/Card";
import { useTableQuery } from "../ui/DataTable";
import { EmptyState, ErrorNotice, Loading } from "../ui/States";
import { LicenseTable } from "./LicenseTable";

/**
 * One subject's licenses, current and past, newest first, each revocable where it may be
 * (RV4): a user's user-based ones on the user's page, a device's device-based ones on its page.
 */
export function SubjectLicenses({
  subject,
  title,
  help,
  emptyTitle,
  emptyText,
}: {
  subject: { user: string } | { device: string };
  title: string;
  help: ReactNode;
  emptyTitle: string;
  emptyText: string;
}) {
  const { spaceId } = useSpace();
  const table = useTableQuery({ sort: "assignedAt", order: "desc", pageSize: 10 });
  const licenses = usePage<License>(`/spaces/${spaceId}/licenses`, { ...table.query, ...subject });
  return (
    <Card title={title}>
      <p className="card-help">{help}</p>
      {licenses.isPending ? (
        <Loading />
      ) : licenses.isError ? (
        <ErrorNotice error={licenses.error} onRetry={licenses.refetch} />
      ) : (
        <LicenseTable
          page={licenses.data}
          table={table}
          from="usage"
          hide={["subject"]}
          empty={<EmptyState title={emptyTitle}>{emptyText}</EmptyState>}
        />
      )}
    </Card>
  );
}
