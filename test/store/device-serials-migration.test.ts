import { randomBytes } from "node:crypto";
import { type Kysely, Migrator, sql } from "kysely";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deviceIdsOfRefs, findDeviceBySerial } from "../../src/store/device.repo.js";
import {
  createDevices,
  listOutbox,
  openDatabase,
  releaseLicenses,
  type Store,
} from "../../src/store/index.js";
import { deviceSerials, normalizeDeviceSerials } from "../../src/store/migrations/0026_device_serials.js";
import { migrations } from "../../src/store/migrations/index.js";
import { emptyPGliteDataDir, TEST_DATABASE_URL, TEST_SECRET_KEY } from "./databases.js";

/**
 * 0026 on a database written before it, on both engines: serials upper-cased where no other
 * device of the space differs from it only in case, the spelling Apple was sent kept (and
 * still sent), collisions left and reported, non-iOS Shared iPads unmarked and reported.
 */
for (const engine of ["pglite", "postgres"] as const) {
  const skip = engine === "postgres" && !TEST_DATABASE_URL;
  describe(`0026_device_serials [${engine}]`, () => {
    if (skip) {
      it.skip("PostgreSQL variant skipped: TEST_DATABASE_URL is unset (CI always sets it)", () => {});
      return;
    }
    let store: Store;
    let drop = async () => {};
    beforeAll(async () => {
      if (engine === "pglite") {
        store = await openDatabase({
          memory: true,
          secretKey: TEST_SECRET_KEY,
          pgliteTemplate: await emptyPGliteDataDir(),
          skipMigrations: true,
        });
        return;
      }
      // An empty database: the template other tests copy is migrated to the latest already.
      const name = `orchard_m_${randomBytes(6).toString("hex")}`;
      const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${name}`);
      await admin.end();
      const url = new URL(TEST_DATABASE_URL ?? "");
      url.pathname = `/${name}`;
      store = await openDatabase({
        databaseUrl: url.toString(),
        memory: true,
        secretKey: TEST_SECRET_KEY,
        skipMigrations: true,
        poolSize: 2,
      });
      drop = async () => {
        const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
        await client.connect();
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await client.end();
      };
    }, 120_000);
    afterAll(async () => {
      await store?.close();
      await drop();
    });

    it("upper-cases serials, keeps the spelling Apple was sent and sends it, leaves and reports serials that differ only in case (lookups choose among them, a third spelling is refused), unmarks Shared Macs", async () => {
      const db = store.db;
      const report: string[] = [];
      const migrator = new Migrator({
        db,
        provider: {
          getMigrations: async () => ({
            ...migrations,
            "0026_device_serials": deviceSerials((l) => report.push(l)),
          }),
        },
      });
      expect((await migrator.migrateTo("0025_all_users_restored")).error).toBeUndefined();
      await sql`insert into spaces (id, name) values ('s', 'S'), ('t', 'T')`.execute(db);
      await sql`insert into accounts (space_id, id, display_name, stoken_ciphertext, priority)
        values ('s', 'a', 'A', 'x', 1)`.execute(db);
      await sql`insert into assets (space_id, account_id, adam_id, pricing_param, product_type, total_count,
        used, device_assignable) values ('s', 'a', '42', 'STDQ', 'App', 10, 1, true)`.execute(db);
      const device = (
        space: string,
        id: string,
        serial: string,
        platform = "iOS",
        shared = false,
        at = "2026-01-01",
      ) =>
        sql`insert into devices (space_id, id, serial_number, platform, shared_ipad, created_at, updated_at)
          values (${space}, ${id}, ${serial}, ${platform}, ${shared}, ${new Date(at)}, ${new Date(at)})`.execute(
          db,
        );
      await device("s", "lone", "c02d0000"); // upper-cased; Apple holds its license as c02d0000
      await device("s", "upper", "ABC123"); // already so: untouched
      await device("s", "pair-low", "dupe01", "iOS", false, "2026-01-01");
      await device("s", "pair-up", "DUPE01", "iOS", false, "2026-01-02");
      await device("s", "mix-old", "Mix9a", "iOS", false, "2026-01-01");
      await device("s", "mix-new", "mIX9A", "iOS", false, "2026-01-03");
      await device("t", "lone", "c02d0000"); // another space: no collision
      await device("s", "mac", "MACSHARED", "macOS", true);
      await device("s", "ipad", "IPADSHARED", "iOS", true);
      await sql`insert into licenses (space_id, id, account_id, adam_id, type, device_id, state)
        values ('s', 'l1', 'a', '42', 'device', 'lone', 'assigned')`.execute(db);

      expect((await migrator.migrateToLatest()).error).toBeUndefined();

      const rows = await db
        .selectFrom("devices")
        .select(["space_id", "id", "serial_number", "apple_serial_number", "shared_ipad"])
        .orderBy("space_id")
        .orderBy("id")
        .execute();
      const bySpaceId = Object.fromEntries(rows.map((r) => [`${r.space_id}/${r.id}`, r]));
      expect(bySpaceId["s/lone"]).toMatchObject({
        serial_number: "C02D0000",
        apple_serial_number: "c02d0000",
      });
      expect(bySpaceId["t/lone"]).toMatchObject({
        serial_number: "C02D0000",
        apple_serial_number: "c02d0000",
      });
      expect(bySpaceId["s/upper"]).toMatchObject({ serial_number: "ABC123", apple_serial_number: null });
      expect(bySpaceId["s/pair-low"]).toMatchObject({ serial_number: "dupe01", apple_serial_number: null });
      expect(bySpaceId["s/pair-up"]).toMatchObject({ serial_number: "DUPE01", apple_serial_number: null });
      expect(bySpaceId["s/mix-old"]).toMatchObject({ serial_number: "Mix9a", apple_serial_number: null });
      expect(bySpaceId["s/mix-new"]).toMatchObject({ serial_number: "mIX9A", apple_serial_number: null });
      expect(bySpaceId["s/mac"]).toMatchObject({ serial_number: "MACSHARED", shared_ipad: false });
      expect(bySpaceId["s/ipad"]).toMatchObject({ serial_number: "IPADSHARED", shared_ipad: true });

      expect(report).toEqual([
        "0026_device_serials: 2 serial numbers upper-cased (Apple keeps being sent their old spelling)",
        "0026_device_serials: space s: devices pair-low (dupe01), pair-up (DUPE01) have serial numbers that " +
          "differ only in case (DUPE01): left as they are; keep one device and delete the others",
        "0026_device_serials: space s: devices mix-old (Mix9a), mix-new (mIX9A) have serial numbers that " +
          "differ only in case (MIX9A): left as they are; keep one device and delete the others",
        "0026_device_serials: space s: device mac (MACSHARED) is macOS: its Shared iPad mark is cleared " +
          "(Shared iPad is iPadOS only)",
      ]);

      // Lookups in any case: the upper-case one of a pair, else the oldest; the old spelling finds its device.
      const found = async (serial: string) => (await findDeviceBySerial(db, "s", serial))?.id;
      expect(await found("c02d0000")).toBe("lone");
      expect(await found(" C02D0000 ")).toBe("lone");
      expect(await found("dupe01")).toBe("pair-up");
      expect(await found("mix9A")).toBe("mix-old");
      expect(await found("NOPE")).toBeUndefined();
      // References in a list (a rule's reserved devices) choose alike, the prefix in any case,
      // in one statement for the whole list; an unknown serial names its place.
      let statements = 0;
      const counted = db.withPlugin({
        transformQuery: (args) => {
          statements++;
          return args.node;
        },
        transformResult: async (args) => args.result,
      });
      const refs = ["serial:c02d0000", "SERIAL:dupe01", "Serial:mix9A", "pair-low", "serial: mix9a "];
      expect(await deviceIdsOfRefs(counted, "s", refs)).toEqual([
        "lone",
        "pair-up",
        "mix-old",
        "pair-low",
        "mix-old",
      ]);
      expect(statements).toBe(1);
      await expect(
        deviceIdsOfRefs(db, "s", ["lone", "serial:nope"], (i) => `body.reservedDeviceIds.${i}`),
      ).rejects.toMatchObject({
        entity: "device",
        id: "with serial number NOPE",
        field: "body.reservedDeviceIds.1",
      });
      // Where only mixed-case spellings are left (Mix9a, mIX9A), MIX9A is taken all the same:
      // the unique index compares spellings, creating it is refused as a duplicate is.
      await expect(
        createDevices(db, [{ spaceId: "s", serialNumber: "MIX9A", platform: "iOS" }]),
      ).rejects.toMatchObject({
        code: "already_exists",
        message: "serialNumber MIX9A is taken in this space (as Mix9a)",
        details: { field: "serialNumber" },
      });
      expect(
        (await createDevices(db, [{ spaceId: "t", serialNumber: "MIX9A", platform: "iOS" }])).length,
      ).toBe(1);
      const { rows: indexes } = await sql<{ indexdef: string }>`select indexdef from pg_indexes
        where tablename = 'devices' and indexname = 'devices_serial_key'`.execute(db);
      expect(indexes[0]?.indexdef).toContain("translate(serial_number");

      // Apple holds the license under c02d0000: it is released under c02d0000.
      await releaseLicenses(db, {
        spaceId: "s",
        licenseIds: ["l1"],
        actor: { kind: "system" },
        now: new Date("2026-02-01T00:00:00Z"),
        because: ["RV2"],
      });
      const outbox = await listOutbox(db, { spaceId: "s" });
      expect(outbox.map((o) => [o.kind, o.serialNumber, o.licenseId])).toEqual([
        ["disassociate", "c02d0000", "l1"],
      ]);

      // Run again (the data step is re-runnable): nothing more changes, the pairs are reported again.
      const again: string[] = [];
      await normalizeDeviceSerials(db as unknown as Kysely<unknown>, (l) => again.push(l));
      expect(again).toHaveLength(2);
      expect(again.every((l) => l.includes("differ only in case"))).toBe(true);
    });
  });
}
