import { randomUUID } from "node:crypto";
import { statSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { Kysely, Migrator, sql } from "kysely";
import { describe, expect, it } from "vitest";
import { LIVE_STATES, type LicenseState, SEAT_HOLDING_STATES } from "../../src/licensing/index.js";
import { findCallsOfEvent } from "../../src/store/apple-calls.repo.js";
import {
  createAccount,
  createSpace,
  type Database,
  findLicense,
  insertLicenses,
  listWaitingRequests,
  migrate,
  type OutboxRecord,
  openDatabase,
  revealSToken,
} from "../../src/store/index.js";
import { migrations } from "../../src/store/migrations/index.js";
import { PGLITE_EXTENSIONS } from "../../src/store/open.js";
import { PGliteDialect } from "../../src/store/pglite-dialect.js";
import type { SyncDeps } from "../../src/sync/deps.js";
import { applyOutcomes } from "../../src/sync/outcomes.js";
import { describeEachDatabase, emptyPGliteDataDir, pgliteTemplate } from "./databases.js";

/**
 * A new, empty (never migrated) PGlite database in memory, as `openDatabase({ memory: true })`
 * makes one: a copy of one made once (databases.ts). Creating each (initdb) took 5 to 9 s of
 * this file's minute; loading a copy, about 1.5 s.
 */
async function emptyPGlite(): Promise<PGlite> {
  const pglite = new PGlite("memory://", {
    loadDataDir: await emptyPGliteDataDir(),
    extensions: PGLITE_EXTENSIONS,
  });
  await pglite.waitReady;
  return pglite;
}

describeEachDatabase("migrations", (database) => {
  it("run twice: the second run applies nothing and the schema stays", async () => {
    const { db } = database().store;
    // openDatabase already migrated once; two more runs must be no-ops.
    expect(await migrate(db)).toEqual([]);
    expect(await migrate(db)).toEqual([]);
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from information_schema.tables
      where table_schema = 'public' and table_name in
        ('spaces','users','groups','group_members','devices','installed_apps','accounts','assets','catalog_apps',
         'app_rules','rule_groups','rule_users','rule_devices','licenses','license_queue','outbox','activity_log','notifications')
    `.execute(db);
    expect(rows[0]?.n).toBe(18);
  });

  it("a database a newer Orchard migrated is refused by this build, naming the migration it does not know", async () => {
    const { db } = database().store;
    const future = "9999_from_a_newer_orchard";
    await sql`insert into kysely_migration (name, timestamp) values (${future}, ${new Date().toISOString()})`.execute(
      db,
    );
    try {
      await expect(migrate(db)).rejects.toMatchObject({
        code: "schema_newer",
        message: `this database was migrated by a newer Orchard (its migration ${future} is unknown to this build): run that version or a later one`,
      });
    } finally {
      await sql`delete from kysely_migration where name = ${future}`.execute(db);
    }
    expect(await migrate(db)).toEqual([]);
  });

  it("counts come back as numbers, not strings", async () => {
    const { db } = database().store;
    const { rows } = await sql<{
      big: number;
      num: number;
    }>`select 5::int8 as big, 2.5::numeric as num`.execute(db);
    expect(rows[0]).toEqual({ big: 5, num: 2.5 });
  });

  it("LT4, invariant 2: the generated live / holds_seat / grace_ends columns agree with the engine's states", async () => {
    const { db } = database().store;
    const states: LicenseState[] = ["pending_assign", "assigned", "pending_release", "in_grace", "released"];
    const space = await createSpace(db, { name: "generated" });
    const { keys } = database().store;
    const account = await createAccount(db, keys, { spaceId: space.id, displayName: "A", sToken: "t" });
    await sql`insert into assets (space_id, account_id, adam_id, pricing_param, product_type, total_count, device_assignable) values (${space.id}, ${account.id}, '1', 'STDQ', 'App', 10, true)`.execute(
      db,
    );
    const graceUntil = new Date("2030-01-01T00:00:00Z");
    for (const state of states) {
      const device = `d-${state}`;
      await sql`insert into devices (space_id, id, serial_number, platform) values (${space.id}, ${device}, ${device}, 'iOS')`.execute(
        db,
      );
      await sql`insert into licenses (space_id, id, account_id, adam_id, type, device_id, state, grace_until)
        values (${space.id}, ${device}, ${account.id}, '1', 'device', ${device}, ${state}, ${graceUntil})`.execute(
        db,
      );
      const row = await db
        .selectFrom("licenses")
        .select(["live", "holds_seat", "grace_ends"])
        .where("space_id", "=", space.id)
        .where("id", "=", device)
        .executeTakeFirstOrThrow();
      expect({ state, live: row.live }).toEqual({ state, live: LIVE_STATES.includes(state) });
      expect({ state, seat: row.holds_seat }).toEqual({ state, seat: SEAT_HOLDING_STATES.includes(state) });
      expect({ state, grace: row.grace_ends?.getTime() ?? null }).toEqual({
        state,
        grace: state === "in_grace" ? graceUntil.getTime() : null,
      });
    }
  });

  it("every table with a space_id has it first in its primary key (distributable by space)", async () => {
    const { db } = database().store;
    const { rows } = await sql<{ table_name: string; first: string }>`
      select c.relname as table_name, a.attname as first
      from pg_index i
      join pg_class c on c.oid = i.indrelid
      join pg_namespace n on n.oid = c.relnamespace
      join pg_attribute a on a.attrelid = c.oid and a.attnum = i.indkey[0]
      where i.indisprimary and n.nspname = 'public'
        and exists (select 1 from pg_attribute s where s.attrelid = c.oid and s.attname = 'space_id' and not s.attisdropped)
    `.execute(db);
    const keyed = rows.map((r) => r.table_name);
    for (const table of [
      "users",
      "devices",
      "accounts",
      "assets",
      "licenses",
      "outbox",
      "activity_log",
      "notifications",
    ]) {
      expect(keyed).toContain(table);
    }
    // Orchard-wide tables that merely mention spaces (auth: one admin, roles in many spaces).
    const global = new Set(["role_grants"]);
    for (const row of rows.filter((r) => !global.has(r.table_name))) {
      expect([row.table_name, row.first]).toEqual([row.table_name, "space_id"]);
    }
  });
});

describe("openDatabase on disk (PGlite)", () => {
  it("persists in dataDir, generates the key file with mode 0600 and reuses it on reopen", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "orchard-open-"));
    try {
      // Created from the migrated template (initdb and every migration on disk took seconds;
      // the first open of a folder without one is `orchard`'s, test/cli/conventions.test.ts).
      const first = await openDatabase({ dataDir, pgliteTemplate: await pgliteTemplate() });
      const space = await createSpace(first.db, { name: "Default", isDefault: true });
      const account = await createAccount(first.db, first.keys, {
        spaceId: space.id,
        displayName: "A",
        sToken: "secret-token",
      });
      await first.close();
      expect(statSync(join(dataDir, "secret.key")).mode & 0o777).toBe(0o600);

      const second = await openDatabase({ dataDir });
      expect(second.keys.current.id).toBe(first.keys.current.id);
      expect(await revealSToken(second.db, account.id, second.keys)).toBe("secret-token");
      await second.close();
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe("0010_apple_calls", () => {
  it("invariant 3: operations Apple had accepted before the upgrade become calls, one per eventId, and are still followed", async () => {
    const pglite = await emptyPGlite();
    const db = new Kysely<Database>({ dialect: new PGliteDialect(pglite) });
    try {
      const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
      expect((await migrator.migrateTo("0009_license_hot_updates")).error).toBeUndefined();
      await sql`insert into spaces (id, name) values ('s', 'S')`.execute(db);
      const sent = (seq: number, kind: string, event: string, serial: string) =>
        sql`insert into outbox (space_id, seq, account_id, kind, adam_id, pricing_param, serial_number,
            license_id, state, event_id, sent_at, claimed_by, claimed_until)
          overriding system value
          values ('s', ${seq}, 'a', ${kind}, '42', 'STDQ', ${serial}, ${`l${seq}`}, 'sent', ${event}, now(),
            'w', now())`.execute(db);
      await sent(3, "associate", "E1", "S3");
      await sent(1, "associate", "E1", "S1");
      await sent(2, "associate", "E1", "S2");
      await sent(4, "disassociate", "E2", "S4");
      await sql`insert into outbox (space_id, seq, account_id, kind, adam_id, serial_number, state, claimed_by,
          claimed_until) overriding system value values ('s', 5, 'a', 'associate', '42', 'S5', 'pending', 'w', now())`.execute(
        db,
      );
      expect((await migrator.migrateToLatest()).error).toBeUndefined();

      const [e1] = await findCallsOfEvent(db, "E1");
      expect(e1?.kind).toBe("associate");
      expect(e1?.assets).toEqual([{ adamId: "42", pricingParam: "STDQ" }]);
      expect(e1?.ops.map((o) => [o.seq, o.serialNumber, o.licenseId])).toEqual([
        [1, "S1", "l1"],
        [2, "S2", "l2"],
        [3, "S3", "l3"],
      ]);
      expect((await findCallsOfEvent(db, "E2")).map((c) => c.ops.map((o) => o.seq))).toEqual([[4]]);
      const left = await db.selectFrom("outbox").select(["seq", "state", "claimed_by"]).execute();
      expect(left).toEqual([{ seq: 5, state: "pending", claimed_by: null }]);
    } finally {
      await db.destroy();
    }
  });
});

describe("0013_mdm_commands_awaiting_license", () => {
  it("LT2: pending installs whose license is pending_assign are marked, no other command; the mark then follows the license, and an install whose license is no longer live is cancelled (0047)", async () => {
    const pglite = await emptyPGlite();
    const db = new Kysely<Database>({ dialect: new PGliteDialect(pglite) });
    try {
      const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
      expect((await migrator.migrateTo("0012_apple_request_windows")).error).toBeUndefined();
      await sql`insert into spaces (id, name) values ('s', 'S')`.execute(db);
      await sql`insert into accounts (space_id, id, display_name, stoken_ciphertext, priority)
        values ('s', 'a', 'A', 'x', 1)`.execute(db);
      await sql`insert into assets (space_id, account_id, adam_id, pricing_param, product_type, total_count,
        device_assignable) values ('s', 'a', '42', 'STDQ', 'App', 10, true)`.execute(db);
      // [license state, command kind, command state] of each device; null: no license.
      const cases: Array<[string | null, "install" | "remove", string]> = [
        ["pending_assign", "install", "pending"], // d1: marked
        ["assigned", "install", "pending"], // d2
        ["released", "install", "pending"], // d3: the poll cancelled it; 0047 cancels it at once
        ["pending_assign", "install", "delivered"], // d4: not pending
        [null, "remove", "pending"], // d5
        ["pending_assign", "install", "pending"], // d6: marked
      ];
      for (const [i, [license, kind, state]] of cases.entries()) {
        const device = `d${i + 1}`;
        await sql`insert into devices (space_id, id, serial_number, platform) values ('s', ${device}, ${device}, 'iOS')`.execute(
          db,
        );
        if (license) {
          await sql`insert into licenses (space_id, id, account_id, adam_id, type, device_id, state)
            values ('s', ${`l${i + 1}`}, 'a', '42', 'device', ${device}, ${license})`.execute(db);
        }
        await sql`insert into mdm_commands (space_id, id, kind, device_id, serial_number, adam_id, license_id, state)
          values ('s', ${`c${i + 1}`}, ${kind}, ${device}, ${device}, '42', ${license ? `l${i + 1}` : null}, ${state})`.execute(
          db,
        );
      }
      expect((await migrator.migrateToLatest()).error).toBeUndefined();

      const marks = async () =>
        (
          await sql<{ id: string; awaiting_license: boolean }>`select id, awaiting_license from mdm_commands
          order by seq`.execute(db)
        ).rows.map((r) => [r.id, r.awaiting_license]);
      expect(await marks()).toEqual([
        ["c1", true],
        ["c2", false],
        ["c3", false],
        ["c4", false],
        ["c5", false],
        ["c6", true],
      ]);
      // The triggers take over: Apple's confirmation of l1 clears c1; deleting l6 (AC5)
      // cancels c6 (0047), as 0047 cancelled c3, whose license was released already.
      await sql`update licenses set state = 'assigned' where id = 'l1'`.execute(db);
      await sql`delete from licenses where id = 'l6'`.execute(db);
      expect((await marks()).filter(([, marked]) => marked)).toEqual([]);
      const { rows: states } = await sql<{ id: string; state: string; last_error: string | null }>`
        select id, state, last_error from mdm_commands order by seq`.execute(db);
      expect(states.map((r) => [r.id, r.state, r.last_error])).toEqual([
        ["c1", "pending", null],
        ["c2", "pending", null],
        ["c3", "cancelled", "license no longer live"],
        ["c4", "delivered", null],
        ["c5", "pending", null],
        ["c6", "cancelled", "license no longer live"],
      ]);
      const { rows: indexes } = await sql<{ indexname: string }>`select indexname from pg_indexes
        where tablename = 'mdm_commands' and indexname like 'mdm_commands_%' order by indexname`.execute(db);
      expect(indexes.map((r) => r.indexname)).toEqual([
        "mdm_commands_by_device_app",
        "mdm_commands_deliverable",
        "mdm_commands_failed", // 0040
        "mdm_commands_invite_once", // 0036
        "mdm_commands_invites", // 0036
        "mdm_commands_pending", // 0017 (it replaced mdm_commands_open)
        "mdm_commands_pending_license", // 0047 (it replaced mdm_commands_awaiting)
        "mdm_commands_pkey",
        "mdm_commands_space_id_id_key",
      ]);
    } finally {
      await db.destroy();
    }
  });
});

describe("0015_license_requested_at", () => {
  it("DB2: licenses from before have no requested_at and read as their created_at; new ones keep theirs; the queue is indexed in order of request", async () => {
    const pglite = await emptyPGlite();
    const db = new Kysely<Database>({ dialect: new PGliteDialect(pglite) });
    try {
      const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
      expect((await migrator.migrateTo("0014_outbox_pending_by_account")).error).toBeUndefined();
      await sql`insert into spaces (id, name) values ('s', 'S')`.execute(db);
      await sql`insert into accounts (space_id, id, display_name, stoken_ciphertext, priority)
        values ('s', 'a', 'A', 'x', 1)`.execute(db);
      await sql`insert into assets (space_id, account_id, adam_id, pricing_param, product_type, total_count,
        device_assignable) values ('s', 'a', '42', 'STDQ', 'App', 10, true)`.execute(db);
      for (const device of ["d1", "d2"]) {
        await sql`insert into devices (space_id, id, serial_number, platform) values ('s', ${device}, ${device}, 'iOS')`.execute(
          db,
        );
      }
      const granted = new Date("2026-01-10T08:00:00Z");
      await sql`insert into licenses (space_id, id, account_id, adam_id, type, device_id, state, created_at)
        values ('s', 'l1', 'a', '42', 'device', 'd1', 'pending_assign', ${granted})`.execute(db);
      expect((await migrator.migrateToLatest()).error).toBeUndefined();

      const { rows } = await sql<{ requested_at: Date | null }>`select requested_at from licenses`.execute(
        db,
      );
      expect(rows).toEqual([{ requested_at: null }]); // no backfill: the table is not rewritten
      expect((await findLicense(db, "s", "l1"))?.requestedAt).toEqual(granted);
      const asked = new Date("2026-01-05T08:00:00Z");
      await insertLicenses(db, [
        {
          id: "l2",
          spaceId: "s",
          accountId: "a",
          adamId: "42",
          type: "device",
          deviceId: "d2",
          state: "pending_assign",
          requestedAt: asked,
          now: granted,
        },
      ]);
      expect((await findLicense(db, "s", "l2"))?.requestedAt).toEqual(asked);
      const { rows: indexes } = await sql<{ indexname: string; indexdef: string }>`select indexname, indexdef
        from pg_indexes where tablename = 'license_queue' order by indexname`.execute(db);
      // 0015's index replaced the one by app (later migrations add others, for other lookups).
      expect(indexes.map((r) => r.indexname)).not.toContain("license_queue_by_app");
      expect(indexes.find((i) => i.indexname === "license_queue_in_order")?.indexdef).toContain(
        "(space_id, adam_id, requested_at, seq)",
      );
    } finally {
      await db.destroy();
    }
  });
});

describe("0016_license_request_subject", () => {
  it("DB2: licenses from before keep no request and, refused by Apple (9709), still wait again as their own subject; new ones keep who asked", async () => {
    const pglite = await emptyPGlite();
    const db = new Kysely<Database>({ dialect: new PGliteDialect(pglite) });
    try {
      const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
      expect((await migrator.migrateTo("0015_license_requested_at")).error).toBeUndefined();
      await sql`insert into spaces (id, name) values ('s', 'S')`.execute(db);
      await sql`insert into accounts (space_id, id, display_name, stoken_ciphertext, priority)
        values ('s', 'a', 'A', 'x', 1)`.execute(db);
      await sql`insert into assets (space_id, account_id, adam_id, pricing_param, product_type, total_count,
        used, device_assignable) values ('s', 'a', '42', 'STDQ', 'App', 10, 2, true)`.execute(db);
      await sql`insert into users (space_id, id, name, apple_client_user_id, apple_status)
        values ('s', 'u1', 'U1', 'cu1', 'Associated')`.execute(db);
      for (const device of ["d1", "d2"]) {
        await sql`insert into devices (space_id, id, serial_number, platform, user_id)
          values ('s', ${device}, ${device}, 'iOS', 'u1')`.execute(db);
      }
      const asked = new Date("2026-01-05T08:00:00Z");
      const later = new Date("2026-01-06T08:00:00Z");
      const granted = new Date("2026-01-10T08:00:00Z");
      // A device-based license (the device asked) and a user-based one (a device of the user may have asked).
      await sql`insert into licenses (space_id, id, account_id, adam_id, type, device_id, state, created_at, requested_at)
        values ('s', 'l1', 'a', '42', 'device', 'd1', 'pending_assign', ${granted}, ${asked})`.execute(db);
      await sql`insert into licenses (space_id, id, account_id, adam_id, type, user_id, state, created_at, requested_at)
        values ('s', 'l2', 'a', '42', 'user', 'u1', 'pending_assign', ${granted}, ${later})`.execute(db);
      expect((await migrator.migrateToLatest()).error).toBeUndefined();

      const { rows } = await sql<{ request_subject: string | null; request_why: string | null }>`
        select request_subject, request_why from licenses order by id`.execute(db);
      expect(rows).toEqual([
        { request_subject: null, request_why: null },
        { request_subject: null, request_why: null },
      ]); // no backfill: the table is not rewritten
      expect((await findLicense(db, "s", "l1"))?.request).toBeUndefined();

      // Apple refuses both associations: each waits again from its license's subject, as before 0016.
      const now = new Date("2026-01-11T08:00:00Z");
      const deps = { db, now: () => now, tuning: { retryDelayMs: 0 } } as Pick<
        SyncDeps,
        "db" | "now"
      > as SyncDeps;
      const rowsSent: OutboxRecord[] = ["l1", "l2"].map((licenseId, i) => ({
        spaceId: "s",
        seq: i + 1,
        accountId: "a",
        kind: "associate",
        adamId: "42",
        licenseId,
        state: "sent",
        attempts: 1,
        createdAt: granted,
        updatedAt: granted,
      }));
      await applyOutcomes(deps, rowsSent, () => ({ ok: false, errorNumber: 9709 }));
      expect((await findLicense(db, "s", "l1"))?.state).toBe("released");
      expect((await findLicense(db, "s", "l2"))?.state).toBe("released");
      const waiting = await listWaitingRequests(db, "s", "42");
      expect(waiting.map(({ subject, why, waitingSince }) => ({ subject, why, waitingSince }))).toEqual([
        { subject: { kind: "device", deviceId: "d1" }, why: "mandatory", waitingSince: asked },
        { subject: { kind: "user", userId: "u1" }, why: "requested", waitingSince: later },
      ]);

      // Written since: the subject that asked and why, both or neither, checked by the schema.
      await sql`insert into licenses (space_id, id, account_id, adam_id, type, user_id, state, request_subject,
        request_why) values ('s', 'l3', 'a', '42', 'user', 'u1', 'pending_assign', 'd:d2', 'check_in')`.execute(
        db,
      );
      expect((await findLicense(db, "s", "l3"))?.request).toEqual({
        subject: { kind: "device", deviceId: "d2" },
        why: "check_in",
      });
      const bad = (subject: string | null, why: string | null) =>
        sql`insert into licenses (space_id, id, account_id, adam_id, type, device_id, state, request_subject,
          request_why) values ('s', ${randomUUID()}, 'a', '42', 'device', 'd2', 'released', ${subject},
          ${why})`.execute(db);
      await expect(bad("d:d2", null)).rejects.toThrow(/licenses_request/);
      await expect(bad(null, "mandatory")).rejects.toThrow(/licenses_request/);
      await expect(bad("x:d2", "mandatory")).rejects.toThrow(/licenses_request/);
      await expect(bad("d:d2", "because")).rejects.toThrow(/licenses_request/);
    } finally {
      await db.destroy();
    }
  });
});

describe("0017_mdm_commands_pending_by_space", () => {
  it("LT2: a space's pending MDM commands are listed by their own index, in order, whatever its delivered history and the other spaces' backlog", async () => {
    // Migrated to the latest schema: the template every PGlite suite starts from (same migrate()).
    // With the extensions Orchard loads: the template's devices are indexed by pg_trgm's (0050).
    const pglite = new PGlite("memory://", {
      loadDataDir: await pgliteTemplate(),
      extensions: PGLITE_EXTENSIONS,
    });
    const db = new Kysely<Database>({ dialect: new PGliteDialect(pglite) });
    try {
      const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
      expect((await migrator.migrateToLatest()).error).toBeUndefined();
      for (const space of ["s", "other"]) {
        await sql`insert into spaces (id, name) values (${space}, ${space})`.execute(db);
        await sql`insert into devices (space_id, id, serial_number, platform) values (${space}, 'd', 'SER', 'iOS')`.execute(
          db,
        );
      }
      // This space: a long delivered history and a few pending; the other: a big backlog.
      const commands = (space: string, n: number, state: string) =>
        sql`insert into mdm_commands (space_id, id, kind, device_id, serial_number, adam_id, state)
          select ${space}, ${space} || '-' || ${state} || '-' || i, 'install', 'd', 'SER', '42', ${state}
          from generate_series(1, ${n}::int) as i`.execute(db);
      await commands("s", 20_000, "delivered");
      await commands("s", 5, "pending");
      await commands("other", 20_000, "pending");
      await sql`analyze mdm_commands`.execute(db);
      const listing = db
        .selectFrom("mdm_commands")
        .selectAll()
        .where("space_id", "=", "s")
        .where("state", "=", "pending")
        .orderBy("seq")
        .limit(1000)
        .compile();
      const { rows } = await sql<{ "QUERY PLAN": string }>`explain ${sql.raw(
        listing.sql.replace(/\$(\d+)/g, (_, i) => `'${String(listing.parameters[Number(i) - 1])}'`),
      )}`.execute(db);
      const plan = rows.map((r) => r["QUERY PLAN"]).join("\n");
      expect(plan).toMatch(/Index Scan using mdm_commands_pending/);
      expect(plan).not.toMatch(/Sort|Seq Scan|mdm_commands_pkey/);
    } finally {
      await db.destroy();
    }
  });
});
