import { useState } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import { ACCOUNTS_REORDERED, useSetOrder } from "../accounts/api";
import { ApiProblemError } from "../api/client";
import type { Account, RulesBase } from "../api/types";
import { spacePath, useSpace } from "../app/space";
import { rulesChangedMeanwhile, useSetRules } from "../apps/api";
import { Button } from "../ui/Button";
import { Card } from "../ui/Card";
import { ConfirmDialog } from "../ui/Dialog";
import { RuleRef } from "../ui/RuleRef";
import { ErrorNotice, Notice } from "../ui/States";
import type { ProposedChange } from "./api";

/**
 * The change just evaluated, made for real: a priority order (MA6, nothing revoked: MA3) or
 * an app's rules at one account (DI1), after a confirmation. A token's removal is the
 * Accounts page's, confirmed twice there (AC5).
 */
export function ApplyChange({
  change,
  base,
  from,
  accounts,
  onApplied,
  onStale,
}: {
  change: ProposedChange;
  /** What the change began from changed meanwhile (the order, or the rules): nothing was applied. */
  onStale: (why: "order" | "rules") => void;
  /** The accounts' order the change was evaluated against: an order is applied only while it holds. */
  from?: string[] | undefined;
  /** A rule edit's starting rules: applied only if the app's rules are still of their version. */
  base?: RulesBase | undefined;
  accounts: Account[];
  onApplied: () => void;
}) {
  const { t } = useTranslation();
  const { spaceId, canWrite } = useSpace();
  if (!canWrite) return null;
  if (change.kind === "remove_account") {
    return (
      <Card title={t("whatIf.apply.title")}>
        <p>
          {t("whatIf.apply.removeText")}{" "}
          <Link to={spacePath(spaceId, "/accounts")}>{t("accounts.title")}</Link>
        </p>
        <RuleRef id="AC5" />
      </Card>
    );
  }
  return change.kind === "priorities" ? (
    <ApplyOrder
      order={change.order}
      from={from}
      accounts={accounts}
      onApplied={onApplied}
      onStale={() => onStale("order")}
    />
  ) : (
    <ApplyRules
      change={change}
      base={base}
      accounts={accounts}
      onApplied={onApplied}
      onStale={() => onStale("rules")}
    />
  );
}

function ApplyOrder({
  order,
  from,
  accounts,
  onApplied,
  onStale,
}: {
  order: string[];
  from: string[] | undefined;
  accounts: Account[];
  onApplied: () => void;
  onStale: () => void;
}) {
  const { t } = useTranslation();
  const { spaceId } = useSpace();
  const setOrder = useSetOrder(spaceId);
  const [confirming, setConfirming] = useState(false);
  const current = [...accounts].sort((a, b) => a.priority - b.priority).map((a) => a.id);
  if (current.join() === order.join()) return null;
  const names = order.map((id) => accounts.find((a) => a.id === id)?.displayName ?? id);
  // One request, applied whole or not at all; refused if the accounts moved since the evaluation.
  const apply = () =>
    setOrder.mutate(
      { order, from: from ?? current },
      {
        onSuccess: () => {
          setConfirming(false);
          onApplied();
        },
        onError: (error) => {
          setConfirming(false);
          if (error instanceof ApiProblemError && error.code === ACCOUNTS_REORDERED) onStale();
        },
      },
    );
  return (
    <Card title={t("whatIf.apply.title")}>
      <Button variant="primary" onClick={() => setConfirming(true)}>
        {t("whatIf.apply.order")}
      </Button>
      {setOrder.error ? <ErrorNotice error={setOrder.error} /> : null}
      <ConfirmDialog
        open={confirming}
        title={t("whatIf.apply.orderTitle")}
        confirmLabel={t("whatIf.apply.order")}
        busy={setOrder.isPending}
        onConfirm={apply}
        onClose={() => setConfirming(false)}
      >
        <ol>
          {names.map((name) => (
            <li key={name}>{name}</li>
          ))}
        </ol>
        <p>{t("whatIf.apply.orderText")}</p>
        <RuleRef id="MA3" />
      </ConfirmDialog>
    </Card>
  );
}

function ApplyRules({
  change,
  base,
  accounts,
  onApplied,
  onStale,
}: {
  change: Extract<ProposedChange, { kind: "rules" }>;
  base: RulesBase | undefined;
  accounts: Account[];
  onApplied: () => void;
  onStale: () => void;
}) {
  const { t } = useTranslation();
  const { spaceId } = useSpace();
  const { accountId, adamId, kind: _, ...rules } = change;
  const save = useSetRules(spaceId, accountId, adamId);
  const [confirming, setConfirming] = useState(false);
  const account = accounts.find((a) => a.id === accountId)?.displayName ?? accountId;
  // Another administrator may have changed these rules since the edit began: applying the
  // edit would undo that without a word. The server applies it only to the version it began
  // from (If-Match), and says when they changed.
  const apply = () =>
    save.mutate(
      { rules, version: base?.version },
      {
        onSuccess: () => {
          setConfirming(false);
          onApplied();
        },
        onError: (error) => {
          if (!rulesChangedMeanwhile(error)) return;
          setConfirming(false);
          onStale();
        },
      },
    );
  return (
    <Card title={t("whatIf.apply.title")}>
      <Button variant="primary" onClick={() => setConfirming(true)}>
        {t("whatIf.apply.rules")}
      </Button>
      {save.error && !rulesChangedMeanwhile(save.error) ? <ErrorNotice error={save.error} /> : null}
      <ConfirmDialog
        open={confirming}
        title={t("whatIf.apply.rulesTitle", { account })}
        confirmLabel={t("whatIf.apply.rules")}
        busy={save.isPending}
        onConfirm={apply}
        onClose={() => setConfirming(false)}
      >
        <p>{t("whatIf.apply.rulesText")}</p>
        <RuleRef id="DI1" />
      </ConfirmDialog>
    </Card>
  );
}

/** Said once a change is applied: the evaluation shown was of the state before. */
export function AppliedNotice() {
  const { t } = useTranslation();
  return <Notice tone="success">{t("whatIf.apply.done")}</Notice>;
}
