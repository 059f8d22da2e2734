import { type RawBuilder, type SqlBool, sql } from "kysely";
import { registrationsOnTheirWay } from "./mdm-users.repo.js";

/**
 * UB2: whether the registration at Apple of the user `u` (a `users` row by that alias) is
 * awaited, where `registering` comes from: on its way (registrationsOnTheirWay), or asked for
 * (`registration_requested_at`) and not refused since (its operation failed for good). One
 * definition for a user's registration (registrationsOf) and the users list's filter.
 */
export function registrationAwaited(u: string): RawBuilder<SqlBool> {
  const col = (name: string) => sql.ref(`${u}.${name}`);
  return sql<SqlBool>`(${col("apple_client_user_id")} is not null and (
    exists (select 1 from (${registrationsOnTheirWay(col("space_id"))}) w
      where w.client_user_id = ${col("apple_client_user_id")})
    or (${col("registration_requested_at")} is not null and not exists (select 1 from outbox o
      where o.space_id = ${col("space_id")} and o.kind = 'create_user'
        and o.client_user_id = ${col("apple_client_user_id")}
        and o.state = 'failed' and o.created_at >= ${col("registration_requested_at")}))))`;
}
