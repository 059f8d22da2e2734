import { useState } from "react";
import { useTranslation } from "react-i18next";
import { Link, useNavigate } from "react-router";
import { useSpace } from "../app/space";
import { Badge } from "../ui/Badge";
import { Button } from "../ui/Button";
import { Card } from "../ui/Card";
import { type Column, DataTable, SearchBox, useTableQuery } from "../ui/DataTable";
import { useFormat } from "../ui/format";
import { PageHeader } from "../ui/PageHeader";
import { ErrorNotice, Loading } from "../ui/States";
import { useGroupName } from "../users/groups";
import { type GroupView, useCreateGroup, useGroupViews } from "./api";
import { groupPath } from "./GroupLink";
import { GroupNameDialog } from "./GroupNameDialog";
import { RuleUses } from "./RuleUses";

/** The rules named in a row of the list; the group's page names up to 20. */
const RULES_IN_LIST = 3;

/**
 * User groups of the space (DI7): their members, the license rules that use each (FCFS),
 * and a new group. All Users is built in: every user of the space.
 */
export function GroupsPage() {
  const { t } = useTranslation();
  const f = useFormat();
  const { spaceId, canWrite } = useSpace();
  const navigate = useNavigate();
  const groupName = useGroupName();
  const table = useTableQuery({ sort: "name" });
  const groups = useGroupViews(spaceId, table.query);
  const create = useCreateGroup(spaceId);
  const [creating, setCreating] = useState(false);
  const columns: Column<GroupView>[] = [
    {
      key: "name",
      header: t("groups.name"),
      sort: "name",
      render: (g) => (
        <span className="chips-inline">
          <Link className="strong-link" to={groupPath(spaceId, g.id)}>
            {groupName(g)}
          </Link>
          {g.builtIn ? <Badge tone="info">{t("groups.builtIn")}</Badge> : null}
        </span>
      ),
    },
    { key: "members", header: t("groups.members"), align: "right", render: (g) => f.number(g.members ?? 0) },
    {
      key: "usedBy",
      header: t("groups.usedBy"),
      render: (g) => <RuleUses usedBy={g.usedBy} shown={RULES_IN_LIST} inline />,
    },
  ];
  return (
    <>
      <PageHeader
        title={t("groups.title")}
        description={t("groups.description")}
        actions={
          canWrite ? (
            <Button variant="primary" onClick={() => setCreating(true)}>
              {t("groups.create")}
            </Button>
          ) : null
        }
      />
      <Card>
        <div className="toolbar">
          <SearchBox
            value={table.query.q ?? ""}
            onChange={table.setSearch}
            label={t("groups.search")}
            placeholder={t("groups.search")}
          />
        </div>
        {groups.isPending ? (
          <Loading />
        ) : groups.isError ? (
          <ErrorNotice error={groups.error} onRetry={groups.refetch} />
        ) : (
          <DataTable
            caption={t("groups.title")}
            columns={columns}
            rows={groups.data.items}
            rowKey={(g) => g.id}
            table={table}
            total={groups.data.total}
          />
        )}
      </Card>
      {creating ? (
        <GroupNameDialog
          title={t("groups.createTitle")}
          submitLabel={t("groups.createSubmit")}
          // Created: the dialog stays until the group's page shows (its chunk may still load), but never submits again.
          busy={create.isPending || create.isSuccess}
          error={create.error}
          onSubmit={(name) =>
            create.mutate(name, { onSuccess: (group) => navigate(groupPath(spaceId, group.id)) })
          }
          onClose={() => {
            setCreating(false);
            create.reset();
          }}
        />
      ) : null}
    </>
  );
}
