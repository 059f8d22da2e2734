/**
 * Apple's notifications, received at POST /api/v1/apple/notifications/:accountId (the API
 * mounts `handleAppleNotification`). Authenticated by the account's notificationAuthToken
 * (Bearer, constant-time compare), deduplicated, and acted on at once: results of events
 * (ASSET_MANAGEMENT, USER_MANAGEMENT), purchases and refunds (ASSET_COUNT: counts synced,
 * waiting queue served), enrolment (USER_ASSOCIATED: UB4). Apple delivers best-effort and
 * may drop some: /status polling and the scheduled syncs cover what never arrives.
 */
import {
  type AppleClient,
  isAuthenticNotification,
  type Notification,
  parseNotification,
} from "../apple/index.js";
import { accountHasCallsInFlight, findCallsOfEvent } from "../store/apple-calls.repo.js";
import { getAccount, type OutboxRecord } from "../store/index.js";
import { findAccountById, revealNotificationSecret } from "../store/sync-accounts.repo.js";
import { appleNotificationSeen, recordAppleNotification } from "../store/sync-users.repo.js";
import type { SyncDeps } from "./deps.js";
import { followUp } from "./effects.js";
import { reportIfTokenIssue } from "./health.js";
import { applyOutcomes, echoedSubjectKey, type SubjectOutcome } from "./outcomes.js";
import { serveQueue } from "./queue.js";
import { syncAssets } from "./sync-assets.js";
import { applyUsers } from "./sync-users.js";
import { evaluateUsageOf } from "./usage.js";

