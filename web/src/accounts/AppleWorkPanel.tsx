import { useState } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import type { AppleWork } from "../api/types";
import { spacePath, useSpace } from "../app/space";
import { Badge } from "../ui/Badge";
import { Button } from "../ui/Button";
import { Card, Stat } from "../ui/Card";
import { type Column, DataTable } from "../ui/DataTable";
import { ConfirmDialog } from "../ui/Dialog";
import { useFormat } from "../ui/format";
import { RuleRef } from "../ui/RuleRef";
import { EmptyState, ErrorNotice, Loading, Notice } from "../ui/States";
import { useAppleWork, useRefusedRelease } from "./api";

type PendingKind = AppleWork["pending"]["byKind"][number];
type Call = AppleWork["inFlight"]["items"][number];
type Failure = AppleWork["failures"]["items"][number];

/** Healths whose fix is a new token file; the others wait for a sign-in, or for Apple. */
const WAITS_FOR_SIGN_IN = new Set(["login_required"]);
const WAITS_FOR_APPLE = new Set(["paused"]);

/**
 * "Apple work": what this account still owes Apple. An operation shows here until Apple
 * confirms it (invariant 3): pending (due, or put off until a retry), carried by a call in
 * flight, or failed. A token problem pauses it all (NT2). What Apple refused for good and
 * waits for an administrator is counted apart (requests no other account can serve, MA2;
 * releases holding their seat, RV2): "everything reached Apple" only when none is left.
 */
