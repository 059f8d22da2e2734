import { useTranslation } from "react-i18next";
import { useAccounts } from "../accounts/api";
import { useSpace } from "../app/space";
import { Badge, type Tone } from "../ui/Badge";
import { Card } from "../ui/Card";
import { useFormat } from "../ui/format";
import { RuleList } from "../ui/RuleRef";
import { AccountsWalked } from "./AccountsWalked";
import type { Explanation } from "./api";

const TONE: Record<string, Tone> = { grant: "success", keep: "success", wait: "warning", refuse: "danger" };

/** The decision in the console's language (built from its fields) and each rule id with its sentence. */
export function DecisionView({ explanation }: { explanation: Explanation }) {
  const { t } = useTranslation();
  const f = useFormat();
  const { spaceId } = useSpace();
  const accounts = useAccounts(spaceId);
  const d = explanation.decision;
  const account = accounts.data?.find((a) => a.id === d.accountId)?.displayName ?? d.accountId ?? "";
  const type = d.type ? t(`licenseType.${d.type}`).toLowerCase() : "";
  return (
    <Card title={t("explain.decision")} className="decision">
      <div className="decision-head">
        <Badge tone={TONE[d.outcome] ?? "neutral"}>{t(`outcome.${d.outcome}`)}</Badge>
        <p className="decision-summary">
          {t(`explain.summary.${d.outcome}`, { account, type })}
          {d.reserved ? ` ${t("explain.reserved")}` : ""}
          {d.reason ? ` ${t(`reasons.${d.reason}`, { defaultValue: d.reason })}` : ""}
          {d.userMay === "self_purchase" ? ` ${t("explain.selfPurchase")}` : ""}
          {d.outcome === "keep" && d.because?.includes("PB3")
            ? ` ${t("explain.keptOnUnsupportedPlatform")}`
            : ""}
        </p>
      </div>
      <AppleRefusals explanation={explanation} />
      <p className="decision-why muted small">
        {t(`explain.whyUsed.${explanation.whyFrom}`, { why: t(`explain.reason.${explanation.why}`) })}
      </p>
      {explanation.queue ? (
        <p className="decision-queue">
          {t("explain.queue", {
            position: explanation.queue.position,
            of: explanation.queue.of,
            since: f.dateTime(explanation.queue.waitingSince),
          })}
        </p>
      ) : null}
      <h3 className="section-title">{t("explain.because")}</h3>
      <RuleList ids={explanation.rules.map((r) => r.id)} />
      <h3 className="section-title">{t("explain.accounts.title")}</h3>
      <AccountsWalked accounts={explanation.accounts} />
    </Card>
  );
}

/**
 * MA2, DB2: the accounts Apple refused to assign the app to this subject from, then whether
 * another account serves it (a license from an account Apple did not refuse), the request
 * waits for another one, or none can.
 */
function AppleRefusals({ explanation }: { explanation: Explanation }) {
  const { t } = useTranslation();
  const refusals = explanation.appleRefusals ?? [];
  if (refusals.length === 0) return null;
  const d = explanation.decision;
  const refused = new Set(refusals.map((r) => r.accountId));
  const then =
    (d.outcome === "grant" || d.outcome === "keep") && d.accountId && !refused.has(d.accountId)
      ? "serves"
      : d.outcome === "wait" && d.reason !== "apple_refused"
        ? "waits"
        : "none";
  const accounts = refusals
    .map((r) =>
      t("explain.appleRefused.account", {
        account: r.accountName,
        error: `${r.errorNumber}${r.message ? ` ${r.message}` : ""}`,
      }),
    )
    .join(", ");
  return <p className="decision-apple-refused">{t(`explain.appleRefused.${then}`, { accounts })}</p>;
}
