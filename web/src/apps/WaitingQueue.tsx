import { useState } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import type { WaitingRequest } from "../api/types";
import { spacePath, useSpace } from "../app/space";
import { deviceLabel } from "../devices/label";
import { explainSearch } from "../explain/api";
import { Badge } from "../ui/Badge";
import { Button } from "../ui/Button";
import { Card } from "../ui/Card";
import { type Column, DataTable, SearchBox, useTableQuery } from "../ui/DataTable";
import { Dialog } from "../ui/Dialog";
import { useFormat } from "../ui/format";
import { RuleRef } from "../ui/RuleRef";
import { EmptyState, ErrorNotice, Loading, Notice } from "../ui/States";
import { WaitingInvitation } from "../users/invitations";
import { useCancelWaiting, useRetryRefused, useWaiting } from "./api";

/** What every list of waiting requests says of one: why it asked, what it waits for, since when. */
type Wait = Pick<WaitingRequest, "why" | "reason" | "waitingSince"> & {
  refusal?: WaitingRequest["refusal"];
  /** `not_enrolled`: the invitation the request waits on (UB2). */
  invitation?: WaitingRequest["invitation"];
} & Partial<Pick<WaitingRequest, "userName" | "deviceUserName">>;

/** DB2: Apple's refusal a request waits with: its number, Apple's words, the account asked. */
function AppleRefusal({ refusal }: { refusal: NonNullable<WaitingRequest["refusal"]> }) {
  const { t } = useTranslation();
  const f = useFormat();
  return (
    <>
      <Badge tone="danger" title={t("waiting.refusedHelp")}>
        {t("waiting.reasons.apple_refused")}
      </Badge>
      <div className="muted small">
        {refusal.errorNumber === 0
          ? t("waiting.notSendable")
          : t("waiting.appleSaid", { number: refusal.errorNumber, message: refusal.message ?? "" })}
        {refusal.accountName ? ` · ${refusal.accountName}` : null} · {f.dateTime(refusal.refusedAt)}
      </div>
    </>
  );
}

/**
 * DB2: "Send again" for a request Apple refused: it waits again in its place and is served
 * in its turn. Nothing sends it again by itself (it would only be refused again).
 */
function RetryRefused({
  adamId,
  subject,
  label,
  onDone,
}: {
  adamId: string;
  subject: { kind: "user" | "device"; id: string };
  label: string;
  onDone: (error?: unknown) => void;
}) {
  const { t } = useTranslation();
  const { spaceId } = useSpace();
  const retry = useRetryRefused(spaceId, adamId);
  return (
    <Button
      size="sm"
      busy={retry.isPending}
      aria-label={t("waiting.retryOf", { name: label })}
      onClick={async () => {
        // Awaited (as CancelWait's): the refetch that follows may remove this button first.
        try {
          await retry.mutateAsync(
            subject.kind === "user" ? { userIds: [subject.id] } : { deviceIds: [subject.id] },
          );
          onDone();
        } catch (error) {
          onDone(error);
        }
      }}
    >
      {t("waiting.retry")}
    </Button>
  );
}

/** What sending a refused request again came to: a success line, or the error. */
function useRetryOutcome() {
  const [outcome, setOutcome] = useState<{ error?: unknown } | undefined>(undefined);
  const notice =
    outcome === undefined ? null : outcome.error ? <ErrorNotice error={outcome.error} /> : <RetriedNotice />;
  return { notice, done: (error?: unknown) => setOutcome(error ? { error } : {}) };
}

function RetriedNotice() {
  const { t } = useTranslation();
  return <Notice tone="success">{t("waiting.retried")}</Notice>;
}

/**
 * A cancel's words: in an app's queue they name the subject (`label` is its name); in a
 * device's or a user's list, the app.
 */
const CANCEL_WORDS = {
  subject: {
    of: "waiting.cancelOf",
    title: "waiting.cancelTitle",
    text: "waiting.cancelText",
    done: "waiting.cancelled",
  },
  app: {
    of: "waiting.cancelAppOf",
    title: "waiting.cancelAppTitle",
    text: "waiting.cancelAppText",
    done: "waiting.cancelledApp",
  },
} as const;
type CancelNaming = keyof typeof CANCEL_WORDS;

/**
 * DB2: "Cancel" takes a subject's request out of the app's queue, after a confirmation: it
 * loses its place, and the activity log records who cancelled it.
 */
