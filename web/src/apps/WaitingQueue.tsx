import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import type { WaitingRequest } from "../api/types";
import { spacePath, useSpace } from "../app/space";
import { explainSearch } from "../explain/api";
import { Badge } from "../ui/Badge";
import { Card } from "../ui/Card";
import { type Column, DataTable, SearchBox, useTableQuery } from "../ui/DataTable";
import { useFormat } from "../ui/format";
import { RuleRef } from "../ui/RuleRef";
import { EmptyState, ErrorNotice, Loading } from "../ui/States";
import { useWaiting } from "./api";

/** What every list of waiting requests says of one: why it asked, what it waits for, since when. */
type Wait = Pick<WaitingRequest, "why" | "reason" | "waitingSince">;

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
      render: (w) => (
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
 * DB2, UB3: the apps a device or a user waits for, its place in each app's queue, and a
 * link to why (Explain, for that subject and app).
 */
export function SubjectWaitingApps({
  subject,
  rows,
  caption,
}: {
  subject: { kind: "user" | "device"; id: string };
  rows: SubjectWaiting[];
  caption: string;
}) {
  const { t } = useTranslation();
  const { spaceId } = useSpace();
  const waitColumns = useWaitColumns<SubjectWaiting>();
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
        <Link
          to={spacePath(spaceId, `/explain${explainSearch({ app: w.adamId, subject })}`)}
          aria-label={t("usage.whyOf", { app: w.name ?? w.adamId })}
        >
          {t("usage.why")}
        </Link>
      ),
    },
  ];
  return <DataTable caption={caption} columns={columns} rows={rows} rowKey={(w) => w.adamId} />;
}

/**
 * DB2, UB3: who waits for a license of the app, in the order they are served (first asked,
 * first served), why each waits and since when: the queue a free seat or a purchase serves.
 */
export function WaitingQueue({ adamId }: { adamId: string }) {
  const { t } = useTranslation();
  const { spaceId } = useSpace();
  const waitColumns = useWaitColumns<WaitingRequest>();
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
            <Link to={spacePath(spaceId, `/devices/${w.deviceId}`)}>{w.serialNumber ?? w.deviceId}</Link>
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
        return (
          <Link
            to={spacePath(spaceId, `/explain${explainSearch({ app: adamId, subject })}`)}
            aria-label={t("waiting.whyOf", { name: w.userName ?? w.serialNumber ?? subject.id })}
          >
            {t("usage.why")}
          </Link>
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
        <ErrorNotice error={waiting.error} />
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