export interface AppleNotificationRequest {
  accountId: string;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

export interface AppleNotificationResult {
  /** The HTTP status to answer: Apple retries anything but 2xx. */
  status: 200 | 400 | 401 | 404 | 500 | 503;
  outcome:
    | "accepted"
    | "duplicate"
    | "ignored"
    | "early"
    | "unauthorized"
    | "unknown_account"
    | "malformed"
    | "failed";
}

export async function handleAppleNotification(
  deps: SyncDeps,
  request: AppleNotificationRequest,
): Promise<AppleNotificationResult> {
  const found = await findAccountById(deps.db, request.accountId);
  // An unknown account and a wrong secret look the same from outside.
  const secret = found ? await revealNotificationSecret(deps.db, deps.keys, request.accountId) : undefined;
  const authorization = header(request.headers, "authorization");
  if (!found || !secret || !isAuthenticNotification(authorization, secret)) {
    return { status: found ? 401 : 404, outcome: found ? "unauthorized" : "unknown_account" };
  }
  const parsed = parseNotification(request.body);
  if (!parsed.ok) {
    deps.logger.warn(
      { accountId: request.accountId, problem: parsed.problem },
      "malformed Apple notification",
    );
    return { status: 400, outcome: "malformed" };
  }
  const n = parsed.notification;
  if (n.notificationType === "TEST_NOTIFICATION") return { status: 200, outcome: "accepted" };
  const exists = await appleNotificationSeen(deps.db, {
    spaceId: found.space_id,
    accountId: found.id,
    dedupeKey: parsed.dedupeKey,
  });
  if (exists) return { status: 200, outcome: "duplicate" };
  const account = await getAccount(deps.db, found.space_id, found.id);
  try {
    const acted = await act(deps, account, n);
    // Recorded once acted on: a failure makes Apple deliver again, and acting twice changes nothing.
    await recordAppleNotification(deps.db, {
      spaceId: account.spaceId,
      accountId: account.id,
      dedupeKey: parsed.dedupeKey,
      type: n.notificationType,
      now: deps.now(),
    });
    return { status: 200, outcome: acted ? "accepted" : "ignored" };
  } catch (error) {
    // Not recorded: Apple delivers it again, by when the sender has recorded the eventId.
    if (error instanceof EventNotYetRecorded) return { status: 503, outcome: "early" };
    deps.logger.error(
      { accountId: account.id, type: n.notificationType, err: String(error) },
      "Apple notification failed",
    );
    return { status: 500, outcome: "failed" };
  }
}

type AccountRef = Awaited<ReturnType<typeof getAccount>>;

/**
 * The rows an ASSET_MANAGEMENT notification's assignments speak of: the subject of an app,
 * or the subject alone for a revoke (REVOKE failures name the subject only). A serial is
 * matched in any case (echoedSubjectKey): Apple may name it otherwise than it was sent.
 */
export function coveredByAssignments(
  assignments: ReadonlyArray<{ adamId?: string | undefined; serialNumber?: string; clientUserId?: string }>,
): (row: OutboxRecord) => boolean {
  const named = new Set(assignments.map((a) => `${a.adamId ?? ""}|${echoedSubjectKey(a)}`));
  const subjects = new Set(assignments.map((a) => echoedSubjectKey(a)));
  return (row) =>
    named.has(`${row.adamId ?? ""}|${echoedSubjectKey(row)}`) ||
    (row.kind === "revoke" && subjects.has(echoedSubjectKey(row)));
}

async function act(deps: SyncDeps, account: AccountRef, n: Notification): Promise<boolean> {
  switch (n.notificationType) {
    case "ASSET_MANAGEMENT": {
      const body = n.notification;
      const outcome: SubjectOutcome =
        body.result === "SUCCESS"
          ? { ok: true }
          : { ok: false, errorNumber: body.error?.errorNumber ?? 9603, message: body.error?.errorMessage };
      const covers = coveredByAssignments(body.assignments);
      return applyToEvent(deps, account, body.eventId, (row) => (covers(row) ? outcome : undefined));
    }
    case "USER_MANAGEMENT": {
      const body = n.notification;
      await applyUsers(
        deps,
        account,
        body.users.flatMap((u) => (u.status ? [{ ...u, status: u.status }] : [])),
      );
      const ids = new Set(body.users.map((u) => u.clientUserId));
      const outcome: SubjectOutcome =
        body.result === "SUCCESS"
          ? { ok: true }
          : { ok: false, errorNumber: body.error?.errorNumber ?? 9603, message: body.error?.errorMessage };
      return applyToEvent(deps, account, body.eventId, (row) =>
        row.clientUserId && ids.has(row.clientUserId) ? outcome : undefined,
      );
    }
    case "USER_ASSOCIATED":
      await applyUsers(deps, account, n.notification.associatedUsers);
      return true;
    case "ASSET_COUNT": {
      let client: AppleClient;
      try {
        client = await deps.apple.forAccount(account);
        await syncAssets(deps, account, client, { full: false });
      } catch (error) {
        if (await reportIfTokenIssue(deps, account, error)) return false;
        throw error;
      }
      const adamId = n.notification.adamId;
      await evaluateUsageOf(deps, [{ spaceId: account.spaceId, accountId: account.id, adamId }]);
      await serveQueue(deps, account.spaceId, adamId);
      return true;
    }
    default:
      return false;
  }
}

async function applyToEvent(
  deps: SyncDeps,
  account: AccountRef,
  eventId: string,
  outcomeOf: (row: OutboxRecord) => SubjectOutcome | undefined,
): Promise<boolean> {
  const calls = await callsOfEvent(deps, account, eventId);
  if (calls.length === 0) return false;
  for (const call of calls) {
    const effects = await applyOutcomes(deps, call.ops, outcomeOf, call);
    await followUp(deps, effects);
  }
  return true;
}

/** Apple's event came back before its sender recorded the eventId (a fast event). */
class EventNotYetRecorded extends Error {}

/** Looks at the calls again a few times while the account has a call being sent, then gives up. */
const EARLY_EVENT_LOOKS_MS = [50, 100, 200, 400, 800];

/**
 * The account's calls of an event. An event Apple finished within the sender's round trip
 * is notified before its eventId is recorded: while one of the account's calls is being
 * sent, the lookup waits for it, then asks Apple to deliver again (EventNotYetRecorded).
 */
async function callsOfEvent(deps: SyncDeps, account: AccountRef, eventId: string) {
  const find = async () =>
    (await findCallsOfEvent(deps.db, eventId)).filter(
      (c) => c.spaceId === account.spaceId && c.accountId === account.id,
    );
  const inFlight = () =>
    accountHasCallsInFlight(deps.db, { spaceId: account.spaceId, accountId: account.id, now: deps.now() });
  let calls = await find();
  for (const waitMs of EARLY_EVENT_LOOKS_MS) {
    if (calls.length > 0 || !(await inFlight())) return calls;
    await deps.sleep(waitMs);
    calls = await find();
  }
  if (calls.length === 0 && (await inFlight())) throw new EventNotYetRecorded();
  return calls;
}

function header(headers: AppleNotificationRequest["headers"], name: string): string | undefined {
  const value =
    headers[name] ?? headers[name.toLowerCase()] ?? headers[name[0]?.toUpperCase() + name.slice(1)];
  return Array.isArray(value) ? value[0] : value;
}
