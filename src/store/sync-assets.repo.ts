import { sql } from "kysely";
import type { Platform } from "../licensing/index.js";
import { type Db, withTransaction } from "./database.js";
import { NotFoundError } from "./errors.js";
import { ensureAllUsersRules } from "./sync-account-data.repo.js";

/** An asset as Apple lists it for an account (GET /assets), in Orchard's terms. */
export interface AppleAssetRow {
  adamId: string;
  pricingParam: "STDQ" | "PLUS";
  productType: "App" | "Book";
  total: number;
  appleAssigned: number;
  appleAvailable: number;
  appleRetired: number;
  deviceAssignable: boolean;
  revocable: boolean;
  platforms: readonly Platform[];
}

/** What one page of Apple's assets changed. */
export interface AppliedAssets {
  /** New to the account. */
  added: string[];
  /** Existing assets whose total Apple changed. */
  totalChanged: Array<{ adamId: string; from: number; to: number }>;
}

/**
 * Apple's view of an account's assets, a page at a time, in one transaction and a fixed
 * number of statements whatever the page's size (a school's catalog holds thousands of
 * apps, synced every 15 minutes: a transaction and five statements per app made a sync of
 * 5,000 apps take half a minute). The existing rows are locked first, in (app, account)
 * order as allocation and releases lock them (NO KEY UPDATE: rules inserted meanwhile for
 * these assets take key-share locks in their own order, which FOR UPDATE would block), so `used` is counted while no allocator can
 * move it: Orchard's seat-holding licenses plus what Apple holds beyond Orchard's assigned
 * and releasing ones (assignments made outside Orchard). Names and prices (from the
 * store's lookup) are kept; a row Apple did not change is not written. A new asset of an
 * account with "automatically distribute" on gets FCFS for All Users (AC1).
 */
export async function applyAppleAssets(
  db: Db,
  input: { spaceId: string; accountId: string; assets: readonly AppleAssetRow[]; now: Date },
): Promise<AppliedAssets> {
  const { spaceId, accountId } = input;
  // One row per app (the last wins), in lock order.
  const assets = [...new Map(input.assets.map((a) => [a.adamId, a])).values()].sort((a, b) =>
    a.adamId < b.adamId ? -1 : a.adamId > b.adamId ? 1 : 0,
  );
  const applied: AppliedAssets = { added: [], totalChanged: [] };
  if (assets.length === 0) return applied;
  const adamIds = assets.map((a) => a.adamId);
  return withTransaction(db, async (trx) => {
    const account = await trx
      .selectFrom("accounts")
      .select(["auto_distribute"])
      .where("space_id", "=", spaceId)
      .where("id", "=", accountId)
      .executeTakeFirst();
    if (!account) throw new NotFoundError("account", accountId);
    const before = new Map(
      (
        await sql<{ adam_id: string; total_count: number }>`select adam_id, total_count
          from assets where space_id = ${spaceId} and account_id = ${accountId} and adam_id = any(${adamIds}::text[])
          order by adam_id for no key update`.execute(trx)
      ).rows.map((r) => [r.adam_id, Number(r.total_count)]),
    );
    const at = input.now.toISOString();
    const { rows } = await sql<{ adam_id: string; total_count: number }>`with apple as (
        select * from unnest(${adamIds}::text[], ${assets.map((a) => a.pricingParam)}::text[],
          ${assets.map((a) => a.productType)}::text[], ${assets.map((a) => a.total)}::int[],
          ${assets.map((a) => a.appleAssigned)}::int[], ${assets.map((a) => a.appleAvailable)}::int[],
          ${assets.map((a) => a.appleRetired)}::int[], ${assets.map((a) => a.deviceAssignable)}::boolean[],
          ${assets.map((a) => a.revocable)}::boolean[], ${assets.map((a) => a.platforms.join(","))}::text[])
          as t(adam_id, pricing_param, product_type, total_count, assigned, available, retired, device_assignable,
            revocable, platforms)
      ), held as (
        select l.adam_id, count(*) as held, count(*) filter (where l.state in ('assigned', 'pending_release')) as at_apple
        from licenses l
        where l.space_id = ${spaceId} and l.account_id = ${accountId} and l.adam_id = any(${adamIds}::text[])
          and l.holds_seat
        group by l.adam_id
      )
      insert into assets as a (space_id, account_id, adam_id, pricing_param, product_type, total_count, used,
        apple_assigned_count, apple_available_count, apple_retired_count, device_assignable, revocable, platforms,
        updated_at)
      select ${spaceId}, ${accountId}, p.adam_id, p.pricing_param, p.product_type, p.total_count,
        coalesce(h.held, 0) + greatest(0, p.assigned - coalesce(h.at_apple, 0)), p.assigned, p.available, p.retired,
        p.device_assignable, p.revocable, coalesce(string_to_array(nullif(p.platforms, ''), ','), '{}'),
        ${at}::timestamptz
      from apple p left join held h on h.adam_id = p.adam_id
      order by p.adam_id
      on conflict (space_id, account_id, adam_id) do update set
        pricing_param = excluded.pricing_param, product_type = excluded.product_type,
        total_count = excluded.total_count, used = excluded.used,
        apple_assigned_count = excluded.apple_assigned_count, apple_available_count = excluded.apple_available_count,
        apple_retired_count = excluded.apple_retired_count, device_assignable = excluded.device_assignable,
        revocable = excluded.revocable, platforms = excluded.platforms, updated_at = excluded.updated_at
      where (a.pricing_param, a.product_type, a.total_count, a.used, a.apple_assigned_count, a.apple_available_count,
          a.apple_retired_count, a.device_assignable, a.revocable, a.platforms)
        is distinct from (excluded.pricing_param, excluded.product_type, excluded.total_count, excluded.used,
          excluded.apple_assigned_count, excluded.apple_available_count, excluded.apple_retired_count,
          excluded.device_assignable, excluded.revocable, excluded.platforms)
      returning a.adam_id, a.total_count`.execute(trx);
    for (const row of rows) {
      const was = before.get(row.adam_id);
      const total = Number(row.total_count);
      if (was === undefined) applied.added.push(row.adam_id);
      else if (was !== total) applied.totalChanged.push({ adamId: row.adam_id, from: was, to: total });
    }
    if (account.auto_distribute) await ensureAllUsersRules(trx, spaceId, accountId, input.now, applied.added);
    return applied;
  });
}
