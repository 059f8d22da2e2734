import { type RawBuilder, sql } from "kysely";

/**
 * DI6: the seats an asset row (`asset`, an alias with space_id, account_id and adam_id) holds
 * for reservations not used yet: reserved users and devices holding no seat of that account
 * for the app. No one else may take them, so a count of free licenses leaves them out, as
 * decide() does (`unusedReservations`). A scalar expression: per asset, the rule rows by key.
 */
export function heldForReservations(asset: string): RawBuilder<number> {
  const a = sql.ref(asset);
  const unheld = (holder: "user_id" | "device_id") =>
    sql`not exists (select 1 from licenses h where h.space_id = ${a}.space_id and h.account_id = ${a}.account_id
      and h.adam_id = ${a}.adam_id and h.holds_seat and h.${sql.raw(holder)} = r.${sql.raw(holder)})`;
  const ofAsset = sql`r.space_id = ${a}.space_id and r.account_id = ${a}.account_id and r.adam_id = ${a}.adam_id`;
  return sql<number>`((select count(*) from rule_users r where ${ofAsset} and r.role = 'reserved' and ${unheld("user_id")})
    + (select count(*) from rule_devices r where ${ofAsset} and ${unheld("device_id")}))::int`;
}

/** Licenses free for anyone: neither used nor held for a reservation (DI6). */
export function freeLicenses(counts: { total: number; used: number; reserved: number }): number {
  return Math.max(0, counts.total - counts.used - counts.reserved);
}
