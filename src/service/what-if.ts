import {
  type AccountForApp,
  type Decision,
  type DistributionRules,
  decide,
  LIVE_STATES,
  type LicenseRequest,
  type LicenseType,
  type RuleId,
  SEAT_HOLDING_STATES,
  type Subject,
} from "../licensing/index.js";
import type { Db } from "../store/database.js";
import { NotFoundError, StoreError } from "../store/errors.js";
import { listAccounts, listLicensesForApp, listWaitingRequests, loadDecisionWorlds } from "../store/index.js";
import { DECISION_TEXTS, DEFAULT_LANGUAGE, type Language } from "./decision-texts.js";
import { describe, describeRules } from "./describe.js";

/**
 * What-if: a proposed change evaluated against current demand (live licenses and
 * waiting requests), writing nothing. Holders are decided again (MA3: a new order
 * keeps every license; LT4: rule edits do not take licenses away), holders of a removed
 * account lose theirs (AC5), and the queue is decided in order with seats counted as
 * they are taken: who would gain, lose or wait, per app.
 */
export type ProposedChange =
  | { kind: "priorities"; order: string[] }
  | {
      kind: "rules";
      accountId: string;
      adamId: string;
      fcfs?: { groupIds: string[]; requestedType: LicenseType; mandatoryType: LicenseType };
      reservedUserIds: string[];
      reservedDeviceIds: string[];
      prohibitedUserIds: string[];
    }
  | { kind: "remove_account"; accountId: string };

export interface SubjectOutcome {
  subject: { kind: "user" | "device"; id: string };
  outcome: Decision["outcome"];
  accountId?: string;
  type?: LicenseType;
  summary: string;
  because: RuleId[];
}

export interface AppImpact {
  adamId: string;
  gain: SubjectOutcome[];
  lose: SubjectOutcome[];
  wait: SubjectOutcome[];
  refuse: SubjectOutcome[];
  /** Holders whose license stays as it is. */
  keep: number;
}

export interface WhatIfResult {
  apps: AppImpact[];
  totals: { gain: number; lose: number; wait: number; refuse: number; keep: number };
  /** The rules that shape the outcome of this kind of change. */
  rules: Array<{ id: RuleId; sentence: string }>;
}

const MAX_APPS = 500;

export async function whatIf(
  db: Db,
  input: { spaceId: string; changes: readonly ProposedChange[]; apps?: readonly string[] },
  language: Language = DEFAULT_LANGUAGE,
): Promise<WhatIfResult> {
  const accounts = await listAccounts(db, input.spaceId);
  const known = new Set(accounts.map((a) => a.id));
  for (const change of input.changes) {
    const ids = change.kind === "priorities" ? change.order : [change.accountId];
    const missing = ids.find((id) => !known.has(id));
    if (missing !== undefined) throw new NotFoundError("account", missing);
    if (change.kind === "rules") checkRules(change);
  }
  const adamIds = input.apps?.length
    ? [...new Set(input.apps)]
    : await appsTouched(db, input.spaceId, input.changes);
  const apps: AppImpact[] = [];
  const names = new Map(accounts.map((a) => [a.id, a.displayName]));
  const name = (id: string) => names.get(id) ?? id;
  for (const adamId of adamIds.slice(0, MAX_APPS))
    apps.push(await impactOn(db, input.spaceId, adamId, input.changes, name, language));
  const totals = { gain: 0, lose: 0, wait: 0, refuse: 0, keep: 0 };
  for (const app of apps) {
    totals.gain += app.gain.length;
    totals.lose += app.lose.length;
    totals.wait += app.wait.length;
    totals.refuse += app.refuse.length;
    totals.keep += app.keep;
  }
  const ruleIds: RuleId[] = input.changes.flatMap((c): RuleId[] =>
    c.kind === "priorities"
      ? ["MA3", "MA1", "MA6"]
      : c.kind === "rules"
        ? ["DI1", "DI7", "LT4"]
        : ["AC5", "MA2"],
  );
  return { apps, totals, rules: describeRules(ruleIds, language) };
}

function checkRules(change: Extract<ProposedChange, { kind: "rules" }>): void {
  const prohibited = new Set(change.prohibitedUserIds);
  const both = change.reservedUserIds.find((id) => prohibited.has(id));
  if (both !== undefined) {
    throw new StoreError(
      "reserved_and_prohibited",
      `user ${both} cannot be both reserved and prohibited (DI7)`,
      {
        userId: both,
      },
    );
  }
}

async function appsTouched(db: Db, spaceId: string, changes: readonly ProposedChange[]): Promise<string[]> {
  const out = new Set<string>();
  for (const change of changes) {
    if (change.kind === "rules") {
      out.add(change.adamId);
      continue;
    }
    let query = db.selectFrom("assets").select("adam_id").distinct().where("space_id", "=", spaceId);
    if (change.kind === "remove_account") query = query.where("account_id", "=", change.accountId);
    for (const row of await query.orderBy("adam_id").execute()) out.add(row.adam_id);
  }
  return [...out];
}

