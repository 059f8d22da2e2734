import { randomUUID } from "node:crypto";
import { type Kysely, sql } from "kysely";
import { expect, it } from "vitest";
import type { Database } from "../../src/store/index.js";
import { describeEachDatabase } from "./databases.js";

/** The plan PostgreSQL (or PGlite) picks for a statement, its parameters inlined. */
async function planOf(db: Kysely<Database>, statement: string): Promise<string> {
  const { rows } = await sql<{ "QUERY PLAN": string }>`explain ${sql.raw(statement)}`.execute(db);
  return rows.map((r) => r["QUERY PLAN"]).join("\n");
}

/**
 * 0029_lookup_indexes: the lookups by group, by device and by user read their own rows by
 * index, not the space's whole rules or queue (a queue of 20,000 over 20 apps here). The
 * queue's are its unique indexes, which lead with the subject since 0039.
 */
describeEachDatabase("lookups by group, device and user (0029)", (database) => {
  it("DI1, DB2, UB3: a group's rules, and a device's or a user's queue rows across apps, are found by index", async () => {
    const { db } = database().store;
    const space = `s-${randomUUID()}`;
    await sql`insert into spaces (id, name) values (${space}, ${space})`.execute(db);
    await sql`insert into accounts (space_id, id, display_name, stoken_ciphertext, priority)
      select ${space}, 'a' || i, 'Account ' || i, 'x', i from generate_series(1, 3) i`.execute(db);
    await sql`insert into assets (space_id, account_id, adam_id, pricing_param, product_type, total_count,
        device_assignable)
      select ${space}, 'a' || a, (500000000 + i)::text, 'STDQ', 'App', 10, true
      from generate_series(1, 400) i, generate_series(1, 3) a`.execute(db);
    await sql`insert into app_rules (space_id, account_id, adam_id, fcfs_enabled)
      select space_id, account_id, adam_id, true from assets where space_id = ${space}`.execute(db);
    await sql`insert into groups (space_id, id, name)
      select ${space}, 'g' || i, 'Group ' || i from generate_series(1, 40) i`.execute(db);
    // 1,200 rules, each naming two of the 40 groups.
    await sql`insert into rule_groups (space_id, account_id, adam_id, group_id)
      select r.space_id, r.account_id, r.adam_id, 'g' || (1 + (r.adam_id::int + k * 7) % 40)
      from app_rules r, generate_series(0, 1) k where r.space_id = ${space}`.execute(db);
    await sql`insert into users (space_id, id, name) select ${space}, 'u' || i, 'User ' || i
      from generate_series(1, 5000) i`.execute(db);
    await sql`insert into devices (space_id, id, serial_number, platform)
      select ${space}, 'd' || i, 'SER' || i, 'iOS' from generate_series(1, 10000) i`.execute(db);
    // 20,000 queue rows over 20 apps: each device waits for one app, each user for two.
    await sql`insert into license_queue (space_id, adam_id, device_id, why, reason)
      select ${space}, (500000001 + i % 20)::text, 'd' || i, 'check_in', 'no_seat'
      from generate_series(1, 10000) i`.execute(db);
    await sql`insert into license_queue (space_id, adam_id, user_id, why, reason)
      select ${space}, (500000001 + (i + k * 7) % 20)::text, 'u' || i, 'requested', 'no_seat'
      from generate_series(1, 5000) i, generate_series(0, 1) k`.execute(db);
    await sql`analyze rule_groups`.execute(db);
    await sql`analyze license_queue`.execute(db);

    // A group's usedBy (rulesUsingGroups), and the cascade of its deletion, by group.
    const byGroup = await planOf(
      db,
      `select r.account_id, r.adam_id from rule_groups r where r.space_id = '${space}' and r.group_id = any('{g7}'::text[])`,
    );
    expect(byGroup).toMatch(/(Index Scan using|Bitmap Index Scan on) rule_groups_by_group/);
    expect(byGroup).not.toMatch(/Seq Scan/);
    // The apps a device (devices/:id/waiting) or a user waits for, and the rows each leaves.
    for (const [column, id, index] of [
      ["device_id", "d4242", "license_queue_one_per_device"],
      ["user_id", "u4242", "license_queue_one_per_user"],
    ] as const) {
      for (const statement of [
        `select q.adam_id from license_queue q where q.space_id = '${space}' and q.${column} = '${id}'`,
        `delete from license_queue where space_id = '${space}' and ${column} = '${id}'`,
      ]) {
        const plan = await planOf(db, statement);
        expect(plan, statement).toMatch(
          new RegExp(`(Index Scan using|Index Only Scan using|Bitmap Index Scan on) ${index}`),
        );
        expect(plan, statement).not.toMatch(/Seq Scan/);
      }
    }
  });
});
