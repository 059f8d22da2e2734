import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import type { User } from "../api/types";
import { spacePath, useSpace } from "../app/space";
import { Badge } from "../ui/Badge";
import { Card } from "../ui/Card";
import { type Column, DataTable, SearchBox, useTableQuery } from "../ui/DataTable";
import { PageHeader } from "../ui/PageHeader";
import { EmptyState, ErrorNotice, Loading } from "../ui/States";
import { useUsers } from "./api";

export function UsersPage() {
  const { t } = useTranslation();
  const { spaceId } = useSpace();
  const table = useTableQuery({ sort: "name" });
  const users = useUsers(spaceId, table.query);
  const columns: Column<User>[] = [
    {
      key: "name",
      header: t("users.name"),
      sort: "name",
      render: (u) => (
        <Link className="strong-link" to={spacePath(spaceId, `/users/${u.id}`)}>
          {u.name}
        </Link>
      ),
    },
    { key: "email", header: t("users.email"), render: (u) => u.email ?? "—" },
    { key: "appleId", header: t("users.managedAppleId"), render: (u) => u.managedAppleId ?? "—" },
    {
      key: "enrolled",
      header: t("users.enrollment"),
      render: (u) =>
        u.enrolled ? (
          <Badge tone="success">{t("users.enrolled")}</Badge>
        ) : (
          <Badge tone="warning">{t("users.notEnrolled")}</Badge>
        ),
    },
  ];
  return (
    <>
      <PageHeader title={t("users.title")} description={t("users.description")} />
      <Card>
        <div className="toolbar">
          <SearchBox
            value={table.query.q ?? ""}
            onChange={table.setSearch}
            label={t("users.search")}
            placeholder={t("users.search")}
          />
        </div>
        {users.isPending ? (
          <Loading />
        ) : users.isError ? (
          <ErrorNotice error={users.error} />
        ) : (
          <DataTable
            caption={t("users.title")}
            columns={columns}
            rows={users.data.items}
            rowKey={(u) => u.id}
            table={table}
            total={users.data.total}
            empty={
              table.query.q ? undefined : (
                <EmptyState title={t("users.emptyTitle")}>{t("users.emptyText")}</EmptyState>
              )
            }
          />
        )}
      </Card>
    </>
  );
}
