import { useCallback, useState } from "react";
import { useTranslation } from "react-i18next";
import { useAccounts } from "../accounts/api";
import { fieldErrorsOf } from "../api/client";
import { useRefreshSpace } from "../api/query";
import type { RulesBase } from "../api/types";
import { useSpace } from "../app/space";
import { Button } from "../ui/Button";
import { Card } from "../ui/Card";
import { PageHeader } from "../ui/PageHeader";
import { RuleList } from "../ui/RuleRef";
import { ErrorNotice, FormError, Loading, Notice } from "../ui/States";
import { AppliedNotice, ApplyChange } from "./ApplyChange";
import { type ProposedChange, useWhatIf } from "./api";
import { PriorityProposal, RemoveProposal, RulesProposal } from "./Proposals";
import { WhatIfResults } from "./WhatIfResults";

type Kind = ProposedChange["kind"];
/** Which change's starting point changed meanwhile: the accounts' order, or the app's rules. */
type Stale = "order" | "rules";
/**
 * A change, and for a rule edit the rules it started from; once evaluated, the accounts'
 * order it was evaluated against (`from`): ApplyChange applies it only while these hold.
 */
type Proposal = { change: ProposedChange; base?: RulesBase | undefined; from?: string[] };

/** What-if: a proposed priority order, rule edit or token removal against current demand; nothing is changed. */
export function WhatIfPage() {
  const { t } = useTranslation();
  const { spaceId } = useSpace();
  const accounts = useAccounts(spaceId);
  const whatIf = useWhatIf(spaceId);
  const [kind, setKind] = useState<Kind>("priorities");
  const [proposal, setProposal] = useState<Proposal>();
  const propose = useCallback(
    (change: ProposedChange | undefined, base?: RulesBase) =>
      setProposal(change ? { change, base } : undefined),
    [],
  );
  // The proposal the results show: applying it makes that one, not one edited since.
  const [evaluated, setEvaluated] = useState<Proposal>();
  const [applied, setApplied] = useState(false);
  // What the evaluated change began from changed meanwhile: said, and the change starts again
  // from what is now (a new round), read again first.
  const [stale, setStale] = useState<Stale>();
  const [round, setRound] = useState(0);
  const refresh = useRefreshSpace(spaceId);
  const startAgain = async (why: Stale) => {
    setStale(why);
    setEvaluated(undefined);
    whatIf.reset();
    await refresh();
    setRound((r) => r + 1);
  };
  const errors = fieldErrorsOf(whatIf.error);
  if (accounts.isPending) return <Loading />;
  if (accounts.isError) return <ErrorNotice error={accounts.error} onRetry={accounts.refetch} />;
  return (
    <>
      <PageHeader title={t("whatIf.title")} description={t("whatIf.description")} />
      <Card>
        <div className="segmented" role="radiogroup" aria-label={t("whatIf.kind")}>
          {(["priorities", "rules", "remove_account"] as const).map((k) => (
            <label key={k} className={kind === k ? "active" : ""}>
              <input
                type="radio"
                name="kind"
                value={k}
                checked={kind === k}
                onChange={() => {
                  setKind(k);
                  propose(undefined);
                  setApplied(false);
                  setStale(undefined);
                  whatIf.reset();
                }}
              />
              {t(`whatIf.kinds.${k}`)}
            </label>
          ))}
        </div>
        <div className="proposal">
          {kind === "priorities" ? (
            <PriorityProposal key={round} accounts={accounts.data} onChange={propose} />
          ) : null}
          {kind === "rules" ? (
            <RulesProposal accounts={accounts.data} onChange={propose} round={round} />
          ) : null}
          {kind === "remove_account" ? <RemoveProposal accounts={accounts.data} onChange={propose} /> : null}
        </div>
        {Object.keys(errors).length > 0 ? <ErrorNotice error={whatIf.error} /> : null}
        <Button
          variant="primary"
          disabled={!proposal}
          busy={whatIf.isPending}
          onClick={() => {
            if (!proposal) return;
            setApplied(false);
            setStale(undefined);
            const from = [...accounts.data].sort((a, b) => a.priority - b.priority).map((a) => a.id);
            whatIf.mutate([proposal.change], { onSuccess: () => setEvaluated({ ...proposal, from }) });
          }}
        >
          {t("whatIf.evaluate")}
        </Button>
      </Card>
      <FormError error={whatIf.error} />
      {applied ? <AppliedNotice /> : null}
      {stale ? (
        <Notice tone="warning">
          {t(stale === "order" ? "whatIf.apply.orderChanged" : "whatIf.apply.rulesChanged")}
        </Notice>
      ) : null}
      {whatIf.data ? (
        <>
          <WhatIfResults result={whatIf.data} accounts={accounts.data} />
          <Card title={t("explain.because")}>
            <RuleList ids={whatIf.data.rules.map((r) => r.id)} />
          </Card>
          {evaluated && !applied ? (
            <ApplyChange
              change={evaluated.change}
              base={evaluated.base}
              from={evaluated.from}
              accounts={accounts.data}
              onApplied={() => setApplied(true)}
              onStale={(why) => void startAgain(why)}
            />
          ) : null}
        </>
      ) : null}
    </>
  );
}
