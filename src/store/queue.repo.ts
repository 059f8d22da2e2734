import type { Decision, LicenseRequest, RequestReason, Subject } from "../licensing/index.js";
import type { Db } from "./database.js";
import { inList } from "./sql-helpers.js";

type Decided = { request: LicenseRequest; decision: Decision };

/** The last decision per subject of a batch (a subject may appear twice). */
function lastPerSubject(results: readonly Decided[]): Decided[] {
  const last = new Map<string, Decided>();
  for (const r of results) last.set(subjectKey(r.request.subject), r);
  return [...last.values()];
}

/** "u:<userId>" or "d:<deviceId>": how a queue row is keyed (writeGrants matches grants to rows by it). */
export function subjectKey(subject: Subject): string {
  return subject.kind === "user" ? `u:${subject.userId}` : `d:${subject.deviceId}`;
}

/** Requests decided for good (granted, kept, refused) leave the queue. */
export async function dequeue(
  db: Db,
  spaceId: string,
  adamId: string,
  results: readonly Decided[],
): Promise<void> {
  const { userIds, deviceIds } = decidedForGood(results);
  if (userIds.length + deviceIds.length === 0) return;
  await db
    .deleteFrom("license_queue")
    .where("space_id", "=", spaceId)
    .where("adam_id", "=", adamId)
    .where((eb) => eb.or([inList("user_id", userIds), inList("device_id", deviceIds)]))
    .execute();
}

/** The subjects whose last decision in `results` is not a wait: they leave the queue. */
export function decidedForGood(results: readonly Decided[]): { userIds: string[]; deviceIds: string[] } {
  const done = lastPerSubject(results).filter((r) => r.decision.outcome !== "wait");
  return {
    userIds: done.flatMap((r) => (r.request.subject.kind === "user" ? [r.request.subject.userId] : [])),
    deviceIds: done.flatMap((r) => (r.request.subject.kind === "device" ? [r.request.subject.deviceId] : [])),
  };
}

/** Waiting requests of an app in order of request (DB2): decide them again when a seat frees. */
export async function listWaitingRequests(
  db: Db,
  spaceId: string,
  adamId: string,
  limit = 1000,
): Promise<Array<LicenseRequest & { waitingSince: Date }>> {
  const rows = await db
    .selectFrom("license_queue")
    .select(["user_id", "device_id", "why", "requested_at"])
    .where("space_id", "=", spaceId)
    .where("adam_id", "=", adamId)
    .orderBy("requested_at")
    .orderBy("seq")
    .limit(limit)
    .execute();
  return rows.map((row) => ({
    spaceId,
    adamId,
    subject: row.user_id
      ? { kind: "user", userId: row.user_id }
      : { kind: "device", deviceId: row.device_id ?? "" },
    why: row.why satisfies RequestReason,
    waitingSince: row.requested_at,
  }));
}