async function impactOn(
  db: Db,
  spaceId: string,
  adamId: string,
  changes: readonly ProposedChange[],
  name: (accountId: string) => string,
  language: Language,
): Promise<AppImpact> {
  const impact: AppImpact = { adamId, gain: [], lose: [], wait: [], refuse: [], keep: 0 };
  const [seatHolders, waiting] = await Promise.all([
    listLicensesForApp(db, spaceId, adamId, { states: SEAT_HOLDING_STATES }),
    listWaitingRequests(db, spaceId, adamId),
  ]);
  const live = seatHolders.filter((l) => LIVE_STATES.includes(l.state));
  const holders: LicenseRequest[] = live.map((l) => ({
    spaceId,
    adamId,
    subject:
      l.type === "device"
        ? { kind: "device", deviceId: l.deviceId ?? "" }
        : { kind: "user", userId: l.userId ?? "" },
    why: l.type === "device" ? "check_in" : "requested",
  }));
  const queue: LicenseRequest[] = waiting.map(({ waitingSince: _w, ...request }) => request);
  const requests = [...holders, ...queue];
  if (requests.length === 0) return impact;
  const worlds = await loadDecisionWorlds(db, { spaceId, adamId, requests });
  const base = worlds[0]?.accounts ?? [];
  const removed = new Set(changes.flatMap((c) => (c.kind === "remove_account" ? [c.accountId] : [])));
  const accounts = proposedAccounts(base, changes, adamId, seatHolders).filter((a) => !removed.has(a.id));

  const decideNow = (index: number): Decision => {
    const world = worlds[index];
    const request = requests[index];
    if (!world || !request) throw new Error("what-if: request without a world");
    return decide(request, {
      ...world,
      accounts,
      licenses: world.licenses.filter((l) => !removed.has(l.accountId)),
    });
  };
  const take = (decision: Decision): void => {
    if (decision.outcome !== "grant") return;
    const i = accounts.findIndex((a) => a.id === decision.accountId);
    const account = accounts[i];
    if (!account?.asset) return;
    accounts[i] = {
      ...account,
      asset: { ...account.asset, used: account.asset.used + 1 },
      rules: decision.reserved
        ? { ...account.rules, unusedReservations: Math.max(0, account.rules.unusedReservations - 1) }
        : account.rules,
    };
  };

  for (const [i, license] of live.entries()) {
    if (!removed.has(license.accountId)) {
      impact.keep += 1;
      continue;
    }
    // AC5: the license goes; what the subject would get next is shown alongside.
    const next = decideNow(i);
    impact.lose.push({
      ...outcomeOf(requests[i]?.subject, next, name, language),
      summary: DECISION_TEXTS[language].loses(describe(next, name, language).summary),
    });
  }
  for (let i = holders.length; i < requests.length; i++) {
    const decision = decideNow(i);
    take(decision);
    const entry = outcomeOf(requests[i]?.subject, decision, name, language);
    if (decision.outcome === "grant" || decision.outcome === "keep") impact.gain.push(entry);
    else if (decision.outcome === "wait") impact.wait.push(entry);
    else impact.refuse.push(entry);
  }
  return impact;
}

/** The accounts as they would be after the change: new priorities, new rules. */
function proposedAccounts(
  base: readonly AccountForApp[],
  changes: readonly ProposedChange[],
  adamId: string,
  seatHolders: ReadonlyArray<{ accountId: string; userId?: string; deviceId?: string }>,
): AccountForApp[] {
  let accounts = base.map((a) => ({ ...a }));
  for (const change of changes) {
    if (change.kind === "priorities") {
      const rank = new Map(change.order.map((id, i) => [id, i]));
      const sorted = [...accounts].sort(
        (a, b) =>
          (rank.get(a.id) ?? change.order.length + a.priority) -
          (rank.get(b.id) ?? change.order.length + b.priority),
      );
      accounts = sorted.map((a, i) => ({ ...a, priority: i + 1 }));
    } else if (change.kind === "rules" && change.adamId === adamId) {
      accounts = accounts.map((a) =>
        a.id === change.accountId ? { ...a, rules: rulesOf(change, a.id, seatHolders) } : a,
      );
    }
  }
  return accounts;
}

function rulesOf(
  change: Extract<ProposedChange, { kind: "rules" }>,
  accountId: string,
  seatHolders: ReadonlyArray<{ accountId: string; userId?: string; deviceId?: string }>,
): DistributionRules {
  const holding = new Set(
    seatHolders.filter((l) => l.accountId === accountId).map((l) => l.userId ?? l.deviceId ?? ""),
  );
  const reserved = [...new Set([...change.reservedUserIds, ...change.reservedDeviceIds])];
  return {
    ...(change.fcfs ? { fcfs: change.fcfs } : {}),
    reservedUserIds: [...new Set(change.reservedUserIds)],
    reservedDeviceIds: [...new Set(change.reservedDeviceIds)],
    prohibitedUserIds: [...new Set(change.prohibitedUserIds)],
    unusedReservations: reserved.filter((id) => !holding.has(id)).length,
  };
}

function outcomeOf(
  subject: Subject | undefined,
  decision: Decision,
  name: (accountId: string) => string,
  language: Language,
): SubjectOutcome {
  const id = subject ? (subject.kind === "user" ? subject.userId : subject.deviceId) : "";
  return {
    subject: { kind: subject?.kind ?? "user", id },
    outcome: decision.outcome,
    ...(decision.outcome === "grant" || decision.outcome === "keep"
      ? { accountId: decision.accountId, type: decision.type }
      : {}),
    summary: describe(decision, name, language).summary,
    because: decision.because,
  };
}