function CancelWait({
  adamId,
  subject,
  label,
  naming,
  onDone,
}: {
  adamId: string;
  subject: { kind: "user" | "device"; id: string };
  label: string;
  naming: CancelNaming;
  onDone: (name: string, error?: unknown) => void;
}) {
  const { t } = useTranslation();
  const { spaceId } = useSpace();
  const cancel = useCancelWaiting(spaceId, adamId);
  const [open, setOpen] = useState(false);
  const words = CANCEL_WORDS[naming];
  return (
    <>
      <Button
        size="sm"
        variant="danger"
        aria-label={t(words.of, { name: label })}
        onClick={() => setOpen(true)}
      >
        {t("waiting.cancel")}
      </Button>
      <Dialog
        open={open}
        title={t(words.title, { name: label })}
        onClose={() => setOpen(false)}
        footer={
          <>
            <Button onClick={() => setOpen(false)}>{t("waiting.keepWaiting")}</Button>
            <Button
              variant="danger"
              busy={cancel.isPending}
              onClick={async () => {
                // Awaited, not mutate's callbacks: the refetch the cancel triggers removes this
                // row (and this component) first, and mutate's callbacks die with it.
                try {
                  await cancel.mutateAsync(subject);
                  onDone(label);
                } catch (error) {
                  onDone(label, error);
                }
                setOpen(false);
              }}
            >
              {t("waiting.cancelConfirm")}
            </Button>
          </>
        }
      >
        <p>{t(words.text, { name: label })}</p>
      </Dialog>
    </>
  );
}

/** What cancelling a request came to: a success line naming it, or the error. */
function useCancelOutcome(naming: CancelNaming) {
  const { t } = useTranslation();
  const [outcome, setOutcome] = useState<{ name: string; error?: unknown } | undefined>(undefined);
  const notice =
    outcome === undefined ? null : outcome.error ? (
      <ErrorNotice error={outcome.error} />
    ) : (
      <Notice tone="success">{t(CANCEL_WORDS[naming].done, { name: outcome.name })}</Notice>
    );
  return {
    notice,
    done: (name: string, error?: unknown) => setOutcome(error ? { name, error } : { name }),
  };
}

/**
 * The columns every waiting list shares (the app's queue, a device's and a user's lists):
 * why the request was made, what it waits for, and since when.
 */
export function useWaitColumns<T extends Wait>(): Column<T>[] {
  const { t } = useTranslation();
  const f = useFormat();
  return [
    { key: "why", header: t("waiting.why"), render: (w) => t(`explain.reason.${w.why}`) },
    {
      key: "reason",
      header: t("waiting.reason"),
      render: (w) =>
        w.reason === "apple_refused" && w.refusal ? (
          <AppleRefusal refusal={w.refusal} />
        ) : w.reason === "not_enrolled" && w.invitation ? (
          <WaitingInvitation
            invitation={w.invitation}
            name={w.userName ?? w.deviceUserName ?? t("invitations.theUser")}
          />
        ) : (
          <Badge tone={w.reason === "no_license" ? "warning" : undefined}>
            {t(`waiting.reasons.${w.reason}`)}
          </Badge>
        ),
    },
    { key: "since", header: t("waiting.since"), render: (w) => f.dateTime(w.waitingSince) },
  ];
}

/** GET …/devices/:deviceId/waiting and …/users/:userId/waiting: one app the subject waits for. */
export interface SubjectWaiting extends Wait {
  adamId: string;
  name?: string;
  position: number;
  of: number;
  ruleIds: string[];
}

/**
 * DB2, UB3: the card of the apps a device or a user waits for, its place in each app's
 * queue, a link to why (Explain, for that subject and app), and "Cancel" for each (the same
 * confirmation as in the app's queue). Shown while the subject waits, or to say a cancel
 * took its last wait.
 */
export function SubjectWaitingApps({
  subject,
  rows,
  title,
  help,
  ruleId,
}: {
  subject: { kind: "user" | "device"; id: string };
  rows: SubjectWaiting[];
  title: string;
  help: string;
  ruleId: string;
}) {
  const { t } = useTranslation();
  const { spaceId, canWrite } = useSpace();
  const waitColumns = useWaitColumns<SubjectWaiting>();
  const outcome = useRetryOutcome();
  const cancelled = useCancelOutcome("app");
  const columns: Column<SubjectWaiting>[] = [
    {
      key: "app",
      header: t("usage.name"),
      render: (w) => <Link to={spacePath(spaceId, `/apps/${w.adamId}`)}>{w.name ?? w.adamId}</Link>,
    },
    {
      key: "position",
      header: t("waiting.position"),
      render: (w) => t("waiting.place", { position: w.position, of: w.of }),
    },
    ...waitColumns,
    {
      key: "explain",
      header: t("common.actions"),
      render: (w) => (
        <span className="row-actions">
          <Link
            to={spacePath(spaceId, `/explain${explainSearch({ app: w.adamId, subject })}`)}
            aria-label={t("usage.whyOf", { app: w.name ?? w.adamId })}
          >
            {t("usage.why")}
          </Link>
          {canWrite && w.reason === "apple_refused" ? (
            <RetryRefused
              adamId={w.adamId}
              subject={subject}
              label={w.name ?? w.adamId}
              onDone={outcome.done}
            />
          ) : null}
          {canWrite ? (
            <CancelWait
              adamId={w.adamId}
              subject={subject}
              label={w.name ?? w.adamId}
              naming="app"
              onDone={cancelled.done}
            />
          ) : null}
        </span>
      ),
    },
  ];
  if (rows.length === 0 && !outcome.notice && !cancelled.notice) return null;
  return (
    <Card title={title} actions={<RuleRef id={ruleId} compact />}>
      <p className="card-help">{help}</p>
      {outcome.notice}
      {cancelled.notice}
      {rows.length > 0 ? (
        <DataTable caption={title} columns={columns} rows={rows} rowKey={(w) => w.adamId} />
      ) : null}
    </Card>
  );
}

