import { useState } from "react";
import { useTranslation } from "react-i18next";
import { Link, useNavigate, useParams } from "react-router";
import { DetailUnavailable } from "../app/DetailUnavailable";
import { spacePath, useSpace } from "../app/space";
import { Badge } from "../ui/Badge";
import { Button } from "../ui/Button";
import { Card } from "../ui/Card";
import { type Column, DataTable } from "../ui/DataTable";
import { PageHeader } from "../ui/PageHeader";
import { RuleRef } from "../ui/RuleRef";
import { EmptyState, Loading, Notice } from "../ui/States";
import { useGroupName } from "../users/groups";
import { type RuleUse, useGroup, useRenameGroup } from "./api";
import { DeleteGroupDialog } from "./DeleteGroupDialog";
import { GroupMembers } from "./GroupMembers";
import { GroupNameDialog } from "./GroupNameDialog";
import { RuleUseLink } from "./RuleUses";

/**
 * A group: its members (added and removed), the license rules that use it (FCFS, DI1),
 * rename and delete. All Users is built in (AC1, DI7): no member editing, rename nor delete.
 */
export function GroupDetailPage() {
  const { t } = useTranslation();
  const { spaceId, canWrite } = useSpace();
  const { groupId = "" } = useParams();
  const navigate = useNavigate();
  const groupName = useGroupName();
  const group = useGroup(spaceId, groupId);
  const rename = useRenameGroup(spaceId, groupId);
  const [dialog, setDialog] = useState<"rename" | "delete">();
  if (group.isPending) return <Loading />;
  if (group.isError) return <DetailUnavailable list="groups" error={group.error} onRetry={group.refetch} />;
  const g = group.data;
  const name = groupName(g);
  return (
    <>
      <PageHeader
        back={<Link to={spacePath(spaceId, "/groups")}>← {t("groups.title")}</Link>}
        title={
          <span className="chips-inline">
            {name}
            {g.builtIn ? <Badge tone="info">{t("groups.builtIn")}</Badge> : null}
          </span>
        }
        description={g.externalId ? t("groups.externalId", { id: g.externalId }) : undefined}
        actions={
          canWrite && !g.builtIn ? (
            <>
              <Button onClick={() => setDialog("rename")}>{t("groups.rename")}</Button>
              <Button variant="danger" onClick={() => setDialog("delete")}>
                {t("common.delete")}
              </Button>
            </>
          ) : null
        }
      />
      {g.builtIn ? (
        <Notice tone="info" title={t("groups.builtInTitle")}>
          {t("groups.builtInText", { name })} <RuleRef id="AC1" compact /> <RuleRef id="DI7" compact />
        </Notice>
      ) : null}
      <GroupMembers group={g} />
      <Card title={t("groups.usedByTitle")} actions={<RuleRef id="DI1" compact />}>
        {g.usedBy.total === 0 ? (
          <EmptyState title={t("groups.notUsedTitle")}>{t("groups.notUsedText")}</EmptyState>
        ) : (
          <>
            <p className="card-help">{t("groups.usedByHelp", { count: g.usedBy.total })}</p>
            <UsedByTable rules={g.usedBy.rules} />
            {g.usedBy.total > g.usedBy.rules.length ? (
              <p className="muted small">
                {t("groups.usedByMore", { count: g.usedBy.total - g.usedBy.rules.length })}
              </p>
            ) : null}
          </>
        )}
      </Card>
      {dialog === "rename" ? (
        <GroupNameDialog
          title={t("groups.renameTitle", { name: g.name })}
          submitLabel={t("common.save")}
          initial={g.name}
          busy={rename.isPending}
          error={rename.error}
          onSubmit={(newName) => rename.mutate(newName, { onSuccess: () => setDialog(undefined) })}
          onClose={() => {
            setDialog(undefined);
            rename.reset();
          }}
        />
      ) : null}
      {dialog === "delete" ? (
        <DeleteGroupDialog
          group={g}
          onClose={() => setDialog(undefined)}
          onDeleted={() => navigate(spacePath(spaceId, "/groups"))}
        />
      ) : null}
    </>
  );
}

function UsedByTable({ rules }: { rules: RuleUse[] }) {
  const { t } = useTranslation();
  const { spaceId } = useSpace();
  const columns: Column<RuleUse>[] = [
    { key: "app", header: t("groups.app"), render: (r) => <RuleUseLink rule={r} /> },
    {
      key: "account",
      header: t("groups.account"),
      render: (r) => <Link to={spacePath(spaceId, `/accounts/${r.accountId}`)}>{r.accountName}</Link>,
    },
  ];
  return (
    <DataTable
      caption={t("groups.usedByTitle")}
      columns={columns}
      rows={rules}
      rowKey={(r) => `${r.accountId}/${r.adamId}`}
    />
  );
}
