import { randomUUID } from "node:crypto";
import { type Selectable, sql } from "kysely";
import type { Db } from "./database.js";
import type { MdmCommandKind, MdmCommandState, MdmCommandTable } from "./mdm.table.js";

export interface NewMdmCommand {
  spaceId: string;
  kind: MdmCommandKind;
  deviceId: string;
  serialNumber: string;
  adamId: string;
  licenseId?: string;
  /** DB4: the version an update installs. */
  appVersion?: string;
  ruleIds: readonly string[];
  now: Date;
}

export interface MdmCommandRecord {
  spaceId: string;
  seq: number;
  id: string;
  kind: MdmCommandKind;
  deviceId: string;
  serialNumber: string;
  adamId: string;
  licenseId?: string;
  appVersion?: string;
  ruleIds: string[];
  state: MdmCommandState;
  attempts: number;
  lastError?: string;
  createdAt: Date;
}

/**
 * Queues commands for the MDM, in the caller's transaction (with the license change
 * that causes them). A newer command for the same device and app supersedes a pending
 * older one: an install followed by a remove must not reach the MDM as an install.
 */
export async function queueMdmCommands(db: Db, commands: readonly NewMdmCommand[]): Promise<void> {
  if (commands.length === 0) return;
  // One statement per space, not per command: check-in storms queue thousands at once.
  for (const [spaceId, ofSpace] of bySpace(commands)) {
    await db
      .updateTable("mdm_commands")
      .set({ state: "cancelled", updated_at: ofSpace[0]?.now ?? new Date(), last_error: "superseded" })
      .where("space_id", "=", spaceId)
      .where((eb) =>
        eb(
          eb.refTuple("device_id", "adam_id"),
          "in",
          ofSpace.map((c) => eb.tuple(c.deviceId, c.adamId)),
        ),
      )
      .where("state", "=", "pending")
      .execute();
  }
  await db
    .insertInto("mdm_commands")
    .values(
      commands.map((c) => ({
        space_id: c.spaceId,
        id: randomUUID(),
        kind: c.kind,
        device_id: c.deviceId,
        serial_number: c.serialNumber,
        adam_id: c.adamId,
        license_id: c.licenseId ?? null,
        app_version: c.appVersion ?? null,
        rule_ids: [...c.ruleIds],
        last_error: null,
        created_at: c.now,
        updated_at: c.now,
      })),
    )
    .execute();
}

/**
 * Claims deliverable commands, oldest first (FOR UPDATE SKIP LOCKED: several workers
 * never deliver one twice). An install waits until Apple confirmed its license, as
 * Apple asks; one whose license was refused or released is cancelled instead.
 */
export async function claimMdmCommands(
  db: Db,
  input: { now: Date; limit: number; leaseMs: number },
): Promise<MdmCommandRecord[]> {
  await db
    .updateTable("mdm_commands")
    .set({ state: "cancelled", updated_at: input.now, last_error: "license no longer live" })
    .where("state", "=", "pending")
    .where("license_id", "is not", null)
    .where(({ exists, selectFrom }) =>
      exists(
        selectFrom("licenses")
          .select("licenses.id")
          .whereRef("licenses.space_id", "=", "mdm_commands.space_id")
          .whereRef("licenses.id", "=", "mdm_commands.license_id")
          .where("licenses.state", "not in", ["pending_assign", "assigned"]),
      ),
    )
    .execute();
  const until = new Date(input.now.getTime() + input.leaseMs);
  const rows = await db
    .updateTable("mdm_commands")
    .set({ claimed_until: until, attempts: sql`attempts + 1`, updated_at: input.now })
    .where((eb) =>
      eb(
        eb.refTuple("space_id", "seq"),
        "in",
        eb
          .selectFrom("mdm_commands as c")
          .select(["c.space_id", "c.seq"])
          .where("c.state", "=", "pending")
          .where((w) => w.or([w("c.not_before", "is", null), w("c.not_before", "<=", input.now)]))
          .where((w) => w.or([w("c.claimed_until", "is", null), w("c.claimed_until", "<", input.now)]))
          .where((w) =>
            w.or([
              w("c.license_id", "is", null),
              w.exists(
                w
                  .selectFrom("licenses")
                  .select("licenses.id")
                  .whereRef("licenses.space_id", "=", "c.space_id")
                  .whereRef("licenses.id", "=", "c.license_id")
                  .where("licenses.state", "=", "assigned"),
              ),
            ]),
          )
          .orderBy("c.seq")
          .limit(input.limit)
          .forUpdate()
          .skipLocked()
          .$asTuple("space_id", "seq"),
      ),
    )
    .returningAll()
    .execute();
  return rows.map(toMdmCommand).sort((a, b) => a.seq - b.seq);
}

