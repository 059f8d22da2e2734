import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureDefaultSpace } from "../../src/main/default-space.js";
import { createDevices, listActivity, listLicensesForApp, setCatalogApp } from "../../src/store/index.js";
import { type CliHarness, expectFailure, startCli } from "./harness.js";

const APP = "3000101";
const SYSTEM = { kind: "system" as const, id: "cli-test" };
const DAY = 86_400_000;

/**
 * `orchard licenses reclaim`: a preview that asks nothing and says how to reclaim, then
 * --yes, which reclaims exactly what it previewed. Two iPads idle for 100 days, one seen
 * yesterday, each holding a device license of the app.
 */
describe("orchard licenses reclaim", () => {
  let cli: CliHarness;
  let spaceId = "";
  const serials = { idle1: "RECL-IDLE-1", idle2: "RECL-IDLE-2", active: "RECL-ACTIVE" };
  const states = () =>
    cli.withCore(async ({ deps }) =>
      Object.fromEntries(
        await Promise.all(
          (await listLicensesForApp(deps.db, spaceId, APP)).map(async (l) => {
            const device = await deps.db
              .selectFrom("devices")
              .select("serial_number")
              .where("space_id", "=", spaceId)
              .where("id", "=", l.deviceId ?? "")
              .executeTakeFirstOrThrow();
            return [device.serial_number, l.state] as const;
          }),
        ),
      ),
    );

  beforeAll(async () => {
    cli = await startCli();
    const loc = cli.sim.operator.createLocation({ orgName: "Orchard School", locationName: "Main" });
    cli.sim.operator.addAsset(loc.uId, { adamId: APP, totalCount: 5, supportedPlatforms: ["iOS"] });
    await cli.withCore(async ({ store, deps }) => {
      spaceId = await ensureDefaultSpace({ store });
      await deps.accounts.add({
        spaceId,
        name: "Main campus",
        sTokenFile: loc.sToken,
        autoDistribute: true,
        clearPrevious: false,
        takeOver: false,
        actor: SYSTEM,
      });
      await setCatalogApp(deps.db, { spaceId, adamId: APP, name: "Keynote" }, deps.now());
      const devices = await createDevices(
        deps.db,
        Object.values(serials).map((serialNumber) => ({ spaceId, serialNumber, platform: "iOS" as const })),
      );
      for (const d of devices) {
        await deps.licenses.request(deps.db, {
          spaceId,
          adamId: APP,
          subject: { kind: "device", deviceId: d.id },
          why: "mandatory",
          actor: SYSTEM,
          now: deps.now(),
        });
        const lastSeen = d.serialNumber === serials.active ? 1 : 100;
        await deps.db
          .updateTable("devices")
          .set({
            created_at: new Date(Date.now() - 400 * DAY),
            last_check_in_at: new Date(Date.now() - lastSeen * DAY),
          })
          .where("space_id", "=", spaceId)
          .where("id", "=", d.id)
          .execute();
      }
    });
  }, 120_000);
  afterAll(async () => {
    await cli?.close();
  });

  it("without --yes: the count and a table of what would be reclaimed, the command to run with --yes, exit 0, and nothing revoked", async () => {
    const before = await states();
    const preview = await cli.run([
      "licenses",
      "reclaim",
      "--inactive-days",
      "90",
      "--account",
      "main CAMPUS",
    ]);
    expect(preview.code, preview.stderr).toBe(0);
    const [header, ...rows] = preview.stdout.trimEnd().split("\n");
    expect(header).toMatch(/^ID +APP +TYPE +SUBJECT +ACCOUNT +LAST CHECK-IN$/);
    expect(rows).toHaveLength(2);
    expect(preview.stdout).toContain(`device ${serials.idle1}`);
    expect(preview.stdout).toContain(`device ${serials.idle2}`);
    expect(preview.stdout).not.toContain(serials.active);
    // The app by its name (Apple's, else the catalog's) and its id.
    expect(rows[0]).toMatch(
      / \S[^(]* \(3000101\) +device +device RECL-IDLE-\d +Main campus +\d{4}-\d{2}-\d{2} \d{2}:\d{2}Z$/,
    );
    expect(preview.stderr).toBe(
      "2 licenses held by devices or users inactive for 90 days or more; nothing reclaimed. " +
        'To reclaim them: orchard licenses reclaim --inactive-days 90 --account "main CAMPUS" --yes\n',
    );
    const json = await cli.json<{
      preview: boolean;
      count: number;
      limit: number;
      capped: boolean;
      fingerprint: string;
      items: Array<{ serialNumber: string }>;
    }>(["licenses", "reclaim", "--inactive-days", "90", "--type", "device", "--json"]);
    expect(json).toMatchObject({ preview: true, count: 2, limit: 1_000, capped: false });
    // What a reclaim names besides the count (the --yes run sends it itself).
    expect(json.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(json.items.map((i) => i.serialNumber).sort()).toEqual([serials.idle1, serials.idle2]);
    expect(await states()).toEqual(before);
  });

  it("bad input is one line: an unknown app or account exit 3, days out of range or a list-only option exit 2", async () => {
    expectFailure(
      await cli.run(["licenses", "reclaim", "--inactive-days", "90", "--app", "999999"]),
      3,
      /^orchard: app 999999 not found/,
    );
    expectFailure(
      await cli.run(["licenses", "reclaim", "--inactive-days", "90", "--account", "South campus"]),
      3,
      /^orchard: account South campus not found/,
    );
    const [zero, missing, stray] = await Promise.all([
      cli.run(["licenses", "reclaim", "--inactive-days", "0"]),
      cli.run(["licenses", "reclaim"]),
      cli.run(["licenses", "reclaim", "--inactive-days", "90", "--state", "assigned"]),
    ]);
    expectFailure(
      zero,
      2,
      /'--inactive-days <n>' argument '0' is invalid\. expected a whole number from 1 to 3650/,
    );
    expectFailure(missing, 2, /required option '--inactive-days <n>' not specified/);
    expectFailure(
      stray,
      2,
      /^orchard: --state is an option of 'orchard licenses', not of 'orchard licenses reclaim'\n$/,
    );
  });

  it("RV2: --yes reclaims what the preview counted, logs why, and a second run finds nothing left", async () => {
    const done = await cli.run(["licenses", "reclaim", "--inactive-days", "90", "--yes"]);
    expect(done.code, done.stderr).toBe(0);
    expect(done.stderr).toBe("");
    expect(done.stdout).toMatch(/\n2 licenses reclaimed \(devices or users inactive for 90 days or more\)/);
    const after = await states();
    // No worker ran: the assignments never left for Apple, so they are released at once (no grace).
    expect(after).toEqual({
      [serials.idle1]: "released",
      [serials.idle2]: "released",
      [serials.active]: "pending_assign",
    });
    const lines = await cli.withCore(({ deps }) =>
      listActivity(deps.db, spaceId, { action: "license.reclaimed" }),
    );
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      expect(line.message).toMatch(/^reclaimed: device inactive since \d{4}-\d{2}-\d{2}$/);
      expect(line.actor).toEqual({ kind: "system", id: expect.stringMatching(/^cli/) });
    }
    const again = await cli.run(["licenses", "reclaim", "--inactive-days", "90", "--yes"]);
    expect(again).toMatchObject({
      code: 0,
      stdout: "",
      stderr: "no license is held by a device or user inactive for 90 days or more\n",
    });
  });

  it("above one batch (1,000): the preview says so, and --yes reclaims them all, batch after batch, with exact counts", async () => {
    const more = 1_001;
    await cli.withCore(async ({ deps }) => {
      const account = await deps.db
        .selectFrom("accounts")
        .select("id")
        .where("space_id", "=", spaceId)
        .executeTakeFirstOrThrow();
      const ago = (days: number) => new Date(Date.now() - days * DAY);
      await sql`insert into devices (space_id, id, serial_number, platform, last_check_in_at, created_at)
        select ${spaceId}, 'idle-' || g, 'RECL-MANY-' || g, 'iOS', ${ago(100)}::timestamptz, ${ago(400)}::timestamptz
        from generate_series(1, ${more}::int) g`.execute(deps.db);
      await sql`insert into licenses (space_id, id, account_id, adam_id, type, device_id, state, created_at, updated_at)
        select ${spaceId}, gen_random_uuid()::text, ${account.id}, ${APP}, 'device', 'idle-' || g, 'assigned', now(), now()
        from generate_series(1, ${more}::int) g`.execute(deps.db);
    });
    const preview = await cli.run(["licenses", "reclaim", "--inactive-days", "90"]);
    expect(preview.code, preview.stderr).toBe(0);
    expect(preview.stdout.trimEnd().split("\n")).toHaveLength(101);
    expect(preview.stderr).toBe(
      "1001 licenses held by devices or users inactive for 90 days or more (the first 100 shown); nothing reclaimed. " +
        "To reclaim them (1000 a batch): orchard licenses reclaim --inactive-days 90 --yes\n",
    );
    const done = await cli.json(["licenses", "reclaim", "--inactive-days", "90", "--yes", "--json"]);
    expect(done).toMatchObject({
      preview: false,
      count: more,
      limit: 1_000,
      capped: true,
      reclaimed: more,
      remaining: 0,
    });
    const counts = await cli.withCore(async ({ deps }) => {
      const row = await deps.db
        .selectFrom("activity_log")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .where("space_id", "=", spaceId)
        .where("action", "=", "license.reclaimed")
        .where("device_id", "like", "idle-%")
        .executeTakeFirstOrThrow();
      const live = await deps.db
        .selectFrom("licenses")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .where("space_id", "=", spaceId)
        .where("device_id", "like", "idle-%")
        .where("live", "=", true)
        .executeTakeFirstOrThrow();
      return { lines: Number(row.n), live: Number(live.n) };
    });
    expect(counts).toEqual({ lines: more, live: 0 });
  });

  it("RV2, RV3: licenses revoke takes one license back by its id and says where it goes; again, or unknown, or with a list option, a one-line refusal", async () => {
    const [license] = (await cli.withCore(({ deps }) => listLicensesForApp(deps.db, spaceId, APP))).filter(
      (l) => l.state === "assigned" || l.state === "pending_assign",
    );
    if (!license) throw new Error("the active iPad's license is live");
    const revoked = await cli.run(["licenses", "revoke", license.id]);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stdout).toMatch(
      new RegExp(
        `^license ${license.id} revoked \\(RV2\\), now (pending_release|released|in_grace): its release goes to Apple`,
      ),
    );
    const log = await cli.withCore(({ deps }) => listActivity(deps.db, spaceId, { licenseId: license.id }));
    expect(log[0]?.ruleIds).toContain("RV2");
    expectFailure(
      await cli.run(["licenses", "revoke", license.id]),
      4,
      / is (released|pending_release|in_grace), not live/,
    );
    expectFailure(
      await cli.run(["licenses", "revoke", "no-such-license"]),
      3,
      /license no-such-license not found/,
    );
    expectFailure(
      await cli.run(["licenses", "--app", APP, "revoke", license.id]),
      2,
      /--app is an option of 'orchard licenses', not of 'orchard licenses revoke'/,
    );
  });
});
