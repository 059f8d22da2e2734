import { useState } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import type { Account, AccountDeleted, AddedAccount } from "../api/types";
import { spacePath, useSpace } from "../app/space";
import { Button } from "../ui/Button";
import { Card } from "../ui/Card";
import { type Column, DataTable } from "../ui/DataTable";
import { useFormat } from "../ui/format";
import { PageHeader } from "../ui/PageHeader";
import { RuleRef } from "../ui/RuleRef";
import { EmptyState, ErrorNotice, Loading, Notice } from "../ui/States";
import { HealthBadge } from "../ui/status";
import { AccountFormDialog } from "./AccountFormDialog";
import { useAccounts, useResync, useSetPriority } from "./api";
import { DeleteAccountDialog } from "./DeleteAccountDialog";
import { TokenExpiryBadge } from "./token-expiry";

type DialogState =
  | { kind: "add" }
  | { kind: "update"; account: Account }
  | { kind: "delete"; account: Account }
  | undefined;

/** Accounts in priority order (MA1, MA6), their health (NT2) and the AC1-AC5 actions. */
export function AccountsPage() {
  const { t } = useTranslation();
  const f = useFormat();
  const { spaceId, canWrite } = useSpace();
  const accounts = useAccounts(spaceId);
  const setPriority = useSetPriority(spaceId);
  const resync = useResync(spaceId);
  const [dialog, setDialog] = useState<DialogState>();
  const [resynced, setResynced] = useState<string>();
  const [importFailed, setImportFailed] = useState<AddedAccount>();
  const [deleted, setDeleted] = useState<AccountDeleted & { name: string }>();
  const list = accounts.data ?? [];

  const columns: Column<Account>[] = [
    {
      key: "priority",
      header: t("accounts.priority"),
      render: (a) => <span className="priority">{a.priority}</span>,
    },
    {
      key: "name",
      header: t("accounts.name"),
      render: (a) => (
        <div>
          <Link to={spacePath(spaceId, `/accounts/${a.id}`)} className="strong-link">
            {a.displayName}
          </Link>
          <div className="muted small">{[a.orgName, a.locationName].filter(Boolean).join(" · ")}</div>
        </div>
      ),
    },
    {
      key: "health",
      header: t("accounts.health"),
      render: (a) => (
        <div className="health-cell">
          <span className="badges">
            <HealthBadge health={a.health} />
            <TokenExpiryBadge expiresAt={a.tokenExpiresAt} />
          </span>
          {a.health !== "ok" ? (
            <div className="small">{t(`health.${a.health}.fix`, { defaultValue: "" })}</div>
          ) : null}
        </div>
      ),
    },
    { key: "expires", header: t("accounts.tokenExpires"), render: (a) => f.date(a.tokenExpiresAt) },
    { key: "synced", header: t("accounts.lastSync"), render: (a) => f.dateTime(a.lastSyncedAt) },
  ];
  if (canWrite) {
    columns.push({
      key: "actions",
      header: t("common.actions"),
      render: (a) => (
        <div className="row-actions">
          <Button
            size="sm"
            variant="ghost"
            aria-label={t("accounts.moveUpOf", { name: a.displayName })}
            disabled={a.priority <= 1 || setPriority.isPending}
            onClick={() => setPriority.mutate({ accountId: a.id, position: a.priority - 1 })}
          >
            ↑
          </Button>
          <Button
            size="sm"
            variant="ghost"
            aria-label={t("accounts.moveDownOf", { name: a.displayName })}
            disabled={a.priority >= list.length || setPriority.isPending}
            onClick={() => setPriority.mutate({ accountId: a.id, position: a.priority + 1 })}
          >
            ↓
          </Button>
          {/* Each button names its account, its visible words first (WCAG 2.5.3). */}
          <Button
            size="sm"
            aria-label={t("accounts.updateTokenOf", { name: a.displayName })}
            onClick={() => setDialog({ kind: "update", account: a })}
          >
            {t("accounts.updateToken")}
          </Button>
          <Button
            size="sm"
            aria-label={t("accounts.resyncOf", { name: a.displayName })}
            busy={resync.isPending && resync.variables === a.id}
            onClick={() => resync.mutate(a.id, { onSuccess: () => setResynced(a.displayName) })}
          >
            {t("accounts.resync")}
          </Button>
          <Button
            size="sm"
            variant="danger"
            aria-label={t("accounts.deleteOf", { name: a.displayName })}
            onClick={() => setDialog({ kind: "delete", account: a })}
          >
            {t("common.delete")}
          </Button>
        </div>
      ),
    });
  }

  return (
    <>
      <PageHeader
        title={t("accounts.title")}
        description={t("accounts.description")}
        actions={
          canWrite ? (
            <Button variant="primary" onClick={() => setDialog({ kind: "add" })}>
              {t("accounts.add")}
            </Button>
          ) : null
        }
      />
      {setPriority.error ? <ErrorNotice error={setPriority.error} /> : null}
      {resync.error ? <ErrorNotice error={resync.error} /> : null}
      {resynced ? <Notice tone="success">{t("accounts.resyncStarted", { name: resynced })}</Notice> : null}
      {importFailed?.firstImport.state === "failed" ? (
        <Notice tone="warning" title={t("accounts.importFailed.title", { name: importFailed.displayName })}>
          {t("accounts.importFailed.body", { reason: importFailed.firstImport.message })}
        </Notice>
      ) : null}
      {deleted ? <DeletedNotice {...deleted} /> : null}
      <Card>
        {accounts.isPending ? (
          <Loading />
        ) : accounts.isError ? (
          <ErrorNotice error={accounts.error} onRetry={accounts.refetch} />
        ) : (
          <DataTable
            caption={t("accounts.title")}
            columns={columns}
            rows={list}
            rowKey={(a) => a.id}
            empty={
              <EmptyState
                title={t("accounts.emptyTitle")}
                action={
                  canWrite ? (
                    <Button variant="primary" onClick={() => setDialog({ kind: "add" })}>
                      {t("accounts.add")}
                    </Button>
                  ) : null
                }
              >
                {t("accounts.emptyText")}
              </EmptyState>
            }
          />
        )}
      </Card>
      {list.length > 1 ? (
        <p className="footnote">
          <RuleRef id="MA3" /> <RuleRef id="MA6" />
        </p>
      ) : null}
      {dialog?.kind === "add" ? (
        <AccountFormDialog
          onClose={(failed) => {
            setDialog(undefined);
            setImportFailed(failed);
          }}
        />
      ) : null}
      {dialog?.kind === "update" ? (
        <AccountFormDialog account={dialog.account} onClose={() => setDialog(undefined)} />
      ) : null}
      {dialog?.kind === "delete" ? (
        <DeleteAccountDialog
          account={dialog.account}
          onClose={(done) => {
            setDialog(undefined);
            if (done) setDeleted({ ...done, name: dialog.account.displayName });
          }}
        />
      ) : null}
    </>
  );
}

/** AC5: what a deletion did; licenses a failed token left at Apple are for Apple Business Manager. */
function DeletedNotice({ name, released, stillAtApple }: AccountDeleted & { name: string }) {
  const { t } = useTranslation();
  return stillAtApple === 0 ? (
    <Notice tone="success">{t("accounts.deleted.released", { name, count: released })}</Notice>
  ) : (
    <Notice tone="warning" title={t("accounts.deleted.title", { name })}>
      {t("accounts.deleted.stillAtApple", { count: stillAtApple })} <RuleRef id="AC5" />
    </Notice>
  );
}
