import {
  type AccountForApp,
  type Decision,
  type DecisionWorld,
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
import { deviceIdsOfRefs } from "../store/device.repo.js";
import { NotFoundError, StoreError } from "../store/errors.js";
import {
  checkAccountOrder,
  listAccounts,
  listLicensesForApp,
  listWaitingRequests,
  loadDecisionWorlds,
} from "../store/index.js";
import { DECISION_TEXTS, DEFAULT_LANGUAGE, type Language } from "./decision-texts.js";
import { describe, describeRules } from "./describe.js";

/**
 * What-if: a proposed change evaluated against current demand (live licenses and
 * waiting requests), writing nothing. Holders keep their licenses (MA3: a new order
 * keeps every license; LT4: rule edits do not take licenses away) except holders of a
 * removed account (AC5), who are decided again (before the queue); then the queue is
 * decided in order, seats counted as they are taken. The same is done without the change
 * (`now`), so that each app shows today's state beside the change's (`after`) and only
 * the subjects the change affects: a request that waits today and would still wait is
 * not the change's doing.
 */
export type ProposedChange =
  | { kind: "priorities"; order: string[] }
  | {
      kind: "rules";
      accountId: string;
      adamId: string;
      fcfs?: { groupIds: string[]; requestedType: LicenseType; mandatoryType: LicenseType };
      reservedUserIds: string[];
      /** Device ids, or `serial:<serial number>` as the API takes a device (resolved first). */
      reservedDeviceIds: string[];
      prohibitedUserIds: string[];
    }
  | { kind: "remove_account"; accountId: string };

/** A subject the change affects: what it has or gets today (`before`) and after the change. */
export interface SubjectOutcome {
  /** `name`: the user's name, or the device's serial number. */
  subject: { kind: "user" | "device"; id: string; name: string };
  /** Today, without the change. */
  before: { outcome: Decision["outcome"]; accountId?: string; type?: LicenseType };
  /** After the change (a holder that loses its license: what it would get instead). */
  outcome: Decision["outcome"];
  accountId?: string;
  type?: LicenseType;
  summary: string;
  because: RuleId[];
}

/** Subjects of one app by state: holding or granted a license, waiting, refused. */
export interface AppCounts {
  licensed: number;
  waiting: number;
  refused: number;
}

export interface AppImpact {
  adamId: string;
  /** The app's name (catalog, else an account's asset), when known. */
  name?: string;
  now: AppCounts;
  after: AppCounts;
  /** Subjects that would get a license they would not get today. */
  gain: SubjectOutcome[];
  /** Holders that would lose theirs (AC5). */
  lose: SubjectOutcome[];
  /** Subjects that would wait where today they would not. */
  wait: SubjectOutcome[];
  /** Subjects that would be refused where today they would not. */
  refuse: SubjectOutcome[];
  /** Subjects licensed either way, from another account or of another type. */
  move: SubjectOutcome[];
  /** Holders whose license stays as it is. */
  keep: number;
}

export interface WhatIfResult {
  /** Only the apps the change affects (someone's outcome differs), in adamId order. */
  apps: AppImpact[];
  /** Apps looked at that the change does not affect. */
  unaffectedApps: number;
  /**
   * Subjects per change, over the affected apps, as the apps' counts add up: a holder that
   * would lose its license (AC5) is also counted by what it would get next (it would wait,
   * be refused, or hold one of another account: `move`), so `wait` and `refuse` are every
   * subject that would wait or be refused where today it would not.
   */
  totals: { gain: number; lose: number; wait: number; refuse: number; move: number; keep: number };
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
  for (const [index, change] of input.changes.entries()) {
    const ids = change.kind === "priorities" ? change.order : [change.accountId];
    const missing = ids.findIndex((id) => !known.has(id));
    const where = change.kind === "priorities" ? `order.${missing}` : "accountId";
    if (missing >= 0)
      throw new NotFoundError("account", ids[missing] ?? "", `body.changes.${index}.${where}`);
    if (change.kind === "priorities") checkAccountOrder(change.order, accounts, `changes.${index}.order`);
    if (change.kind === "rules") checkRules(change, index);
  }
  const changes = await withDeviceIds(db, input.spaceId, input.changes);
  const adamIds = input.apps?.length
    ? [...new Set(input.apps)]
    : await appsTouched(db, input.spaceId, changes);
  const apps: AppImpact[] = [];
  const names = new Map(accounts.map((a) => [a.id, a.displayName]));
  const name = (id: string) => names.get(id) ?? id;
  const totals = { gain: 0, lose: 0, wait: 0, refuse: 0, move: 0, keep: 0 };
  let unaffectedApps = 0;
  for (const adamId of adamIds.slice(0, MAX_APPS)) {
    const app = await impactOn(db, input.spaceId, adamId, changes, name, language);
    totals.keep += app.keep;
    const affected = CHANGES.filter((k) => app[k].length > 0);
    if (affected.length === 0) {
      unaffectedApps += 1;
      continue;
    }
    for (const k of CHANGES) totals[k] += app[k].length;
    for (const { outcome } of app.lose)
      totals[outcome === "wait" ? "wait" : outcome === "refuse" ? "refuse" : "move"] += 1;
    apps.push(app);
  }
  await nameApps(db, input.spaceId, apps);
  const ruleIds: RuleId[] = changes.flatMap((c): RuleId[] =>
    c.kind === "priorities"
      ? ["MA3", "MA1", "MA6"]
      : c.kind === "rules"
        ? ["DI1", "DI7", "LT4"]
        : ["AC5", "MA2"],
  );
  return { apps, unaffectedApps, totals, rules: describeRules(ruleIds, language) };
}

const CHANGES = ["gain", "lose", "wait", "refuse", "move"] as const;

/**
 * The changes with each reserved device as an id: a `serial:` reference (as the rules PUT
 * takes it) resolved, those of every change in one query; an unknown serial number is a
 * 404 naming its place (`body.changes.0.reservedDeviceIds.2`).
 */
async function withDeviceIds(
  db: Db,
  spaceId: string,
  changes: readonly ProposedChange[],
): Promise<ProposedChange[]> {
  const places = changes.flatMap((change, index) =>
    change.kind === "rules" ? change.reservedDeviceIds.map((ref, at) => ({ ref, index, at })) : [],
  );
  const ids = await deviceIdsOfRefs(
    db,
    spaceId,
    places.map((p) => p.ref),
    (i) => `body.changes.${places[i]?.index}.reservedDeviceIds.${places[i]?.at}`,
  );
  let next = 0;
  return changes.map((change) =>
    change.kind === "rules"
      ? { ...change, reservedDeviceIds: change.reservedDeviceIds.map(() => ids[next++] ?? "") }
      : change,
  );
}

function checkRules(change: Extract<ProposedChange, { kind: "rules" }>, index: number): void {
  const prohibited = new Set(change.prohibitedUserIds);
  const both = change.reservedUserIds.find((id) => prohibited.has(id));
  if (both !== undefined) {
    throw new StoreError(
      "reserved_and_prohibited",
      `user ${both} cannot be both reserved and prohibited (DI7)`,
      {
        userId: both,
        field: `changes.${index}.reservedUserIds`,
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
  const impact: AppImpact = {
    adamId,
    now: { licensed: 0, waiting: 0, refused: 0 },
    after: { licensed: 0, waiting: 0, refused: 0 },
    gain: [],
    lose: [],
    wait: [],
    refuse: [],
    move: [],
    keep: 0,
  };
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
  // Today (the accounts as they are) and after the change, each with its own seat counts.
  const today = simulation(
    worlds,
    requests,
    base.map((a) => ({ ...a })),
    new Set(),
  );
  const proposed = simulation(
    worlds,
    requests,
    proposedAccounts(base, changes, adamId, seatHolders).filter((a) => !removed.has(a.id)),
    removed,
  );

  const affected: Array<{ list: SubjectOutcome[]; subject: Subject; before: Decision; after: Decision }> = [];
  const lost: Array<{ index: number; before: Decision; requestedAt: Date }> = [];
  for (const [i, license] of live.entries()) {
    impact.now.licensed += 1;
    if (!removed.has(license.accountId)) {
      impact.keep += 1;
      impact.after.licensed += 1;
      continue;
    }
    const before: Decision = {
      outcome: "keep",
      licenseId: license.id,
      accountId: license.accountId,
      type: license.type,
      because: [],
    };
    lost.push({ index: i, before, requestedAt: license.requestedAt });
  }
  // AC5: a removed account's licenses go, and so do its seats; then each holder is decided
  // like any request, taking the seat it gets. The deletion frees no seat elsewhere, so it
  // serves no queue (serveQueue runs when a seat frees); a holder's next request (check-in,
  // a user's request) is decided by the allocation at once: before the queue here. Among
  // themselves, in order of request (DB2: a license keeps its request's `requested_at`;
  // the sort is stable, so ties keep the listing's created_at, id).
  lost.sort((a, b) => a.requestedAt.getTime() - b.requestedAt.getTime());
  for (const { index, before } of lost) {
    const subject = requests[index]?.subject;
    const after = proposed.decideAndTake(index);
    count(impact.after, after);
    if (subject) affected.push({ list: impact.lose, subject, before, after });
  }
  for (let i = holders.length; i < requests.length; i++) {
    const subject = requests[i]?.subject;
    const before = today.decideAndTake(i);
    const after = proposed.decideAndTake(i);
    count(impact.now, before);
    count(impact.after, after);
    const list = changeOf(impact, before, after);
    if (list && subject) affected.push({ list, subject, before, after });
  }
  const subjectNames = await namesOf(
    db,
    spaceId,
    affected.map((a) => a.subject),
  );
  for (const { list, subject, before, after } of affected) {
    const entry = outcomeOf(subject, before, after, name, subjectNames, language);
    // AC5: a holder of a removed account loses its license; the rest is what it would get next.
    list.push(
      list === impact.lose
        ? {
            ...entry,
            summary: DECISION_TEXTS[language].loses(describe(after, name, language).summary),
            because: ["AC5", ...after.because.filter((id) => id !== "AC5")],
          }
        : entry,
    );
  }
  return impact;
}

/**
 * Decides requests in order against `accounts`, a seat taken at each grant (the queue is
 * served in order of request, DB2). `removed`: accounts whose licenses no longer count.
 */
function simulation(
  worlds: readonly DecisionWorld[],
  requests: readonly LicenseRequest[],
  accounts: AccountForApp[],
  removed: ReadonlySet<string>,
) {
  const decideAt = (index: number): Decision => {
    const world = worlds[index];
    const request = requests[index];
    if (!world || !request) throw new Error("what-if: request without a world");
    return decide(request, {
      ...world,
      accounts,
      licenses: removed.size ? world.licenses.filter((l) => !removed.has(l.accountId)) : world.licenses,
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
  return {
    decide: decideAt,
    decideAndTake(index: number): Decision {
      const decision = decideAt(index);
      take(decision);
      return decision;
    },
  };
}

function count(counts: AppCounts, decision: Decision): void {
  if (decision.outcome === "grant" || decision.outcome === "keep") counts.licensed += 1;
  else if (decision.outcome === "wait") counts.waiting += 1;
  else counts.refused += 1;
}

/** The list a queued subject belongs in, or undefined when the change does not affect it. */
function changeOf(impact: AppImpact, before: Decision, after: Decision): SubjectOutcome[] | undefined {
  const licensed = (d: Decision) => d.outcome === "grant" || d.outcome === "keep";
  if (licensed(after)) {
    if (!licensed(before)) return impact.gain;
    const same =
      "accountId" in before &&
      "accountId" in after &&
      before.accountId === after.accountId &&
      before.type === after.type;
    return same ? undefined : impact.move;
  }
  if (after.outcome === before.outcome) return undefined;
  return after.outcome === "wait" ? impact.wait : impact.refuse;
}

/** Users by name, devices by serial number: what an administrator recognises. */
async function namesOf(db: Db, spaceId: string, subjects: readonly Subject[]): Promise<Map<string, string>> {
  const userIds = [...new Set(subjects.flatMap((s) => (s.kind === "user" ? [s.userId] : [])))];
  const deviceIds = [...new Set(subjects.flatMap((s) => (s.kind === "device" ? [s.deviceId] : [])))];
  const out = new Map<string, string>();
  for (let i = 0; i < userIds.length; i += NAME_BATCH) {
    const rows = await db
      .selectFrom("users")
      .select(["id", "name"])
      .where("space_id", "=", spaceId)
      .where("id", "in", userIds.slice(i, i + NAME_BATCH))
      .execute();
    for (const r of rows) out.set(`u:${r.id}`, r.name);
  }
  for (let i = 0; i < deviceIds.length; i += NAME_BATCH) {
    const rows = await db
      .selectFrom("devices")
      .select(["id", "serial_number"])
      .where("space_id", "=", spaceId)
      .where("id", "in", deviceIds.slice(i, i + NAME_BATCH))
      .execute();
    for (const r of rows) out.set(`d:${r.id}`, r.serial_number);
  }
  return out;
}

const NAME_BATCH = 1000;

/** The apps' names: the catalog's, else one an account's asset carries. */
async function nameApps(db: Db, spaceId: string, apps: AppImpact[]): Promise<void> {
  if (apps.length === 0) return;
  const adamIds = apps.map((a) => a.adamId);
  const [catalog, assets] = await Promise.all([
    db
      .selectFrom("catalog_apps")
      .select(["adam_id", "name"])
      .where("space_id", "=", spaceId)
      .where("adam_id", "in", adamIds)
      .execute(),
    db
      .selectFrom("assets")
      .select(["adam_id", "name"])
      .where("space_id", "=", spaceId)
      .where("adam_id", "in", adamIds)
      .where("name", "is not", null)
      .execute(),
  ]);
  const names = new Map<string, string>();
  for (const row of assets) if (row.name) names.set(row.adam_id, row.name);
  for (const row of catalog) if (row.name) names.set(row.adam_id, row.name);
  for (const app of apps) {
    const name = names.get(app.adamId);
    if (name) app.name = name;
  }
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
  subject: Subject,
  before: Decision,
  after: Decision,
  name: (accountId: string) => string,
  subjectNames: ReadonlyMap<string, string>,
  language: Language,
): SubjectOutcome {
  const id = subject.kind === "user" ? subject.userId : subject.deviceId;
  const key = `${subject.kind === "user" ? "u" : "d"}:${id}`;
  return {
    subject: { kind: subject.kind, id, name: subjectNames.get(key) ?? id },
    before: { outcome: before.outcome, ...licenseOf(before) },
    outcome: after.outcome,
    ...licenseOf(after),
    summary: describe(after, name, language).summary,
    because: after.because,
  };
}

function licenseOf(decision: Decision): { accountId?: string; type?: LicenseType } {
  return decision.outcome === "grant" || decision.outcome === "keep"
    ? { accountId: decision.accountId, type: decision.type }
    : {};
}
