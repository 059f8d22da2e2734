import { sql } from "kysely";
import type { RequestReason, WaitReason } from "../licensing/index.js";
import type { Db } from "./database.js";
import { likePattern, type Page, type PageRequest, paged } from "./paging.js";

/**
 * DB2, UB3: one request waiting for a license of an app, where it stands in the queue
 * (served in order of request: `requested_at`, then arrival), who asked and why it waits.
 */
export interface WaitingRow {
  /** 1 = served first; counted over the whole queue, whatever the search. */
  position: number;
  userId?: string;
  userName?: string;
  deviceId?: string;
  serialNumber?: string;
  /** The user of a waiting device, if it has one. */
  deviceUserName?: string;
  why: RequestReason;
  reason: WaitReason;
  ruleIds: string[];
  waitingSince: Date;
  /** When the request was last decided (it waited again then). */
  decidedAt: Date;
}

export const WAITING_SORTS = { position: "position" } as const;

/** The app's waiting queue in the order it is served; `q` searches user names and serial numbers. */
export function listWaitingView(
  db: Db,
  spaceId: string,
  adamId: string,
  page: PageRequest,
): Promise<Page<WaitingRow>> {
  const queue = db
    .selectFrom("license_queue as q")
    .leftJoin("users as u", (j) => j.onRef("u.space_id", "=", "q.space_id").onRef("u.id", "=", "q.user_id"))
    .leftJoin("devices as d", (j) =>
      j.onRef("d.space_id", "=", "q.space_id").onRef("d.id", "=", "q.device_id"),
    )
    .leftJoin("users as du", (j) =>
      j.onRef("du.space_id", "=", "d.space_id").onRef("du.id", "=", "d.user_id"),
    )
    .select([
      sql<number>`(row_number() over (order by q.requested_at, q.seq))::int`.as("position"),
      "q.user_id",
      "u.name as user_name",
      "q.device_id",
      "d.serial_number",
      "du.name as device_user_name",
      "q.why",
      "q.reason",
      "q.rule_ids",
      "q.requested_at",
      "q.decided_at",
    ])
    .where("q.space_id", "=", spaceId)
    .where("q.adam_id", "=", adamId);
  let query = db.selectFrom(queue.as("w")).selectAll();
  if (page.q) {
    const like = likePattern(page.q);
    query = query.where((eb) =>
      eb.or([
        eb("w.user_name", "ilike", like),
        eb("w.serial_number", "ilike", like),
        eb("w.device_user_name", "ilike", like),
      ]),
    );
  }
  return paged(query, page, WAITING_SORTS, "position", "position", (r) => ({
    position: r.position,
    userId: r.user_id ?? undefined,
    userName: r.user_name ?? undefined,
    deviceId: r.device_id ?? undefined,
    serialNumber: r.serial_number ?? undefined,
    deviceUserName: r.device_user_name ?? undefined,
    why: r.why,
    reason: r.reason,
    ruleIds: r.rule_ids,
    waitingSince: r.requested_at,
    decidedAt: r.decided_at,
  }));
}
