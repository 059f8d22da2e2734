import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import { downloadUrl } from "../api/client";
import { usePage } from "../api/query";
import type { ActivityEntry } from "../api/types";
import { spacePath, useSpace } from "../app/space";
import { useSearchKeys } from "../i18n/message-search";
import { Card } from "../ui/Card";
import { type Column, DataTable, SearchBox, useTableQuery } from "../ui/DataTable";
import { useUrlFilters } from "../ui/FilterSelect";
import { useFormat } from "../ui/format";
import { PageHeader } from "../ui/PageHeader";
import { RuleRef } from "../ui/RuleRef";
import { EmptyState, ErrorNotice, Loading } from "../ui/States";
import { ActivityChanges } from "./ActivityChanges";
import { HISTORY_SUBJECTS, type HistorySubject } from "./history";
import { useActivityMessage } from "./message";

/** What the toolbar sets. */
const TOOLBAR = ["action", "actor", "rule", "from", "to"] as const;
/**
 * Whose history (HISTORY_SUBJECTS): set by the History links of a user's, device's, app's,
 * account's or license's page (history.tsx), shown as chips. Every filter lives in the URL,
 * so a history can be bookmarked, sent and opened again.
 */
type FilterKey = (typeof TOOLBAR)[number] | HistorySubject;

const ACTORS = ["admin", "api_token", "system", "apple", "mdm"] as const;

/** The filter's choices: every action the console has words for (`actions.*`), by label. */
function actionLabels(tree: unknown, prefix = ""): [string, string][] {
  if (typeof tree !== "object" || tree === null) return [];
  return Object.entries(tree)
    .flatMap(([key, value]): [string, string][] =>
      typeof value === "string" ? [[`${prefix}${key}`, value]] : actionLabels(value, `${prefix}${key}.`),
    )
    .sort(([, a], [, b]) => a.localeCompare(b));
}

