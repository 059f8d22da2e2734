import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import { spacePath, useSpace } from "../app/space";
import type { RuleUse, UsedBy } from "./api";

/** A rule (account, app) that uses a group: the app's page, open on that account's rules. */
export function RuleUseLink({ rule }: { rule: RuleUse }) {
  const { spaceId } = useSpace();
  return (
    <Link to={spacePath(spaceId, `/apps/${rule.adamId}?account=${encodeURIComponent(rule.accountId)}`)}>
      {rule.appName ?? rule.adamId}
    </Link>
  );
}

/**
 * The rules that use a group, each as "app · account", the first `shown` of them and how
 * many more; "No rule" when none does. `inline`: on one line (a row of the groups list).
 */
export function RuleUses({ usedBy, shown, inline }: { usedBy: UsedBy; shown: number; inline?: boolean }) {
  const { t } = useTranslation();
  if (usedBy.total === 0) return <span className="muted">{t("groups.usedByNone")}</span>;
  const rules = usedBy.rules.slice(0, shown);
  const more = usedBy.total - rules.length;
  const moreText = more > 0 ? t("groups.usedByMore", { count: more }) : undefined;
  if (inline) {
    return (
      <span className="text-links">
        {rules.map((r, i) => (
          <span key={`${r.accountId}/${r.adamId}`}>
            {i > 0 ? ", " : null}
            <RuleUseLink rule={r} /> <span className="muted small">· {r.accountName}</span>
          </span>
        ))}
        {moreText ? <span className="muted small"> {moreText}</span> : null}
      </span>
    );
  }
  return (
    <ul className="name-list">
      {rules.map((r) => (
        <li key={`${r.accountId}/${r.adamId}`}>
          <RuleUseLink rule={r} /> <span className="muted small">· {r.accountName}</span>
        </li>
      ))}
      {moreText ? <li className="muted small">{moreText}</li> : null}
    </ul>
  );
}
