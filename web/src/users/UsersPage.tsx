import { useState } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import type { RegistrationFilter, User } from "../api/types";
import { spacePath, useSpace } from "../app/space";
import { Button } from "../ui/Button";
import { Card } from "../ui/Card";
import { type Column, DataTable, SearchBox, useTableQuery } from "../ui/DataTable";
import { FilterSelect, useUrlFilters } from "../ui/FilterSelect";
import { PageHeader } from "../ui/PageHeader";
import { EmptyState, ErrorNotice, Loading } from "../ui/States";
import { useUsers } from "./api";
import {
  InvitationActions,
  type Invited,
  InvitedNotice,
  InviteGroupDialog,
  RegisterWaitingUsers,
  RegistrationBadge,
  useInviteUsers,
} from "./invitations";

/** The registration filter's choices: every one the API takes (UB2; the typecheck keeps them in step). */
const REGISTRATIONS = Object.keys({
  enrolled: 1,
  invited: 1,
  not_invited: 1,
  registering: 1,
  not_registered: 1,
  retired: 1,
} satisfies Record<RegistrationFilter, 1>);

/** Users Apple has not registered: the ones an invitation registers (UB2). */
const invitable = (u: User) => u.registration === "not_registered" || u.registration === "retired";

export function UsersPage() {
  const { t } = useTranslation();
  const { spaceId, canWrite } = useSpace();
  const table = useTableQuery({ sort: "name" });
  const filters = useUrlFilters<"registration">(() => table.setPage(1));
  const registration = filters.get("registration");
  const users = useUsers(spaceId, { ...table.query, registration });
  const invite = useInviteUsers();
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [invitingGroup, setInvitingGroup] = useState(false);
  const [result, setResult] = useState<Invited>();
  const toggle = (id: string, on: boolean) =>
    setSelected((s) => {
      const next = new Set(s);
      if (on) next.add(id);
      else next.delete(id);
      return next;
    });
  const columns: Column<User>[] = [
    ...(canWrite
      ? [
          {
            key: "select",
            header: t("invitations.select"),
            render: (u: User) =>
              invitable(u) ? (
                <input
                  type="checkbox"
                  checked={selected.has(u.id)}
                  onChange={(e) => toggle(u.id, e.target.checked)}
                  aria-label={t("invitations.selectOf", { name: u.name })}
                />
              ) : null,
          },
        ]
      : []),
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
      key: "registration",
      header: t("users.enrollment"),
      render: (u) => <RegistrationBadge registration={u.registration} />,
    },
    {
      key: "invitation",
      header: t("common.actions"),
      className: "col-actions",
      render: (u) => <InvitationActions user={u} onInvited={setResult} />,
    },
  ];
  const inviteSelected = () =>
    invite.mutate(
      { userIds: [...selected] },
      {
        onSuccess: (r) => {
          setResult(r);
          setSelected(new Set());
        },
      },
    );
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
          <FilterSelect
            label={t("users.registrationLabel")}
            all={t("users.allRegistrations")}
            value={registration}
            options={REGISTRATIONS.map((r) => [r, t(`users.registrationFilter.${r}`)] as const)}
            onChange={(v) => filters.set("registration", v)}
          />
          {canWrite ? (
            <span className="row-actions">
              <Button
                size="sm"
                variant="primary"
                disabled={selected.size === 0}
                busy={invite.isPending}
                onClick={inviteSelected}
              >
                {t("invitations.inviteSelected", { count: selected.size })}
              </Button>
              <Button size="sm" onClick={() => setInvitingGroup(true)}>
                {t("invitations.inviteGroup")}
              </Button>
            </span>
          ) : null}
        </div>
        {result ? <InvitedNotice result={result} /> : null}
        {invite.error ? <ErrorNotice error={invite.error} /> : null}
        {users.isPending ? (
          <Loading />
        ) : users.isError ? (
          <ErrorNotice error={users.error} onRetry={users.refetch} />
        ) : (
          <DataTable
            caption={t("users.title")}
            columns={columns}
            rows={users.data.items}
            rowKey={(u) => u.id}
            table={table}
            total={users.data.total}
            empty={
              table.query.q || registration ? undefined : (
                <EmptyState title={t("users.emptyTitle")}>{t("users.emptyText")}</EmptyState>
              )
            }
          />
        )}
      </Card>
      <RegisterWaitingUsers />
      {invitingGroup ? (
        <InviteGroupDialog onClose={() => setInvitingGroup(false)} onInvited={setResult} />
      ) : null}
    </>
  );
}