/** The activity log (invariant 4): filters, paging, and the CSV export of the same filters. */
export function ActivityPage() {
  const { t, i18n } = useTranslation();
  const f = useFormat();
  const messageOf = useActivityMessage();
  const actions = actionLabels(i18n.getResourceBundle(i18n.language, "translation")?.actions);
  const { spaceId } = useSpace();
  const table = useTableQuery({ order: "desc" });
  const url = useUrlFilters<FilterKey>(() => table.setPage(1));
  const filters = Object.fromEntries(
    [...TOOLBAR, ...HISTORY_SUBJECTS].map((k) => [k, url.get(k)]),
  ) as Partial<Record<FilterKey, string>>;
  // A rule the catalogue does not have, or a period that ends before it starts, is said beside
  // its field and not sent: the log stays as it was instead of a page-wide error.
  const rules = Object.keys(i18n.getResourceBundle(i18n.language, "translation")?.ruleText ?? {});
  const unknownRule = filters.rule && !rules.includes(filters.rule) ? filters.rule : undefined;
  const reversed = filters.from && filters.to && filters.from > filters.to;
  const query = {
    ...filters,
    rule: unknownRule ? undefined : filters.rule,
    from: filters.from && !reversed ? new Date(`${filters.from}T00:00:00`).toISOString() : undefined,
    to: filters.to && !reversed ? new Date(`${filters.to}T23:59:59`).toISOString() : undefined,
  };
  // The server matches the English and the names; the console adds the keys its own words match.
  const keys = useSearchKeys("activityMessages", table.query.q);
  const log = usePage<ActivityEntry>(`/spaces/${spaceId}/activity`, { ...table.query, keys, ...query });
  const set = url.set;
  // A subject filter's chip names what the lines name (every line shown is of it).
  const first = log.data?.items[0];
  const chipName: Record<HistorySubject, string | undefined> = {
    user: first?.userName,
    device: first?.deviceSerialNumber,
    app: first?.appName,
    account: first?.accountName,
    license: undefined,
  };
  // Names beside ids (the API joins them); the id stays on hover, and the link opens the page.
  const named = (path: string, name: string | undefined, id: string, mono = false) => (
    <Link to={spacePath(spaceId, path)} title={id} className={mono ? "mono" : undefined}>
      {name ?? id}
    </Link>
  );
  const subject = (e: ActivityEntry) => {
    const parts = [
      e.userId ? named(`/users/${e.userId}`, e.userName, e.userId) : null,
      e.deviceId ? named(`/devices/${e.deviceId}`, e.deviceSerialNumber, e.deviceId, true) : null,
    ].filter((p) => p !== null);
    if (parts.length === 0 && e.accountId)
      parts.push(named(`/accounts/${e.accountId}`, e.accountName, e.accountId));
    if (parts.length === 0) return "—";
    return (
      <span className="subject-list">
        {parts.map((p, i) => (
          <span key={String(i)}>{p}</span>
        ))}
      </span>
    );
  };
  const columns: Column<ActivityEntry>[] = [
    { key: "at", header: t("activity.at"), className: "words", render: (e) => f.dateTime(e.at) },
    {
      key: "actor",
      header: t("activity.actor"),
      className: "words",
      // The kind, then who: an administrator's or an API token's name.
      render: (e) => {
        const kind = t(`actorKind.${e.actor.kind}`, { defaultValue: e.actor.kind });
        return e.actorName ? `${kind} · ${e.actorName}` : kind;
      },
    },
    {
      key: "action",
      header: t("activity.action"),
      className: "words",
      render: (e) => t(`actions.${e.action}`, { defaultValue: e.action }),
    },
    { key: "subject", header: t("activity.subject"), render: subject },
    {
      key: "app",
      header: t("activity.app"),
      render: (e) => (e.adamId ? named(`/apps/${e.adamId}`, e.appName, e.adamId) : "—"),
    },
    {
      key: "rules",
      header: t("licenses.rules"),
      render: (e) => (
        <span className="chips-inline">
          {e.ruleIds.map((r) => (
            <RuleRef key={r} id={r} compact />
          ))}
        </span>
      ),
    },
    {
      key: "message",
      header: t("activity.message"),
      render: (e) => (
        <>
          <span className="small">{messageOf(e)}</span>
          <ActivityChanges entry={e} />
        </>
      ),
    },
  ];
  // The export is what the page lists: the same filters, the same search, and its messages in the console's language.
  const csv = downloadUrl(`/spaces/${spaceId}/activity.csv`, {
    ...query,
    q: table.query.q,
    keys,
    lang: i18n.language === "fr" ? "fr" : "en",
  });
  return (
    <>
      <PageHeader
        title={t("activity.title")}
        description={t("activity.description")}
        actions={
          <a className="btn btn-secondary" href={csv} download>
            {t("activity.export")}
          </a>
        }
      />
      <Card>
        <div className="toolbar toolbar-wrap">
          <SearchBox
            value={table.query.q ?? ""}
            onChange={table.setSearch}
            label={t("activity.search")}
            placeholder={t("activity.search")}
          />
          <label className="inline-field">
            <span>{t("activity.action")}</span>
            <select
              className="select filter-select"
              value={filters.action ?? ""}
              onChange={(e) => set("action", e.target.value)}
            >
              <option value="">{t("common.all", { context: "female" })}</option>
              {actions.map(([action, label]) => (
                <option key={action} value={action}>
                  {label}
                </option>
              ))}
            </select>
          </label>
          <label className="inline-field">
            <span>{t("activity.actor")}</span>
            <select
              className="select"
              value={filters.actor ?? ""}
              onChange={(e) => set("actor", e.target.value)}
            >
              <option value="">{t("common.all")}</option>
              {ACTORS.map((a) => (
                <option key={a} value={a}>
                  {t(`actorKind.${a}`)}
                </option>
              ))}
            </select>
          </label>
          <label className="inline-field">
            <span>{t("activity.rule")}</span>
            <input
              className="input input-sm"
              placeholder="MA5"
              list="activity-rules"
              value={filters.rule ?? ""}
              aria-invalid={unknownRule ? true : undefined}
              aria-describedby={unknownRule ? "activity-filter-error" : undefined}
              onChange={(e) => set("rule", e.target.value.trim().toUpperCase())}
            />
          </label>
          {/* Outside the label: its options' words are not the field's name. */}
          <datalist id="activity-rules">
            {rules.map((id) => (
              <option key={id} value={id}>
                {t(`ruleText.${id}`)}
              </option>
            ))}
          </datalist>
          <label className="inline-field">
            <span>{t("activity.from")}</span>
            <input
              type="date"
              className="input input-sm"
              value={filters.from ?? ""}
              max={filters.to || undefined}
              aria-invalid={reversed ? true : undefined}
              aria-describedby={reversed ? "activity-filter-error" : undefined}
              onChange={(e) => set("from", e.target.value)}
            />
          </label>
          <label className="inline-field">
            <span>{t("activity.to")}</span>
            <input
              type="date"
              className="input input-sm"
              value={filters.to ?? ""}
              min={filters.from || undefined}
              onChange={(e) => set("to", e.target.value)}
            />
          </label>
        </div>
        {unknownRule || reversed ? (
          <p className="field-error" id="activity-filter-error" role="alert">
            {unknownRule
              ? t("activity.unknownRule", { rule: unknownRule })
              : t("activity.reversedPeriod", {
                  from: f.date(`${filters.from}T00:00:00`),
                  to: f.date(`${filters.to}T00:00:00`),
                })}
          </p>
        ) : null}
        {HISTORY_SUBJECTS.some((k) => filters[k]) ? (
          <ul className="chips filter-chips" aria-label={t("activity.historyOf")}>
            {HISTORY_SUBJECTS.flatMap((k) => {
              const value = filters[k];
              if (!value) return [];
              const label = `${t("common.labelled", { label: t(`activity.subjectFilter.${k}`) })} ${chipName[k] ?? value}`;
              return [
                <li key={k} className="chip">
                  <span title={value}>{label}</span>
                  <button
                    type="button"
                    aria-label={t("activity.removeFilter", { filter: label })}
                    onClick={() => set(k, "")}
                  >
                    ×
                  </button>
                </li>,
              ];
            })}
          </ul>
        ) : null}
        {log.isPending ? (
          <Loading />
        ) : log.isError ? (
          <ErrorNotice error={log.error} onRetry={log.refetch} />
        ) : (
          <DataTable
            caption={t("activity.title")}
            columns={columns}
            rows={log.data.items}
            rowKey={(e) => String(e.seq)}
            table={table}
            total={log.data.total}
            empty={<EmptyState title={t("activity.emptyTitle")}>{t("activity.emptyText")}</EmptyState>}
          />
        )}
      </Card>
    </>
  );
}
