import { ALL_USERS, LIVE_STATES } from "../licensing/index.js";
import { appendActivity } from "./activity.repo.js";
import { type Db, withTransaction } from "./database.js";
import { NotFoundError } from "./errors.js";
import { toLicense } from "./license.repo.js";
import type { Actor } from "./sql-helpers.js";

/**
 * AC1 "Automatically distribute to all users": FCFS for All Users on every app of the
 * account that has no rule yet (an admin's own rules are left alone).
 */
export async function ensureAllUsersRules(
  db: Db,
  spaceId: string,
  accountId: string,
  now: Date,
): Promise<number> {
  return withTransaction(db, async (trx) => {
    const missing = await trx
      .selectFrom("assets as a")
      .select("a.adam_id")
      .where("a.space_id", "=", spaceId)
      .where("a.account_id", "=", accountId)
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom("app_rules as r")
              .select("r.adam_id")
              .whereRef("r.space_id", "=", "a.space_id")
              .whereRef("r.account_id", "=", "a.account_id")
              .whereRef("r.adam_id", "=", "a.adam_id"),
          ),
        ),
      )
      .execute();
    if (missing.length === 0) return 0;
    const keys = missing.map((m) => ({ space_id: spaceId, account_id: accountId, adam_id: m.adam_id }));
    await trx
      .insertInto("app_rules")
      .values(
        keys.map((k) => ({
          ...k,
          fcfs_enabled: true,
          fcfs_requested_type: "user" as const,
          fcfs_mandatory_type: "device" as const,
          updated_at: now,
        })),
      )
      .execute();
    await trx
      .insertInto("rule_groups")
      .values(keys.map((k) => ({ ...k, group_id: ALL_USERS })))
      .execute();
    return keys.length;
  });
}

/**
 * AC2 with another location and "clear all previous license data": the account's
 * licenses belonged to the old location; they end here (seats with them), logged.
 */
export async function endLicensesOfAccount(
  db: Db,
  input: {
    spaceId: string;
    accountId: string;
    actor: Actor;
    now: Date;
    action: string;
    ruleIds: readonly string[];
    message: string;
  },
): Promise<number> {
  return withTransaction(db, async (trx) => {
    const rows = await trx
      .updateTable("licenses")
      .set({ state: "released", released_at: input.now, updated_at: input.now })
      .where("space_id", "=", input.spaceId)
      .where("account_id", "=", input.accountId)
      .where("state", "in", [...LIVE_STATES, "pending_release", "in_grace"])
      .returningAll()
      .execute();
    await trx
      .updateTable("assets")
      .set({ used: 0, updated_at: input.now })
      .where("space_id", "=", input.spaceId)
      .where("account_id", "=", input.accountId)
      .execute();
    await trx
      .deleteFrom("outbox")
      .where("space_id", "=", input.spaceId)
      .where("account_id", "=", input.accountId)
      .where("state", "=", "pending")
      .execute();
    await trx
      .deleteFrom("apple_calls")
      .where("space_id", "=", input.spaceId)
      .where("account_id", "=", input.accountId)
      .execute();
    await appendActivity(
      trx,
      rows.map(toLicense).map((l) => ({
        spaceId: l.spaceId,
        actor: input.actor,
        action: input.action,
        userId: l.userId,
        deviceId: l.deviceId,
        adamId: l.adamId,
        accountId: l.accountId,
        licenseId: l.id,
        ruleIds: input.ruleIds,
        message: input.message,
        at: input.now,
      })),
    );
    return rows.length;
  });
}

/**
 * AC5: removes the account with its assets, rules and reservations (cascade), its outbox
 * and Apple calls. Its licenses go first (they reference its assets); the activity log keeps their story.
 */
export async function deleteAccountRows(db: Db, spaceId: string, accountId: string): Promise<void> {
  await withTransaction(db, async (trx) => {
    await trx
      .deleteFrom("licenses")
      .where("space_id", "=", spaceId)
      .where("account_id", "=", accountId)
      .execute();
    await trx
      .deleteFrom("apple_notifications")
      .where("space_id", "=", spaceId)
      .where("account_id", "=", accountId)
      .execute();
    // Work for Apple that can no longer be sent (no token) or followed: the releases went first (AC5).
    for (const table of ["outbox", "apple_calls"] as const) {
      await trx
        .deleteFrom(table)
        .where("space_id", "=", spaceId)
        .where("account_id", "=", accountId)
        .execute();
    }
    const result = await trx
      .deleteFrom("accounts")
      .where("space_id", "=", spaceId)
      .where("id", "=", accountId)
      .executeTakeFirst();
    if (result.numDeletedRows === 0n) throw new NotFoundError("account", accountId);
  });
}
