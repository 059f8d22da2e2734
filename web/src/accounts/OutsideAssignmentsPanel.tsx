import { useState } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import { spacePath } from "../app/space";
import { Badge, type Tone } from "../ui/Badge";
import { Button } from "../ui/Button";
import { Card } from "../ui/Card";
import { type Column, DataTable, useTableQuery } from "../ui/DataTable";
import { ConfirmDialog } from "../ui/Dialog";
import { useFormat } from "../ui/format";
import { RuleRef } from "../ui/RuleRef";
import { EmptyState, ErrorNotice, Loading, Notice } from "../ui/States";
import {
  keyOf,
  type OutsideAssignment,
  type OutsideReleaseAll,
  type OutsideReleaseResult,
  outsideChangedTo,
  refOf,
  useOutsideAssignments,
  useReleaseAllOutside,
  useReleaseOutside,
} from "./outside";

const PAGE_SIZE = 25;

const STATUS_TONES: Record<OutsideAssignment["status"], Tone> = {
  unmatched: "neutral",
  device_not_active: "warning",
  user_deleted: "warning",
  holds_license: "warning",
  adoptable: "info",
};

/**
 * AC7: the licenses Apple holds for this account's location that Orchard neither assigned
 * nor adopted (a previous MDM's), as the last full sync read them: what each names in the
 * space now and why it stays outside; an administrator releases them at Apple, one or many,
 * or all of them after confirming how many the list holds (a list that changed since is
 * counted again and shown, to confirm again).
 */
