import { type FormEvent, useState } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import { fieldErrorsOf } from "../api/client";
import type { User } from "../api/types";
import { spacePath, useSpace } from "../app/space";
import { Button } from "../ui/Button";
import { Card } from "../ui/Card";
import { type Column, DataTable, SearchBox, useTableQuery } from "../ui/DataTable";
import { ConfirmDialog, FormDialog } from "../ui/Dialog";
import { type Picked, PickList } from "../ui/PickList";
import { EmptyState, ErrorNotice, FormError, Loading } from "../ui/States";
import { useGroupName } from "../users/groups";
import { type Invited, InvitedNotice, InviteGroupDialog, RegistrationBadge } from "../users/invitations";
import { type GroupView, useChangeMembers, useGroupMembers } from "./api";

/**
 * A group's members, paged and searchable by name; users added (picked from the users of
 * the space) and removed. All Users lists every user of the space and cannot be changed.
 */
export function GroupMembers({ group }: { group: GroupView }) {
  const { t } = useTranslation();
  const { spaceId, canWrite } = useSpace();
  const groupName = useGroupName();
  const table = useTableQuery({ sort: "name" });
  const members = useGroupMembers(spaceId, group.id, table.query);
  const editable = canWrite && !group.builtIn;
  const [adding, setAdding] = useState(false);
  const [removing, setRemoving] = useState<User>();
  const [inviting, setInviting] = useState(false);
  const [invited, setInvited] = useState<Invited>();
  const columns: Column<User>[] = [
    {
      key: "name",
      header: t("users.name"),
      sort: "name",
      render: (u) => <Link to={spacePath(spaceId, `/users/${u.id}`)}>{u.name}</Link>,
    },
    { key: "email", header: t("users.email"), render: (u) => u.email ?? u.managedAppleId ?? "—" },
    {
      key: "registration",
      header: t("users.enrollment"),
      render: (u) => <RegistrationBadge registration={u.registration} />,
    },
    ...(editable
      ? [
          {
            key: "actions",
            header: t("common.actions"),
            className: "col-actions",
            render: (u: User) => (
              <Button
                size="sm"
                variant="ghost"
                aria-label={t("groups.removeOf", { name: u.name })}
                onClick={() => setRemoving(u)}
              >
                {t("groups.remove")}
              </Button>
            ),
          },
        ]
      : []),
  ];
  const total = members.data?.total;
  return (
    <Card
      title={
        total === undefined || table.query.q
          ? t("groups.membersTitle")
          : t("groups.membersCount", { count: total })
      }
      actions={
        canWrite ? (
          <span className="row-actions">
            <Button onClick={() => setInviting(true)}>{t("invitations.inviteMembers")}</Button>
            {editable ? (
              <Button variant="primary" onClick={() => setAdding(true)}>
                {t("groups.addMembers")}
              </Button>
            ) : null}
          </span>
        ) : null
      }
    >
      {invited ? <InvitedNotice result={invited} /> : null}
      <div className="toolbar">
        <SearchBox
          value={table.query.q ?? ""}
          onChange={table.setSearch}
          label={t("groups.searchMembers")}
          placeholder={t("groups.searchMembers")}
        />
      </div>
      {members.isPending ? (
        <Loading />
      ) : members.isError ? (
        <ErrorNotice error={members.error} onRetry={members.refetch} />
      ) : (
        <DataTable
          caption={t("groups.membersTitle")}
          columns={columns}
          rows={members.data.items}
          rowKey={(u) => u.id}
          table={table}
          total={members.data.total}
          empty={
            table.query.q ? undefined : (
              <EmptyState title={t("groups.noMembersTitle")}>{t("groups.noMembersText")}</EmptyState>
            )
          }
        />
      )}
      {inviting ? (
        <InviteGroupDialog groupId={group.id} onClose={() => setInviting(false)} onInvited={setInvited} />
      ) : null}
      {adding ? (
        <AddMembersDialog group={group} groupName={groupName(group)} onClose={() => setAdding(false)} />
      ) : null}
      {removing ? (
        <RemoveMemberDialog
          group={group}
          user={removing}
          groupName={groupName(group)}
          onClose={() => setRemoving(undefined)}
        />
      ) : null}
    </Card>
  );
}

function AddMembersDialog({
  group,
  groupName,
  onClose,
}: {
  group: GroupView;
  groupName: string;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const { spaceId } = useSpace();
  const add = useChangeMembers(spaceId, group.id, "add");
  const [users, setUsers] = useState<Picked[]>([]);
  const [submitted, setSubmitted] = useState(false);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setSubmitted(true);
    if (users.length > 0)
      add.mutate(
        users.map((u) => u.id),
        { onSuccess: onClose },
      );
  };
  return (
    <FormDialog
      title={t("groups.addMembersTitle", { name: groupName })}
      onClose={onClose}
      onSubmit={submit}
      busy={add.isPending}
      submitLabel={t("groups.add")}
      wide
    >
      <PickList<User>
        name="userIds"
        path={`/spaces/${spaceId}/users`}
        labelOf={(u) => u.name}
        value={users}
        onChange={setUsers}
        label={t("groups.usersToAdd")}
        error={submitted && users.length === 0 ? t("groups.pickUsers") : fieldErrorsOf(add.error).userIds}
      />
      <p className="muted small">{t("groups.addMembersHelp")}</p>
      <FormError error={add.error} />
    </FormDialog>
  );
}

function RemoveMemberDialog({
  group,
  user,
  groupName,
  onClose,
}: {
  group: GroupView;
  user: User;
  groupName: string;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const { spaceId } = useSpace();
  const remove = useChangeMembers(spaceId, group.id, "remove");
  return (
    <ConfirmDialog
      open
      danger
      title={t("groups.removeTitle", { user: user.name, group: groupName })}
      confirmLabel={t("groups.remove")}
      busy={remove.isPending}
      onConfirm={() => remove.mutate([user.id], { onSuccess: onClose })}
      onClose={onClose}
    >
      <p>{t("groups.removeText")}</p>
      {remove.error ? <ErrorNotice error={remove.error} /> : null}
    </ConfirmDialog>
  );
}
