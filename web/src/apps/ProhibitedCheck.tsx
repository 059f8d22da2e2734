import { useQueries } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import { api } from "../api/client";
import type { Account, Named } from "../api/types";
import { useSpace } from "../app/space";
import type { Explanation } from "../explain/api";
import { Badge } from "../ui/Badge";
import { RuleRef } from "../ui/RuleRef";
import { Notice } from "../ui/States";

/**
 * DI4: a prohibited user gets nothing from *this* account, but another account may still
 * license them. The console asks the API's explain for each prohibited user (the first
 * CHECKED: one request each) and warns when the decision is a license from another account;
 * past CHECKED, it says which were checked.
 */
const CHECKED = 20;

export function ProhibitedCheck({
  account,
  adamId,
  users,
}: {
  account: Account;
  adamId: string;
  users: Named[];
}) {
  const { t } = useTranslation();
  const { spaceId } = useSpace();
  const checked = users.slice(0, CHECKED);
  const results = useQueries({
    queries: checked.map((u) => ({
      queryKey: [`/spaces/${spaceId}/explain`, adamId, u.id],
      queryFn: () => api.get<Explanation>(`/spaces/${spaceId}/explain`, { app: adamId, user: u.id }),
    })),
  });
  const elsewhere = checked.filter((_, i) => {
    const d = results[i]?.data?.decision;
    return d !== undefined && (d.outcome === "grant" || d.outcome === "keep") && d.accountId !== account.id;
  });
  return (
    <div>
      {elsewhere.length > 0 ? (
        <Notice tone="warning" title={t("rules.di4Title")}>
          {t("rules.di4Text", { count: elsewhere.length, names: elsewhere.map((u) => u.name).join(", ") })}
        </Notice>
      ) : null}
      <ul className="name-list">
        {users.map((u) => (
          <li key={u.id}>
            {u.name}{" "}
            {elsewhere.includes(u) ? <Badge tone="warning">{t("rules.licensedElsewhere")}</Badge> : null}
          </li>
        ))}
      </ul>
      {users.length > CHECKED ? (
        <p className="muted small">{t("rules.di4Checked", { checked: CHECKED, count: users.length })}</p>
      ) : null}
      <RuleRef id="DI4" />
    </div>
  );
}