/**
 * DB2, UB3: who waits for a license of the app, in the order they are served (first asked,
 * first served), why each waits and since when: the queue a free seat or a purchase serves.
 */
export function WaitingQueue({ adamId }: { adamId: string }) {
  const { t } = useTranslation();
  const { spaceId, canWrite } = useSpace();
  const waitColumns = useWaitColumns<WaitingRequest>();
  const outcome = useRetryOutcome();
  const cancelled = useCancelOutcome("subject");
  const table = useTableQuery({ sort: "position" });
  const waiting = useWaiting(spaceId, adamId, table.query);
  const columns: Column<WaitingRequest>[] = [
    { key: "position", header: t("waiting.position"), align: "right", render: (w) => w.position },
    {
      key: "subject",
      header: t("licenses.subject"),
      render: (w) =>
        w.userId ? (
          <Link to={spacePath(spaceId, `/users/${w.userId}`)}>{w.userName ?? w.userId}</Link>
        ) : (
          <>
            <Link to={spacePath(spaceId, `/devices/${w.deviceId}`)}>{deviceLabel(w)}</Link>
            {w.deviceUserName ? <div className="muted small">{w.deviceUserName}</div> : null}
          </>
        ),
    },
    ...waitColumns,
    {
      key: "rules",
      header: t("licenses.rules"),
      render: (w) => (
        <span className="chips">
          {w.ruleIds.map((id) => (
            <RuleRef key={id} id={id} compact />
          ))}
        </span>
      ),
    },
    {
      // Why this one waits, with its place: Explain for the subject and the app, its situation.
      key: "explain",
      header: t("common.actions"),
      render: (w) => {
        const subject = w.userId
          ? { kind: "user" as const, id: w.userId }
          : { kind: "device" as const, id: w.deviceId ?? "" };
        const name = w.userName ?? (w.userId ? undefined : deviceLabel(w)) ?? subject.id;
        return (
          <span className="row-actions">
            <Link
              to={spacePath(spaceId, `/explain${explainSearch({ app: adamId, subject })}`)}
              aria-label={t("waiting.whyOf", { name })}
            >
              {t("usage.why")}
            </Link>
            {canWrite && w.reason === "apple_refused" ? (
              <RetryRefused adamId={adamId} subject={subject} label={name} onDone={outcome.done} />
            ) : null}
            {canWrite ? (
              <CancelWait
                adamId={adamId}
                subject={subject}
                label={name}
                naming="subject"
                onDone={cancelled.done}
              />
            ) : null}
          </span>
        );
      },
    },
  ];
  const total = waiting.data?.total;
  return (
    <Card
      title={
        total === undefined || table.query.q ? t("waiting.title") : t("waiting.titleCount", { count: total })
      }
      actions={<RuleRef id="DB2" compact />}
    >
      <p className="muted small">{t("waiting.help")}</p>
      {outcome.notice}
      {cancelled.notice}
      <div className="toolbar">
        <SearchBox
          value={table.query.q ?? ""}
          onChange={table.setSearch}
          label={t("waiting.search")}
          placeholder={t("waiting.search")}
        />
      </div>
      {waiting.isPending ? (
        <Loading />
      ) : waiting.isError ? (
        <ErrorNotice error={waiting.error} onRetry={waiting.refetch} />
      ) : (
        <DataTable
          caption={t("waiting.title")}
          columns={columns}
          rows={waiting.data.items}
          rowKey={(w) => String(w.position)}
          table={table}
          total={waiting.data.total}
          empty={
            table.query.q ? undefined : (
              <EmptyState title={t("waiting.emptyTitle")}>{t("waiting.emptyText")}</EmptyState>
            )
          }
        />
      )}
    </Card>
  );
}