export function AppleWorkPanel({ spaceId, accountId }: { spaceId: string; accountId: string }) {
  const { t } = useTranslation();
  const f = useFormat();
  const age = useAge();
  const work = useAppleWork(spaceId, accountId);
  const { canWrite } = useSpace();
  const release = useRefusedRelease(spaceId);
  const [abandoning, setAbandoning] = useState<Failure | undefined>(undefined);
  const [done, setDone] = useState<"retry" | "abandon" | undefined>(undefined);
  const act = (x: Failure, action: "retry" | "abandon") =>
    release.mutate(
      { licenseId: x.licenseId ?? "", action },
      {
        onSuccess: () => {
          setDone(action);
          setAbandoning(undefined);
        },
      },
    );
  const title = t("appleWork.title");
  if (work.isPending)
    return (
      <Card title={title}>
        <Loading />
      </Card>
    );
  if (work.isError)
    return (
      <Card title={title}>
        <ErrorNotice error={work.error} onRetry={work.refetch} />
      </Card>
    );
  const w = work.data;
  const asOf = new Date(w.asOf).getTime();
  const sinceOf = (iso: string) => asOf - new Date(iso).getTime();
  const ageOf = (iso: string | undefined) => (iso ? age(sinceOf(iso)) : "—");
  const ago = (iso: string) =>
    sinceOf(iso) < 60_000 ? t("appleWork.justNow") : t("appleWork.ago", { age: ageOf(iso) });
  const open = w.pending.total + w.inFlight.operations;
  const kind = (k: string) => t(`appleWork.kind.${k}`, { defaultValue: k });

  const pendingColumns: Column<PendingKind>[] = [
    { key: "kind", header: t("appleWork.col.kind"), render: (p) => kind(p.kind) },
    { key: "count", header: t("appleWork.col.count"), align: "right", render: (p) => f.number(p.count) },
    {
      key: "waiting",
      header: t("appleWork.col.waitingRetry"),
      align: "right",
      render: (p) => f.number(p.waitingRetry),
    },
    {
      key: "oldest",
      header: t("appleWork.col.oldest"),
      align: "right",
      render: (p) => <span title={f.dateTime(p.oldestCreatedAt)}>{ageOf(p.oldestCreatedAt)}</span>,
    },
  ];
  const callColumns: Column<Call>[] = [
    { key: "kind", header: t("appleWork.col.kind"), render: (c) => kind(c.kind) },
    {
      key: "operations",
      header: t("appleWork.col.operations"),
      align: "right",
      render: (c) => f.number(c.operations),
    },
    {
      key: "state",
      header: t("appleWork.col.state"),
      render: (c) => (
        <Badge
          tone={c.state === "sent" ? "info" : c.lastError ? "warning" : "neutral"}
          title={t(`appleWork.callStateHelp.${c.state}`)}
        >
          {t(`appleWork.callState.${c.state}`)}
        </Badge>
      ),
    },
    {
      key: "event",
      header: t("appleWork.col.eventId"),
      render: (c) => (c.eventId ? <span className="mono small">{c.eventId}</span> : "—"),
    },
    { key: "sentAt", header: t("appleWork.col.sentAt"), render: (c) => f.dateTime(c.sentAt) },
    {
      key: "attempts",
      header: t("appleWork.col.attempts"),
      align: "right",
      render: (c) => f.number(c.attempts),
    },
    {
      key: "next",
      header: t("appleWork.col.next"),
      render: (c) => (c.notBefore ? f.dateTime(c.notBefore) : "—"),
    },
    {
      key: "error",
      header: t("appleWork.col.lastError"),
      render: (c) => (c.lastError ? <span className="apple-work-error">{c.lastError}</span> : "—"),
    },
  ];
  const failureColumns: Column<Failure>[] = [
    {
      key: "when",
      header: t("appleWork.col.when"),
      render: (x) => <span title={f.dateTime(x.failedAt)}>{ago(x.failedAt)}</span>,
    },
    { key: "kind", header: t("appleWork.col.kind"), render: (x) => kind(x.kind) },
    {
      key: "app",
      header: t("appleWork.col.app"),
      render: (x) =>
        x.adamId ? (
          <Link className="strong-link" to={spacePath(spaceId, `/apps/${x.adamId}?account=${accountId}`)}>
            {x.appName ?? x.adamId}
          </Link>
        ) : (
          "—"
        ),
    },
    {
      key: "subject",
      header: t("appleWork.col.subject"),
      render: (x) => <Subject spaceId={spaceId} failure={x} />,
    },
    {
      key: "reason",
      header: t("appleWork.col.reason"),
      render: (x) => <span className="apple-work-error">{x.lastError ?? "—"}</span>,
    },
    {
      key: "event",
      header: t("appleWork.col.eventId"),
      render: (x) => (x.eventId ? <span className="mono small">{x.eventId}</span> : "—"),
    },
  ];
  // RV1-RV5: a release Apple refused holds its seat until sent again or abandoned.
  if (canWrite && w.failures.items.some((x) => x.releaseRefused))
    failureColumns.push({
      key: "actions",
      header: t("common.actions"),
      className: "col-actions",
      render: (x) =>
        x.releaseRefused && x.licenseId ? (
          <span className="row-actions">
            <Button
              size="sm"
              busy={release.isPending && release.variables?.licenseId === x.licenseId}
              onClick={() => act(x, "retry")}
              aria-label={t("appleWork.retryReleaseOf", { name: failureName(x) })}
            >
              {t("appleWork.retryRelease")}
            </Button>
            <Button
              size="sm"
              variant="danger"
              onClick={() => setAbandoning(x)}
              aria-label={t("appleWork.abandonReleaseOf", { name: failureName(x) })}
            >
              {t("appleWork.abandonRelease")}
            </Button>
          </span>
        ) : null,
    });
  const refusedRequests = w.refusals.requests;
  const refusedReleases = w.refusals.releases;

  return (
    <Card
      title={title}
      className="apple-work"
      actions={<span className="muted small">{t("appleWork.asOf", { time: f.dateTime(w.asOf) })}</span>}
    >
      {w.paused ? (
        <Notice tone="warning" title={t("appleWork.paused.title")}>
          {t(pausedKey(w.health), {
            count: open,
            health: t(`health.${w.health}.label`, { defaultValue: w.health }),
          })}{" "}
          <RuleRef id="NT2" compact />
        </Notice>
      ) : null}
      {refusedRequests > 0 ? (
        <Notice tone="warning" title={t("appleWork.refusedRequests.title", { count: refusedRequests })}>
          {t("appleWork.refusedRequests.text")} <RuleRef id="MA2" compact /> <RuleRef id="DB2" compact />
        </Notice>
      ) : null}
      {open === 0 && refusedRequests + refusedReleases > 0 ? (
        <EmptyState title={t("appleWork.nothingToSendTitle")}>{t("appleWork.nothingToSendText")}</EmptyState>
      ) : open === 0 ? (
        <EmptyState title={t("appleWork.emptyTitle")}>{t("appleWork.emptyText")}</EmptyState>
      ) : (
        <>
          <div className="stats apple-work-stats">
            <Stat
              label={t("appleWork.pending")}
              value={f.number(w.pending.total)}
              hint={t("appleWork.pendingHint")}
              tone={w.paused && w.pending.total > 0 ? "warning" : undefined}
            />
            <Stat
              label={t("appleWork.oldest")}
              value={ageOf(w.pending.oldestCreatedAt)}
              hint={
                w.pending.oldestCreatedAt
                  ? t("appleWork.oldestHint", { time: f.dateTime(w.pending.oldestCreatedAt) })
                  : t("appleWork.nothingPending")
              }
            />
            <Stat
              label={t("appleWork.waitingRetry")}
              value={f.number(w.pending.waitingRetry)}
              hint={
                w.pending.nextRetryAt
                  ? t("appleWork.nextRetry", { time: f.dateTime(w.pending.nextRetryAt) })
                  : t("appleWork.noRetry")
              }
            />
            <Stat
              label={t("appleWork.inFlight")}
              value={f.number(w.inFlight.calls)}
              hint={t("appleWork.inFlightHint", { count: w.inFlight.operations })}
            />
          </div>
          {w.pending.lastRetryReason ? (
            <p className="apple-work-reason">
              <span className="muted">{t("appleWork.lastRetryReason")}</span>{" "}
              <span className="apple-work-error">{w.pending.lastRetryReason}</span>
              {w.pending.lastRetryAt ? (
                <span className="muted small">
                  {" "}
                  · {t("appleWork.ago", { age: ageOf(w.pending.lastRetryAt) })}
                </span>
              ) : null}
            </p>
          ) : null}
          {w.pending.byKind.length > 0 ? (
            <section aria-labelledby="apple-work-pending">
              <h3 id="apple-work-pending" className="section-title">
                {t("appleWork.byKind")}
              </h3>
              <DataTable
                caption={t("appleWork.byKind")}
                columns={pendingColumns}
                rows={w.pending.byKind}
                rowKey={(p) => p.kind}
              />
            </section>
          ) : null}
          {w.inFlight.calls > 0 ? (
            <section aria-labelledby="apple-work-calls">
              <h3 id="apple-work-calls" className="section-title">
                {t("appleWork.calls")}
              </h3>
              <DataTable
                caption={t("appleWork.calls")}
                columns={callColumns}
                rows={w.inFlight.items}
                rowKey={(c) => c.id}
              />
              {w.inFlight.items.length < w.inFlight.calls ? (
                <p className="footnote">
                  {t("appleWork.moreCalls", { shown: w.inFlight.items.length, total: w.inFlight.calls })}
                </p>
              ) : null}
            </section>
          ) : null}
        </>
      )}
      <section aria-labelledby="apple-work-failures">
        <h3 id="apple-work-failures" className="section-title">
          {t("appleWork.failures")}
        </h3>
        {w.failures.total === 0 ? (
          <p className="muted small">{t("appleWork.noFailures")}</p>
        ) : (
          <>
            {refusedReleases > 0 ? (
              <Notice tone="warning" title={t("appleWork.refusedReleases.title", { count: refusedReleases })}>
                {t("appleWork.refusedReleases.text")} <RuleRef id="RV2" compact />
              </Notice>
            ) : null}
            {done ? (
              <Notice tone="success">
                {t(done === "retry" ? "appleWork.releaseRetried" : "appleWork.releaseAbandoned")}
              </Notice>
            ) : null}
            {release.error ? <ErrorNotice error={release.error} /> : null}
            <DataTable
              caption={t("appleWork.failures")}
              columns={failureColumns}
              rows={w.failures.items}
              rowKey={(x) => String(x.seq)}
            />
            <p className="footnote">
              {w.failures.items.length < w.failures.total ? (
                <span>
                  {t("appleWork.moreFailures", { shown: w.failures.items.length, total: w.failures.total })}
                </span>
              ) : null}
              <span>{t("appleWork.failuresNote")}</span>
            </p>
          </>
        )}
      </section>
      <p className="footnote">{t("appleWork.footnote")}</p>
      <ConfirmDialog
        open={abandoning !== undefined}
        danger
        title={t("appleWork.abandonTitle", { name: abandoning ? failureName(abandoning) : "" })}
        confirmLabel={t("appleWork.abandonConfirm")}
        busy={release.isPending}
        onClose={() => setAbandoning(undefined)}
        onConfirm={() => abandoning && act(abandoning, "abandon")}
      >
        <p>
          {t("appleWork.abandonText", {
            app: abandoning?.appName ?? abandoning?.adamId ?? "",
            error: abandoning?.lastError ?? "",
          })}
        </p>
      </ConfirmDialog>
    </Card>
  );
}

