import { useTranslation } from "react-i18next";
import { Badge } from "../ui/Badge";
import { useFormat } from "../ui/format";
import { RuleRef } from "../ui/RuleRef";
import type { AccountConsidered } from "./api";

/**
 * The accounts as the decision walked them, in priority order (MA1): eligible or not and
 * the rule that says so, the seats, and the account taken or why each was passed over.
 * Every cell comes from the engine's own trace of the decision (GET /explain `accounts`).
 */
export function AccountsWalked({ accounts }: { accounts: AccountConsidered[] }) {
  const { t } = useTranslation();
  const f = useFormat();
  if (accounts.length === 0) return <p className="muted small">{t("explain.accounts.none")}</p>;
  const rules = (ids: string[]) => (
    <span className="chips-inline">
      {ids.map((r) => (
        <RuleRef key={r} id={r} compact />
      ))}
    </span>
  );
  return (
    <div className="table-wrap">
      <table className="table accounts-walked">
        <caption className="sr-only">{t("explain.accounts.title")}</caption>
        <thead>
          <tr>
            <th scope="col" className="num">
              {t("explain.accounts.priority")}
            </th>
            <th scope="col">{t("explain.accounts.account")}</th>
            <th scope="col">{t("explain.accounts.eligible")}</th>
            <th scope="col">{t("explain.accounts.seats")}</th>
            <th scope="col">{t("explain.accounts.result")}</th>
          </tr>
        </thead>
        <tbody>
          {accounts.map((a) => (
            <tr key={a.accountId} data-account={a.name}>
              <td className="num">{a.priority}</td>
              <td>{a.name}</td>
              <td>
                <Badge tone={a.eligible ? "success" : "neutral"}>
                  {t(a.eligible ? "common.yes" : "common.no")}
                </Badge>{" "}
                {t(`explain.accounts.eligibility.${a.eligibility}`)} {rules(a.eligibilityBecause)}
              </td>
              <td>
                {a.seats
                  ? t("explain.accounts.seatsText", {
                      free: t("explain.accounts.seatsFree", { count: a.seats.free }),
                      total: f.number(a.seats.total),
                      used: t("explain.accounts.seatsUsed", { count: a.seats.used }),
                      held: t("explain.accounts.seatsHeld", { count: a.seats.heldForReservations }),
                    })
                  : "—"}
              </td>
              <td>
                {a.taken ? (
                  <Badge tone="success">{t("explain.accounts.taken")}</Badge>
                ) : a.reached ? (
                  t(`explain.accounts.verdict.${a.verdict}`)
                ) : (
                  t(`explain.accounts.notReached.${a.because[0] === "MA5" ? "MA5" : "MA1"}`)
                )}{" "}
                {rules(a.because)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
