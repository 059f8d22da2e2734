import { useState } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import { ApiProblemError } from "../api/client";
import { spacePath, useSpace } from "../app/space";
import { Badge } from "../ui/Badge";
import { Button } from "../ui/Button";
import { Card } from "../ui/Card";
import { type Column, DataTable, useTableQuery } from "../ui/DataTable";
import { useFormat } from "../ui/format";
import { LastError } from "../ui/LastError";
import { PageHeader } from "../ui/PageHeader";
import { EmptyState, ErrorNotice, Loading, Notice } from "../ui/States";
import {
  type MdmCommand,
  type MdmCommandState,
  type MdmRetryResult,
  type MdmWebhookTest,
  useMdmCommands,
  useMdmWebhookTest,
  useRetryMdmCommands,
} from "./api";
import { useCommandError, useStatusWords } from "./command-error";

/** The state filter's choices: every state (failed, then pending first), a pair, or one. */
const CHOICES = {
  all: [],
  open: ["failed", "pending"],
  failed: ["failed"],
  pending: ["pending"],
  delivered: ["delivered"],
  cancelled: ["cancelled"],
} as const satisfies Record<string, readonly MdmCommandState[]>;
type Choice = keyof typeof CHOICES;

/**
 * The install/remove/invite commands Orchard sends the MDM: failed ones first, with why, each sent
 * again on its own or all at once once the webhook is fixed (PM1: write role), and a test
 * message that checks the webhook, with what it answered.
 */
export function MdmCommandsPage() {
  const { t } = useTranslation();
  const f = useFormat();
  const errorText = useCommandError();
  const { spaceId, canWrite } = useSpace();
  const table = useTableQuery({ pageSize: 25 });
  const [choice, setChoice] = useState<Choice>("all");
  const list = useMdmCommands(spaceId, table.query, CHOICES[choice]);
  const retry = useRetryMdmCommands(spaceId);
  const test = useMdmWebhookTest(spaceId);
  const counts = list.data?.counts;
  const retrying = (seq: number) =>
    retry.isPending && retry.variables && "seqs" in retry.variables && retry.variables.seqs.includes(seq);

  const columns: Column<MdmCommand>[] = [
    {
      key: "command",
      header: t("mdm.col.command"),
      render: (c) => (
        <span className="stacked">
          <span>
            {c.appVersion
              ? t("mdm.kindVersion", { kind: t(`mdm.kind.${c.kind}`), version: c.appVersion })
              : t(`mdm.kind.${c.kind}`)}
          </span>
          <span className="muted small mono">#{c.seq}</span>
        </span>
      ),
    },
    {
      key: "device",
      header: t("mdm.col.device"),
      render: (c) => (
        <Link className="strong-link mono" to={spacePath(spaceId, `/devices/${c.deviceId}`)}>
          {c.serialNumber}
        </Link>
      ),
    },
    {
      key: "app",
      header: t("mdm.col.app"),
      render: (c) =>
        c.kind === "invite" ? (
          <span className="stacked">
            {c.userId ? (
              <Link className="strong-link" to={spacePath(spaceId, `/users/${c.userId}`)}>
                {t("mdm.invitationOf")}
              </Link>
            ) : (
              <span>{t("mdm.invitationOf")}</span>
            )}
            <span className="muted small">{t("mdm.invitationHelp")}</span>
          </span>
        ) : (
          // The app's page: its licenses, its queue and its rules, where the command comes from.
          <span className="stacked">
            <Link to={spacePath(spaceId, `/apps/${c.adamId}`)}>{c.appName ?? c.adamId}</Link>
            {c.appName ? <span className="muted small mono">{c.adamId}</span> : null}
          </span>
        ),
    },
    { key: "state", header: t("mdm.col.state"), render: (c) => <StateBadge command={c} /> },
    { key: "attempts", header: t("mdm.col.attempts"), align: "right", render: (c) => f.number(c.attempts) },
    {
      key: "error",
      header: t("mdm.col.lastError"),
      render: (c) => <LastError text={c.lastError} words={errorText} />,
    },
    {
      key: "created",
      header: t("mdm.col.created"),
      sort: "createdAt",
      render: (c) => f.dateTime(c.createdAt),
    },
    {
      key: "updated",
      header: t("mdm.col.updated"),
      sort: "updatedAt",
      render: (c) =>
        c.state === "pending" && c.notBefore ? (
          <span className="stacked">
            <span>{f.dateTime(c.updatedAt)}</span>
            <span className="muted small">{t("mdm.next", { time: f.dateTime(c.notBefore) })}</span>
          </span>
        ) : (
          f.dateTime(c.updatedAt)
        ),
    },
  ];
  if (canWrite)
    columns.push({
      key: "actions",
      header: t("common.actions"),
      className: "col-actions",
      render: (c) =>
        c.state === "failed" ? (
          <Button
            size="sm"
            busy={retrying(c.seq)}
            disabled={retry.isPending}
            aria-label={t("mdm.retryOne", { seq: c.seq })}
            onClick={() => {
              test.reset();
              retry.mutate({ seqs: [c.seq] });
            }}
          >
            {t("mdm.retry")}
          </Button>
        ) : null,
    });

  return (
    <>
      <PageHeader
        title={t("mdm.title")}
        description={t("mdm.description")}
        actions={
          canWrite ? (
            <>
              <Button
                busy={test.isPending}
                onClick={() => {
                  retry.reset();
                  test.mutate();
                }}
              >
                {t("mdm.testWebhook")}
              </Button>
              {(counts?.failed ?? 0) > 0 ? (
                <Button
                  variant="primary"
                  busy={retry.isPending && retry.variables !== undefined && "all" in retry.variables}
                  disabled={retry.isPending}
                  onClick={() => {
                    test.reset();
                    retry.mutate({ all: true });
                  }}
                >
                  {t("mdm.retryAll", { count: counts?.failed ?? 0 })}
                </Button>
              ) : null}
            </>
          ) : null
        }
      />
      {test.data ? <TestOutcome result={test.data} /> : null}
      {test.error ? <TestRefusal error={test.error} /> : null}
      {retry.data ? <RetryOutcome result={retry.data} /> : null}
      {retry.error ? <ErrorNotice error={retry.error} /> : null}
      <Card title={t("mdm.table")}>
        <div className="toolbar toolbar-wrap">
          <label className="inline-field">
            <span>{t("mdm.show")}</span>
            <select
              className="select"
              value={choice}
              onChange={(e) => {
                setChoice(e.target.value as Choice);
                table.setPage(1);
              }}
            >
              {(Object.keys(CHOICES) as Choice[]).map((c) => (
                <option key={c} value={c}>
                  {t(`mdm.choice.${c}`)}
                </option>
              ))}
            </select>
          </label>
        </div>
        {counts ? (
          <ul className="delivery-counts" aria-label={t("mdm.countsLabel")}>
            {(["failed", "pending", "delivered", "cancelled"] as const).map((state) => (
              <li key={state}>
                {t("mdm.count", { label: t(`mdm.choice.${state}`), count: f.number(counts[state]) })}
              </li>
            ))}
          </ul>
        ) : null}
        {list.isPending ? (
          <Loading />
        ) : list.isError ? (
          <ErrorNotice error={list.error} onRetry={list.refetch} />
        ) : (
          <DataTable
            caption={t("mdm.table")}
            columns={columns}
            rows={list.data.items}
            rowKey={(c) => String(c.seq)}
            table={table}
            total={list.data.total}
            empty={
              <EmptyState title={choice === "all" ? t("mdm.noneTitle") : t("mdm.noneMatchTitle")}>
                {choice === "all" ? t("mdm.noneText") : t("mdm.noneMatchText")}
              </EmptyState>
            }
          />
        )}
        <p className="footnote">{t("mdm.footnote")}</p>
      </Card>
    </>
  );
}