export function OutsideAssignmentsPanel({
  spaceId,
  accountId,
  canWrite,
}: {
  spaceId: string;
  accountId: string;
  canWrite: boolean;
}) {
  const { t } = useTranslation();
  const f = useFormat();
  const table = useTableQuery({ pageSize: PAGE_SIZE });
  const [selected, setSelected] = useState<Map<string, OutsideAssignment>>(new Map());
  const [confirming, setConfirming] = useState(false);
  const [result, setResult] = useState<OutsideReleaseResult | undefined>();
  const list = useOutsideAssignments(spaceId, accountId, table.query.page, PAGE_SIZE);
  const release = useReleaseOutside(spaceId, accountId);
  const releaseAll = useReleaseAllOutside(spaceId, accountId);
  /** The whole list as counted for "Release all": what the confirmation shows and the release names. */
  const [counted, setCounted] = useState<OutsideReleaseAll | undefined>();
  const [allDone, setAllDone] = useState<OutsideReleaseAll | undefined>();
  const title = t("outside.title");

  if (list.isPending)
    return (
      <Card title={title}>
        <Loading />
      </Card>
    );
  if (list.isError)
    return (
      <Card title={title}>
        <ErrorNotice error={list.error} onRetry={list.refetch} />
      </Card>
    );
  const data = list.data;
  const releasable = data.items.filter((a) => a.release?.state !== "pending");
  const chosen = [...selected.values()];
  const allChosen = releasable.length > 0 && releasable.every((a) => selected.has(keyOf(a)));
  const toggle = (a: OutsideAssignment, on: boolean) =>
    setSelected((s) => {
      const next = new Map(s);
      if (on) next.set(keyOf(a), a);
      else next.delete(keyOf(a));
      return next;
    });
  const subject = (a: OutsideAssignment) => a.serialNumber ?? a.clientUserId ?? "";

  const columns: Column<OutsideAssignment>[] = [];
  if (canWrite) {
    columns.push({
      key: "select",
      header: t("outside.select"),
      render: (a) =>
        a.release?.state === "pending" ? null : (
          <input
            type="checkbox"
            aria-label={t("outside.selectOne", { subject: subject(a) })}
            checked={selected.has(keyOf(a))}
            onChange={(e) => toggle(a, e.target.checked)}
          />
        ),
    });
  }
  columns.push(
    {
      key: "app",
      header: t("outside.col.app"),
      render: (a) => (
        <Link className="strong-link" to={spacePath(spaceId, `/apps/${a.adamId}?account=${accountId}`)}>
          {a.appName ?? a.adamId}
        </Link>
      ),
    },
    {
      key: "assignment",
      header: t("outside.col.assignment"),
      render: (a) => (
        <span>
          <Badge>{t(a.serialNumber !== undefined ? "outside.kind.device" : "outside.kind.user")}</Badge>{" "}
          <span className="mono">{subject(a)}</span>
        </span>
      ),
    },
    {
      key: "names",
      header: t("outside.col.names"),
      render: (a) =>
        a.device ? (
          <Link className="mono" to={spacePath(spaceId, `/devices/${a.device.id}`)}>
            {a.device.serialNumber}
          </Link>
        ) : a.user ? (
          <Link to={spacePath(spaceId, `/users/${a.user.id}`)}>{a.user.name}</Link>
        ) : (
          <span className="muted">{t("outside.nobody")}</span>
        ),
    },
    {
      key: "status",
      header: t("outside.col.status"),
      render: (a) => (
        <Badge tone={STATUS_TONES[a.status]} title={t(`outside.statusHelp.${a.status}`)}>
          {t(`outside.status.${a.status}`)}
        </Badge>
      ),
    },
    {
      key: "release",
      header: t("outside.col.release"),
      render: (a) =>
        !a.release ? (
          "—"
        ) : a.release.state === "pending" ? (
          <Badge tone="info" title={f.dateTime(a.release.at)}>
            {t("outside.release.pending")}
          </Badge>
        ) : (
          <span className="apple-work-error">
            {t("outside.release.failed", { error: a.release.error ?? "" })}
          </span>
        ),
    },
  );

  const confirm = () =>
    release.mutate(chosen.map(refOf), {
      onSuccess: (answer) => {
        setResult(answer);
        setAllDone(undefined);
        setSelected(new Map());
        setConfirming(false);
      },
    });
  const countAll = () => {
    releaseAll.release.reset();
    releaseAll.preview.mutate(undefined, { onSuccess: setCounted });
  };
  const confirmAll = () => {
    if (!counted) return;
    releaseAll.release.mutate(
      { expect: counted.count, fingerprint: counted.fingerprint },
      {
        onSuccess: (answer) => {
          setAllDone(answer);
          setResult(undefined);
          setSelected(new Map());
          setCounted(undefined);
        },
        // The list changed since it was counted: counted again, for the administrator to confirm that.
        onError: (error) => {
          if (outsideChangedTo(error) !== undefined)
            releaseAll.preview.mutate(undefined, { onSuccess: setCounted });
        },
      },
    );
  };
  const changedTo = outsideChangedTo(releaseAll.release.error);

  return (
    <Card
      title={title}
      className="outside-assignments"
      actions={
        data.syncedAt ? (
          <span className="muted small">{t("outside.asOf", { time: f.dateTime(data.syncedAt) })}</span>
        ) : null
      }
    >
      <p className="footnote">
        {t("outside.intro")} <RuleRef id="AC7" compact />
      </p>
      {result ? (
        <Notice tone="success" title={t("outside.done.title")}>
          {[
            t("outside.done.requested", { count: result.requested.length }),
            result.alreadyReleasing.length > 0
              ? t("outside.done.already", { count: result.alreadyReleasing.length })
              : "",
            result.notListed.length > 0
              ? t("outside.done.notListed", { count: result.notListed.length })
              : "",
            result.heldByOrchard.length > 0
              ? t("outside.all.held", { count: result.heldByOrchard.length })
              : "",
          ]
            .filter(Boolean)
            .join(" ")}
        </Notice>
      ) : null}
      {allDone ? (
        <Notice tone="success" title={t("outside.done.title")}>
          {t("outside.all.done", {
            requested: allDone.requested ?? 0,
            already: allDone.alreadyReleasing ?? 0,
          })}
          {allDone.heldByOrchard ? ` ${t("outside.all.held", { count: allDone.heldByOrchard })}` : null}
        </Notice>
      ) : null}
      {release.error ? <ErrorNotice error={release.error} /> : null}
      {releaseAll.preview.error ? <ErrorNotice error={releaseAll.preview.error} /> : null}
      {!data.syncedAt ? (
        <EmptyState title={t("outside.notReadTitle")}>{t("outside.notReadText")}</EmptyState>
      ) : data.total === 0 ? (
        <EmptyState title={t("outside.emptyTitle")}>{t("outside.emptyText")}</EmptyState>
      ) : (
        <>
          {canWrite ? (
            <div className="toolbar">
              <label className="inline-field">
                <input
                  type="checkbox"
                  checked={allChosen}
                  disabled={releasable.length === 0}
                  onChange={(e) =>
                    setSelected((s) => {
                      const next = new Map(s);
                      for (const a of releasable) {
                        if (e.target.checked) next.set(keyOf(a), a);
                        else next.delete(keyOf(a));
                      }
                      return next;
                    })
                  }
                />
                <span>{t("outside.selectAll")}</span>
              </label>
              <Button variant="danger" disabled={chosen.length === 0} onClick={() => setConfirming(true)}>
                {t("outside.releaseSelected", { count: chosen.length })}
              </Button>
              <Button variant="danger" disabled={releaseAll.preview.isPending} onClick={countAll}>
                {t("outside.all.button", { count: data.total })}
              </Button>
            </div>
          ) : null}
          <DataTable
            caption={title}
            columns={columns}
            rows={data.items}
            rowKey={keyOf}
            table={table}
            total={data.total}
          />
        </>
      )}
      <ConfirmDialog
        open={confirming}
        title={t("outside.confirmTitle")}
        confirmLabel={t("outside.confirm", { count: chosen.length })}
        danger
        busy={release.isPending}
        onConfirm={confirm}
        onClose={() => setConfirming(false)}
      >
        <p>{t("outside.confirmText", { count: chosen.length })}</p>
        <ul className="outside-chosen">
          {chosen.slice(0, 10).map((a) => (
            <li key={keyOf(a)}>
              <span className="mono">{subject(a)}</span> · {a.appName ?? a.adamId}
            </li>
          ))}
          {chosen.length > 10 ? <li>{t("outside.andMore", { count: chosen.length - 10 })}</li> : null}
        </ul>
      </ConfirmDialog>
      <ConfirmDialog
        open={counted !== undefined}
        title={t("outside.all.confirmTitle")}
        confirmLabel={t("outside.all.confirm", { count: counted?.count ?? 0 })}
        danger
        busy={releaseAll.release.isPending || releaseAll.preview.isPending}
        confirmDisabled={(counted?.count ?? 0) === 0}
        onConfirm={confirmAll}
        onClose={() => {
          setCounted(undefined);
          releaseAll.release.reset();
        }}
      >
        {changedTo !== undefined ? (
          <Notice tone="warning" title={t("outside.all.changedTitle")}>
            {t("outside.all.changed", { count: counted?.count ?? changedTo })}
          </Notice>
        ) : releaseAll.release.error ? (
          <ErrorNotice error={releaseAll.release.error} />
        ) : null}
        <p>{t("outside.all.confirmText", { count: counted?.count ?? 0 })}</p>
      </ConfirmDialog>
    </Card>
  );
}
