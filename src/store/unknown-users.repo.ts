import { sql } from "kysely";
import { appendActivity } from "./activity.repo.js";
import { activityMessage } from "./activity-messages.js";
import type { Db } from "./database.js";
import { registeringAtApple, registrationKey } from "./mdm-users.repo.js";
import { appendOutbox, type OutboxEntry, type OutboxRecord } from "./outbox.repo.js";
import type { Actor } from "./sql-helpers.js";

/**
 * UB2, DB2: Apple answered 9609 ("Unable to find the registered user") to these user
 * associations: it retired the user, or the account's location never registered them. Each
 * license, still `pending_assign` (its seat held), gets its user registered again at its
 * account (a `create_user` operation, as an invitation writes one, unless one is on its way)
 * and its association sent once more, which the dispatcher holds until that registration is
 * done (dispatch.ts). Once per license (`user_registered_again_at`, 0038): the caller treats
 * a second 9609 as a refusal for good, which waits for an administrator (no loop). Logged.
 * Runs in the caller's transaction; returns the licenses handled so. `reason` is Apple's
 * error as the log words it ("9609 Unable to find the registered user.").
 */
export async function registerUsersAgain(
  trx: Db,
  input: { spaceId: string; rows: readonly OutboxRecord[]; reason: string; actor: Actor; now: Date },
): Promise<string[]> {
  const { spaceId, now } = input;
  const byLicense = new Map(
    input.rows.flatMap((r) => (r.licenseId && r.clientUserId !== undefined ? [[r.licenseId, r]] : [])),
  );
  if (byLicense.size === 0) return [];
  const { rows: licenses } = await sql<{
    id: string;
    user_id: string | null;
    rule_ids: string[];
  }>`update licenses set user_registered_again_at = ${now}, updated_at = ${now}
    where space_id = ${spaceId} and id = any(${[...byLicense.keys()]}::text[])
      and state = 'pending_assign' and user_registered_again_at is null
    returning id, user_id, rule_ids`.execute(trx);
  const again = licenses.flatMap((l) => {
    const row = byLicense.get(l.id);
    return row ? [{ license: l, row, clientUserId: row.clientUserId ?? "" }] : [];
  });
  if (again.length === 0) return [];
  const onTheirWay = await registeringAtApple(
    trx,
    spaceId,
    again.map((a) => a.clientUserId),
  );
  const registrations = new Map<string, OutboxEntry>();
  for (const { row, clientUserId } of again) {
    const key = registrationKey(row.accountId, clientUserId);
    if (onTheirWay.has(key) || registrations.has(key)) continue;
    registrations.set(key, { spaceId, accountId: row.accountId, kind: "create_user", clientUserId, now });
  }
  await appendOutbox(trx, [
    ...registrations.values(),
    ...again.map(({ row, license }) => ({
      spaceId,
      accountId: row.accountId,
      kind: "associate" as const,
      ...(row.adamId !== undefined ? { adamId: row.adamId } : {}),
      ...(row.pricingParam !== undefined ? { pricingParam: row.pricingParam } : {}),
      clientUserId: row.clientUserId,
      licenseId: license.id,
      now,
    })),
  ]);
  await appendActivity(
    trx,
    again.map(({ row, license }) => ({
      spaceId,
      actor: input.actor,
      action: "user.invited",
      ...(license.user_id ? { userId: license.user_id } : {}),
      adamId: row.adamId,
      accountId: row.accountId,
      licenseId: license.id,
      ruleIds: ["UB2"],
      message: activityMessage("user.registered_again", { reason: input.reason }),
      details: { seq: row.seq },
      at: now,
    })),
  );
  return again.map((a) => a.license.id);
}
