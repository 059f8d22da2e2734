import { useState } from "react";
import { useTranslation } from "react-i18next";
import type { Account } from "../api/types";
import { Button } from "../ui/Button";
import { Card, Stat } from "../ui/Card";
import { RuleRef } from "../ui/RuleRef";
import { EmptyState } from "../ui/States";
import { CHANGE_KINDS, type ChangeKind, type WhatIfApp, type WhatIfOutcome, type WhatIfResult } from "./api";

const PAGE = 10;
const COUNTS = ["licensed", "waiting", "refused"] as const;

/**
 * Per app the change affects: today's state beside the change's, the difference, and the
 * subjects whose outcome would differ (by name, a page at a time). Apps the change leaves
 * as they are are only counted.
 */
export function WhatIfResults({ result, accounts }: { result: WhatIfResult; accounts: Account[] }) {
  const { t } = useTranslation();
  const accountName = (id?: string) => accounts.find((a) => a.id === id)?.displayName ?? id ?? "";
  return (
    <>
      <div className="stats">
        {CHANGE_KINDS.map((g) => (
          <Stat
            key={g}
            label={t(`whatIf.${g}`)}
            value={result.totals[g]}
            tone={g === "lose" && result.totals.lose > 0 ? "danger" : undefined}
          />
        ))}
        <Stat label={t("whatIf.keep")} value={result.totals.keep} />
      </div>
      {result.apps.length === 0 ? (
        <Card>
          <EmptyState title={t("whatIf.noChangeTitle")}>{t("whatIf.noChangeText")}</EmptyState>
        </Card>
      ) : null}
      {result.unaffectedApps > 0 ? (
        <p className="muted small whatif-unaffected">
          {t("whatIf.unaffectedApps", { n: result.unaffectedApps })}
        </p>
      ) : null}
      {result.apps.map((app) => (
        <AppImpact key={app.adamId} app={app} accountName={accountName} />
      ))}
    </>
  );
}

function AppImpact({ app, accountName }: { app: WhatIfApp; accountName: (id?: string) => string }) {
  const { t } = useTranslation();
  const rows = CHANGE_KINDS.flatMap((kind) => app[kind].map((o) => ({ kind, o })));
  const [shown, setShown] = useState(PAGE);
  const diff = (n: number) => (n > 0 ? `+${n}` : n < 0 ? `−${-n}` : "0");
  // Today a holder holds its license ("keep"); a queued subject would be granted, wait or be refused.
  const state = (o: { outcome: string; accountId?: string }) =>
    `${o.outcome === "keep" ? t("whatIf.holds") : t(`outcome.${o.outcome}`)}${o.accountId ? ` · ${accountName(o.accountId)}` : ""}`;
  return (
    <Card
      title={
        <>
          {app.name ?? t("whatIf.unnamedApp")} <span className="muted small mono">{app.adamId}</span>
        </>
      }
      className="whatif-app"
    >
      <table className="table whatif-counts">
        <caption className="sr-only">{t("whatIf.countsCaption", { app: app.name ?? app.adamId })}</caption>
        <thead>
          <tr>
            <th scope="col" />
            <th scope="col" className="num">
              {t("whatIf.now")}
            </th>
            <th scope="col" className="num">
              {t("whatIf.after")}
            </th>
            <th scope="col" className="num">
              {t("whatIf.difference")}
            </th>
          </tr>
        </thead>
        <tbody>
          {COUNTS.map((c) => (
            <tr key={c}>
              <th scope="row">{t(`whatIf.counts.${c}`)}</th>
              <td className="num">{app.now[c]}</td>
              <td className="num">{app.after[c]}</td>
              <td className="num">{diff(app.after[c] - app.now[c])}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3 className="section-title">{t("whatIf.affected", { n: rows.length })}</h3>
      <div className="table-wrap">
        <table className="table whatif-subjects">
          <caption className="sr-only">{t("whatIf.affected", { n: rows.length })}</caption>
          <thead>
            <tr>
              <th scope="col">{t("whatIf.subject")}</th>
              <th scope="col">{t("whatIf.change")}</th>
              <th scope="col">{t("whatIf.today")}</th>
              <th scope="col">{t("whatIf.withChange")}</th>
              <th scope="col">{t("whatIf.rules")}</th>
            </tr>
          </thead>
          <tbody>
            {rows.slice(0, shown).map(({ kind, o }) => (
              <SubjectRow key={`${o.subject.kind}-${o.subject.id}`} kind={kind} o={o} state={state} />
            ))}
          </tbody>
        </table>
        {rows.length > PAGE ? (
          <nav className="pager" aria-label={t("table.paging")}>
            <span>{t("table.range", { from: 1, to: Math.min(shown, rows.length), total: rows.length })}</span>
            <div className="pager-buttons">
              {shown < rows.length ? (
                <Button size="sm" variant="ghost" onClick={() => setShown(shown + PAGE * 5)}>
                  {t("whatIf.showMore")}
                </Button>
              ) : null}
              {shown > PAGE ? (
                <Button size="sm" variant="ghost" onClick={() => setShown(PAGE)}>
                  {t("whatIf.showLess")}
                </Button>
              ) : null}
            </div>
          </nav>
        ) : null}
      </div>
    </Card>
  );
}

function SubjectRow({
  kind,
  o,
  state,
}: {
  kind: ChangeKind;
  o: WhatIfOutcome;
  state: (o: { outcome: string; accountId?: string }) => string;
}) {
  const { t } = useTranslation();
  return (
    <tr>
      <td>
        <span className="muted small">{t(`explain.${o.subject.kind}`)}</span> {o.subject.name}
      </td>
      <td>{t(`whatIf.changes.${kind}`)}</td>
      <td>{state(o.before)}</td>
      <td>{kind === "lose" ? t("whatIf.loseNext", { next: state(o) }) : state(o)}</td>
      <td>
        <span className="chips-inline">
          {o.because.map((r) => (
            <RuleRef key={r} id={r} compact />
          ))}
        </span>
      </td>
    </tr>
  );
}