function StateBadge({ command: c }: { command: MdmCommand }) {
  const { t } = useTranslation();
  switch (c.state) {
    case "failed":
      return <Badge tone="danger">{t("mdm.state.failed")}</Badge>;
    case "delivered":
      return <Badge tone="success">{t("mdm.state.delivered")}</Badge>;
    case "cancelled":
      return <Badge>{t("mdm.state.cancelled")}</Badge>;
    case "pending":
      if (c.awaitingLicense) return <Badge tone="info">{t("mdm.state.awaitingLicense")}</Badge>;
      return c.lastError && c.attempts > 0 ? (
        <Badge tone="warning">{t("mdm.state.retrying")}</Badge>
      ) : (
        <Badge tone="info">{t("mdm.state.pending")}</Badge>
      );
  }
}

/** What sending again came to: how many are pending again, and why the others were not sent. */
function RetryOutcome({ result }: { result: MdmRetryResult }) {
  const { t } = useTranslation();
  const why = (s: MdmRetryResult["skipped"][number]) => {
    switch (s.reason) {
      case "license_not_live":
        return t("mdm.skipped.licenseNotLive", { seq: s.seq });
      case "superseded":
        return t("mdm.skipped.superseded", { seq: s.seq, by: s.by });
      case "not_failed":
        return t("mdm.skipped.notFailed", { seq: s.seq, state: t(`mdm.state.${s.state}`) });
      case "not_found":
        return t("mdm.skipped.notFound", { seq: s.seq });
    }
  };
  if (result.retried === 0 && result.skipped.length === 0)
    return <Notice tone="info">{t("mdm.retried.none")}</Notice>;
  return (
    <Notice
      tone={result.retried > 0 ? "success" : "warning"}
      title={
        result.retried > 0
          ? t("mdm.retried.some", { count: result.retried })
          : t("mdm.retried.noneSent", { count: result.skipped.length })
      }
    >
      {result.skipped.length > 0 ? (
        <>
          {/* With none sent, the title says it already. */}
          {result.retried > 0 ? t("mdm.retried.skippedIntro", { count: result.skipped.length }) : null}
          <ul className="consequences">
            {result.skipped.map((s) => (
              <li key={s.seq}>{why(s)}</li>
            ))}
          </ul>
        </>
      ) : (
        t("mdm.retried.next")
      )}
    </Notice>
  );
}

/** What the MDM's webhook answered the test message. */
function TestOutcome({ result }: { result: MdmWebhookTest }) {
  const { t } = useTranslation();
  const errorText = useCommandError();
  const statusWords = useStatusWords();
  if (result.outcome === "delivered")
    return (
      <Notice tone="success" title={t("mdm.test.delivered")}>
        {t("mdm.test.deliveredText", { status: statusWords(result.status), ms: result.latencyMs })}
      </Notice>
    );
  return (
    <Notice tone="danger" title={t("mdm.test.failed")}>
      {t("mdm.test.failedText", { why: errorText(result.error), ms: result.latencyMs })}{" "}
      {result.status !== undefined && !result.retryable
        ? t("mdm.test.refusedHint")
        : t("mdm.test.unreachableHint")}
    </Notice>
  );
}

/** No webhook to test on this server (409), or another refusal. */
function TestRefusal({ error }: { error: Error }) {
  const { t } = useTranslation();
  if (error instanceof ApiProblemError && error.code === "mdm_webhook_not_configured")
    return (
      <Notice tone="warning" title={t("mdm.test.notConfigured")}>
        {t("mdm.test.notConfiguredText")}
      </Notice>
    );
  return <ErrorNotice error={error} />;
}
