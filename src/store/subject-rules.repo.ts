import { sql } from "kysely";
import type { Db } from "./database.js";

/** A license rule naming one user or device (DI3, DI4, DB3): reserved for them, or prohibited. */
export interface SubjectRule {
  accountId: string;
  accountName: string;
  adamId: string;
  appName?: string;
  role: "reserved" | "prohibited";
  /** A reservation its holder uses: they hold a license of that account for the app (DI6: else it holds a seat). */
  inUse: boolean;
}

export type RuleSubject = { kind: "user"; userId: string } | { kind: "device"; deviceId: string };

/**
 * The license rules that name a user (reserved or prohibited) or a device (reserved), by app
 * then account: what an administrator looks for on the subject's page, not on each app's.
 */
export async function rulesNamingSubject(
  db: Db,
  spaceId: string,
  subject: RuleSubject,
): Promise<SubjectRule[]> {
  const named =
    subject.kind === "user"
      ? sql`select account_id, adam_id, role, user_id, null::text as device_id from rule_users
          where space_id = ${spaceId} and user_id = ${subject.userId}`
      : sql`select account_id, adam_id, 'reserved' as role, null::text as user_id, device_id from rule_devices
          where space_id = ${spaceId} and device_id = ${subject.deviceId}`;
  const { rows } = await sql<{
    account_id: string;
    account_name: string;
    adam_id: string;
    app_name: string | null;
    role: "reserved" | "prohibited";
    in_use: boolean;
  }>`select r.account_id, a.display_name as account_name, r.adam_id,
      coalesce(s.name, c.name) as app_name, r.role,
      r.role = 'reserved' and exists (select 1 from licenses l
        where l.space_id = ${spaceId} and l.account_id = r.account_id and l.adam_id = r.adam_id and l.holds_seat
          and (l.user_id = r.user_id or l.device_id = r.device_id)) as in_use
    from (${named}) r
    join accounts a on a.space_id = ${spaceId} and a.id = r.account_id
    left join assets s on s.space_id = ${spaceId} and s.account_id = r.account_id and s.adam_id = r.adam_id
    left join catalog_apps c on c.space_id = ${spaceId} and c.adam_id = r.adam_id
    order by coalesce(s.name, c.name, r.adam_id), a.display_name`.execute(db);
  return rows.map((r) => ({
    accountId: r.account_id,
    accountName: r.account_name,
    adamId: r.adam_id,
    ...(r.app_name ? { appName: r.app_name } : {}),
    role: r.role,
    inUse: r.in_use,
  }));
}