/** How a failure names its subject in words: the serial number, else the user. */
function failureName(x: Failure): string {
  return x.serialNumber ?? x.userName ?? x.clientUserId ?? x.licenseId ?? "";
}

function pausedKey(health: string): string {
  if (WAITS_FOR_SIGN_IN.has(health)) return "appleWork.paused.signIn";
  if (WAITS_FOR_APPLE.has(health)) return "appleWork.paused.throttled";
  return "appleWork.paused.token";
}

/** The device or user an operation was for: a link when Orchard knows them, else Apple's id. */
function Subject({ spaceId, failure: x }: { spaceId: string; failure: Failure }) {
  if (x.deviceId)
    return (
      <Link className="mono" to={spacePath(spaceId, `/devices/${x.deviceId}`)}>
        {x.serialNumber}
      </Link>
    );
  if (x.serialNumber) return <span className="mono">{x.serialNumber}</span>;
  if (x.userId)
    return <Link to={spacePath(spaceId, `/users/${x.userId}`)}>{x.userName ?? x.clientUserId}</Link>;
  if (x.clientUserId) return <span className="mono">{x.clientUserId}</span>;
  return <>—</>;
}

/** A duration in the console's language, in its largest whole unit: "45 seconds", "12 minutes", "3 hours", "2 days". */
function useAge() {
  const { i18n } = useTranslation();
  const locale = i18n.language === "fr" ? "fr-FR" : "en-GB";
  return (ms: number): string => {
    const seconds = Math.max(0, Math.floor(ms / 1000));
    const [value, unit] =
      seconds < 60
        ? [seconds, "second"]
        : seconds < 3600
          ? [Math.floor(seconds / 60), "minute"]
          : seconds < 172_800
            ? [Math.floor(seconds / 3600), "hour"]
            : [Math.floor(seconds / 86_400), "day"];
    return new Intl.NumberFormat(locale, { style: "unit", unit, unitDisplay: "long" }).format(value);
  };
}