/** Records a delivery: done, or retried after `notBefore`, or failed for good. */
export async function settleMdmCommands(
  db: Db,
  input: {
    commands: readonly Pick<MdmCommandRecord, "spaceId" | "seq">[];
    state: "delivered" | "pending" | "failed";
    error?: string;
    notBefore?: Date;
    now: Date;
  },
): Promise<void> {
  for (const [spaceId, ofSpace] of bySpace(input.commands)) {
    await db
      .updateTable("mdm_commands")
      .set({
        state: input.state,
        last_error: input.error ?? null,
        not_before: input.notBefore ?? null,
        claimed_until: null,
        updated_at: input.now,
      })
      .where("space_id", "=", spaceId)
      .where(
        "seq",
        "in",
        ofSpace.map((c) => c.seq),
      )
      .execute();
  }
}

function bySpace<T extends { spaceId: string }>(rows: readonly T[]): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const row of rows) {
    const group = groups.get(row.spaceId);
    if (group) group.push(row);
    else groups.set(row.spaceId, [row]);
  }
  return groups;
}

/** An install for this license is queued or was delivered already. */
export async function hasOpenInstall(
  db: Db,
  input: { spaceId: string; deviceId: string; adamId: string; licenseId: string | undefined },
): Promise<boolean> {
  let query = db
    .selectFrom("mdm_commands")
    .select("seq")
    .where("space_id", "=", input.spaceId)
    .where("device_id", "=", input.deviceId)
    .where("adam_id", "=", input.adamId)
    .where("kind", "=", "install")
    .where("app_version", "is", null)
    .where("state", "in", ["pending", "delivered"]);
  query = input.licenseId
    ? query.where("license_id", "=", input.licenseId)
    : query.where("license_id", "is", null);
  return (await query.limit(1).executeTakeFirst()) !== undefined;
}

export async function listMdmCommands(
  db: Db,
  spaceId: string,
  filter: { deviceId?: string; state?: MdmCommandState; limit?: number } = {},
): Promise<MdmCommandRecord[]> {
  let query = db.selectFrom("mdm_commands").selectAll().where("space_id", "=", spaceId);
  if (filter.deviceId) query = query.where("device_id", "=", filter.deviceId);
  if (filter.state) query = query.where("state", "=", filter.state);
  const rows = await query
    .orderBy("seq")
    .limit(filter.limit ?? 1000)
    .execute();
  return rows.map(toMdmCommand);
}

function toMdmCommand(row: Selectable<MdmCommandTable>): MdmCommandRecord {
  return {
    spaceId: row.space_id,
    seq: Number(row.seq),
    id: row.id,
    kind: row.kind,
    deviceId: row.device_id,
    serialNumber: row.serial_number,
    adamId: row.adam_id,
    ...(row.license_id ? { licenseId: row.license_id } : {}),
    ...(row.app_version ? { appVersion: row.app_version } : {}),
    ruleIds: row.rule_ids,
    state: row.state,
    attempts: row.attempts,
    ...(row.last_error ? { lastError: row.last_error } : {}),
    createdAt: row.created_at,
  };
}
