import { useTranslation } from "react-i18next";
import type { Account } from "../api/types";
import { Card, Stat } from "../ui/Card";
import { RuleRef } from "../ui/RuleRef";
import { EmptyState } from "../ui/States";
import type { WhatIfOutcome, WhatIfResult } from "./api";

const GROUPS = ["gain", "lose", "wait", "refuse"] as const;

/** Who would gain, lose or wait, per app. */
export function WhatIfResults({ result, accounts }: { result: WhatIfResult; accounts: Account[] }) {
  const { t } = useTranslation();
  const name = (id?: string) => accounts.find((a) => a.id === id)?.displayName ?? id ?? "";
  const line = (o: WhatIfOutcome) => (
    <li key={`${o.subject.kind}-${o.subject.id}`}>
      <span className="mono small">
        {t(`explain.${o.subject.kind}`)} {o.subject.id}
      </span>
      {o.accountId ? <span className="muted small"> · {name(o.accountId)}</span> : null}
      {o.type ? <span className="muted small"> · {t(`licenseType.${o.type}`)}</span> : null}
      <span className="chips-inline">
        {" "}
        {o.because.map((r) => (
          <RuleRef key={r} id={r} compact />
        ))}
      </span>
    </li>
  );
  return (
    <>
      <div className="stats">
        {GROUPS.map((g) => (
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
      {result.apps.map((app) => (
        <Card key={app.adamId} title={`${t("licenses.app")} ${app.adamId}`}>
          <div className="whatif-groups">
            {GROUPS.map((g) => (
              <div key={g} className={`whatif-group whatif-${g}`}>
                <h3 className="section-title">
                  {t(`whatIf.${g}`)} ({app[g].length})
                </h3>
                {app[g].length ? (
                  <ul className="name-list">{app[g].map(line)}</ul>
                ) : (
                  <p className="muted small">—</p>
                )}
              </div>
            ))}
          </div>
        </Card>
      ))}
    </>
  );
}
