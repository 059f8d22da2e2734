import { randomUUID } from "node:crypto";
import type { Selectable } from "kysely";
import type { Db } from "./database.js";
import { NotFoundError } from "./errors.js";
import type { NotificationTable, Severity } from "./license.table.js";

export interface NewNotification {
  spaceId: string;
  /** e.g. "license_usage" (NT1), "token_expired" (NT2). */
  kind: string;
  severity: Severity;
  component: string;
  title: string;
  details?: Record<string, unknown>;
  accountId?: string;
  adamId?: string;
  threshold?: number;
  now: Date;
}

export interface Notification extends Omit<NewNotification, "now"> {
  id: string;
  details: Record<string, unknown>;
  raisedAt: Date;
  clearedAt?: Date;
  acknowledgedAt?: Date;
}

/**
 * Raises a notification unless the same one (kind, account, app, threshold) is still
 * open: NT1 raises each threshold once per upward crossing. Returns it when raised.
 */
export async function raiseNotification(db: Db, input: NewNotification): Promise<Notification | undefined> {
  const row = await db
    .insertInto("notifications")
    .values({
      space_id: input.spaceId,
      id: randomUUID(),
      kind: input.kind,
      severity: input.severity,
      component: input.component,
      title: input.title,
      details: JSON.stringify(input.details ?? {}),
      account_id: input.accountId ?? null,
      adam_id: input.adamId ?? null,
      threshold: input.threshold ?? null,
      raised_at: input.now,
    })
    .onConflict((oc) => oc.doNothing())
    .returningAll()
    .executeTakeFirst();
  return row && toNotification(row);
}

/** Clears the open notifications of a kind for an account/app (NT1: all of them below 50 %). */
export async function clearNotifications(
  db: Db,
  input: { spaceId: string; kind: string; accountId?: string; adamId?: string; now: Date },
): Promise<number> {
  let query = db
    .updateTable("notifications")
    .set({ cleared_at: input.now })
    .where("space_id", "=", input.spaceId)
    .where("kind", "=", input.kind)
    .where("cleared_at", "is", null);
  if (input.accountId) query = query.where("account_id", "=", input.accountId);
  if (input.adamId) query = query.where("adam_id", "=", input.adamId);
  const result = await query.executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export async function acknowledgeNotification(db: Db, spaceId: string, id: string, now: Date): Promise<void> {
  const result = await db
    .updateTable("notifications")
    .set({ acknowledged_at: now })
    .where("space_id", "=", spaceId)
    .where("id", "=", id)
    .executeTakeFirst();
  if (result.numUpdatedRows === 0n) throw new NotFoundError("notification", id);
}

/** Newest first; `open` = not cleared. */
export async function listNotifications(
  db: Db,
  spaceId: string,
  filter: { open?: boolean; limit?: number } = {},
): Promise<Notification[]> {
  let query = db
    .selectFrom("notifications")
    .selectAll()
    .where("space_id", "=", spaceId)
    .orderBy("raised_at", "desc")
    .limit(filter.limit ?? 100);
  if (filter.open) query = query.where("cleared_at", "is", null);
  return (await query.execute()).map(toNotification);
}

function toNotification(row: Selectable<NotificationTable>): Notification {
  return {
    id: row.id,
    spaceId: row.space_id,
    kind: row.kind,
    severity: row.severity,
    component: row.component,
    title: row.title,
    details: row.details,
    accountId: row.account_id ?? undefined,
    adamId: row.adam_id ?? undefined,
    threshold: row.threshold ?? undefined,
    raisedAt: row.raised_at,
    clearedAt: row.cleared_at ?? undefined,
    acknowledgedAt: row.acknowledged_at ?? undefined,
  };
}
