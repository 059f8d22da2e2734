import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureDefaultSpace } from "../../src/main/default-space.js";
import {
  appendOutbox,
  createDevices,
  findLicense,
  listActivity,
  setCatalogApp,
} from "../../src/store/index.js";
import { requeueSubjects } from "../../src/store/sync-licenses.repo.js";
import { finishOutbox } from "../../src/store/sync-outbox.repo.js";
import { accountWithSeats, deviceLicenses } from "../store/fixtures.js";
import { type CliHarness, expectFailure, startCli } from "./harness.js";

const APP = "3100002";

/**
 * `orchard refusals list | retry | abandon` against the real binary: a request Apple
 * refused for good (DB2, UB3) and a release it refused (RV2), as the sync leaves them.
 */
describe("orchard refusals", () => {
  let cli: CliHarness;
  let spaceId = "";
  let licenseId = "";

  beforeAll(async () => {
    cli = await startCli();
    await cli.withCore(async (core) => {
      const { db, keys } = core.store;
      const now = core.deps.now();
      spaceId = await ensureDefaultSpace({ store: core.store });
      await setCatalogApp(db, { spaceId, adamId: APP, name: "Keynote" }, now);
      const { account } = await accountWithSeats(db, keys, { spaceId, adamId: APP, total: 5 });
      const [held, released] = await createDevices(
        db,
        ["REF-HELD", "REF-REL"].map((serialNumber) => ({ spaceId, serialNumber, platform: "iOS" as const })),
      );
      if (!held || !released) throw new Error("no devices");
      await requeueSubjects(db, [
        {
          spaceId,
          adamId: APP,
          deviceId: held.id,
          why: "mandatory",
          ruleIds: ["DB2", "UB3"],
          requestedAt: now,
          now,
          refusal: { errorNumber: 9602, message: "Invalid argument.", accountId: account.id },
        },
      ]);
      [licenseId = ""] = await deviceLicenses(db, {
        spaceId,
        accountId: account.id,
        adamId: APP,
        devices: [released],
        state: "pending_release",
      });
      await appendOutbox(db, [
        {
          spaceId,
          accountId: account.id,
          kind: "disassociate",
          adamId: APP,
          serialNumber: "REF-REL",
          licenseId,
          now,
        },
      ]);
      const ops = await db.selectFrom("outbox").select("seq").where("license_id", "=", licenseId).execute();
      await finishOutbox(db, {
        spaceId,
        seqs: ops.map((o) => o.seq),
        state: "failed",
        error: "9706 Asset in request is not revocable",
        now,
      });
    });
  }, 120_000);

  afterAll(async () => {
    await cli?.close();
  });

  it("DB2, RV2: list shows the refused request and the refused release with Apple's reasons, and how to act", async () => {
    const human = await cli.run(["refusals", "list"]);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/Requests Apple refused \(1\)/);
    expect(human.stdout).toMatch(/Keynote \(3100002\)\s+REF-HELD\s+account \S+\s+9602 Invalid argument\./);
    expect(human.stdout).toMatch(/Releases Apple refused \(1\)/);
    expect(human.stdout).toContain(licenseId);
    expect(human.stdout).toContain("9706 Asset in request is not revocable");
    expect(human.stderr).toContain("orchard refusals retry --app");
    const json = await cli.json<{
      requests: { total: number };
      releases: { items: Array<{ licenseId: string }> };
    }>(["refusals", "list", "--json"]);
    expect(json.requests.total).toBe(1);
    expect(json.releases.items.map((r) => r.licenseId)).toEqual([licenseId]);
  });

  it("bad usage is exit 2 before anything changes; an unknown app or serial exit 3; abandon without --yes exit 2", async () => {
    // Refused before the database opens: side by side.
    const [none, both, orphan, unconfirmed] = await Promise.all([
      cli.run(["refusals", "retry"]),
      cli.run(["refusals", "retry", "--app", APP, "--license", licenseId]),
      cli.run(["refusals", "retry", "--serial", "REF-HELD"]),
      cli.run(["refusals", "abandon", licenseId]),
    ]);
    // The database serves one process at a time (PGlite): one after the other.
    const app = await cli.run(["refusals", "list", "--app", "9999999"]);
    const serial = await cli.run(["refusals", "retry", "--app", APP, "--serial", "NO-SUCH"]);
    expectFailure(none, 2, /^orchard: give --app \(refused requests\) or --license \(refused releases\)\n$/);
    expectFailure(both, 2, /not both/);
    expectFailure(orphan, 2, /need --app/);
    expectFailure(app, 3, /app 9999999 not found/);
    expectFailure(serial, 3, /no device with serial number NO-SUCH/);
    expectFailure(unconfirmed, 2, /add --yes/);
  });

  it("DB2: retry sends the refused request again (its refusal lifted, the log says so); a second time has nothing to send", async () => {
    const r = await cli.run(["refusals", "retry", "--app", APP, "--serial", "ref-held"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^1 request of app 3100002 sent again/);
    const again = await cli.run(["refusals", "retry", "--app", APP, "--serial", "REF-HELD"]);
    expectFailure(again, 4, /waits with no refusal of Apple's/);
    await cli.withCore(async (core) => {
      const logged = await listActivity(core.store.db, spaceId, { action: "license.request_retried" });
      expect(logged).toHaveLength(1);
      expect(logged[0]?.actor.id).toMatch(/^cli:/);
    });
  });

  it("RV2: abandon --yes releases the license here; a second time is exit 4", async () => {
    const r = await cli.run(["refusals", "abandon", licenseId, "--yes", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ released: [{ id: licenseId, state: "released" }] });
    await cli.withCore(async (core) => {
      expect((await findLicense(core.store.db, spaceId, licenseId))?.state).toBe("released");
    });
    expectFailure(
      await cli.run(["refusals", "abandon", licenseId, "--yes"]),
      4,
      /not a release Apple refused/,
    );
    expectFailure(
      await cli.run(["refusals", "retry", "--license", "no-such"]),
      3,
      /license no-such not found/,
    );
  });
});
