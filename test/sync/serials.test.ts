import { randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StatusResponse } from "../../src/apple/index.js";
import {
  createDevices,
  type Db,
  findAsset,
  listLicensesForApp,
  type OutboxRecord,
} from "../../src/store/index.js";
import { normalizeDeviceSerials } from "../../src/store/migrations/0026_device_serials.js";
import { coveredByAssignments } from "../../src/sync/apple-notifications.js";
import { outcomeFromStatus } from "../../src/sync/follow.js";
import { resyncAccount } from "../../src/sync/index.js";
import { describeEachDatabase } from "../store/databases.js";
import { ADMIN, checkIn, revokeOnIos } from "./fixtures.js";
import { appleSubjects, drain, type Harness, iosAppAccount, startHarness } from "./harness.js";

/**
 * Serial numbers in lower case from before 0026: Apple holds licenses under the spelling it
 * was sent. Orchard keeps the serial upper-case, yet the resync (AC3) still finds those
 * licenses its own, and releases reach Apple under the serial Apple knows.
 */
describeEachDatabase("serial numbers at Apple", (tdb) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(tdb());
  });
  afterAll(async () => {
    await h?.close();
  });
  const db = () => tdb().store.db;

  /** A device as stored before 0026 (lower case), licensed at Apple under that spelling. */
  async function legacyLicensedDevice() {
    const app = await iosAppAccount(h, db(), { total: 5, name: "Legacy" });
    const lower = `c02d${randomUUID().slice(0, 6)}`.toLowerCase();
    const [device] = await createDevices(db(), [
      { spaceId: app.space.id, serialNumber: lower, platform: "iOS", supervised: true },
    ]);
    if (!device) throw new Error("no device");
    expect(await checkIn(db(), app.space.id, app.adamId, [device])).toBe(1);
    await drain(h);
    expect(appleSubjects(h.sim, app.loc.uId, app.adamId)).toEqual([`s:${lower}`]);
    return { ...app, device, lower, upper: lower.toUpperCase() };
  }

  const licensesOf = async (spaceId: string, adamId: string) =>
    (await listLicensesForApp(db(), spaceId, adamId)).map((l) => ({ id: l.id, state: l.state }));

  it("AC3: after 0026 upper-cases a legacy serial, the resync finds Apple's assignment under the old spelling Orchard's, and the release reaches Apple under it", async () => {
    const { space, account, adamId, loc, device, lower, upper } = await legacyLicensedDevice();
    const [license] = await licensesOf(space.id, adamId);
    expect(license?.state).toBe("assigned");

    await normalizeDeviceSerials(db() as unknown as Kysely<unknown>, () => {});
    const stored = await (db() as Db)
      .selectFrom("devices")
      .select(["serial_number", "apple_serial_number"])
      .where("space_id", "=", space.id)
      .where("id", "=", device.id)
      .executeTakeFirstOrThrow();
    expect(stored).toEqual({ serial_number: upper, apple_serial_number: lower });

    const summary = await resyncAccount(h.deps, { spaceId: space.id, accountId: account.id, actor: ADMIN });
    expect(summary.assignments).toMatchObject({ atApple: 1, outside: 0, vanished: 0 });
    expect(await licensesOf(space.id, adamId)).toEqual([license]);
    expect((await findAsset(db(), space.id, account.id, adamId))?.used).toBe(1);

    await revokeOnIos(db(), space.id, [license?.id ?? ""]);
    await drain(h);
    expect(appleSubjects(h.sim, loc.uId, adamId)).toEqual([]);
    expect((await licensesOf(space.id, adamId))[0]?.state).toBe("in_grace");
  });

  it("AC3: an assignment Apple lists in another case than the device's serial is Orchard's license, not one made outside Orchard", async () => {
    const { space, account, adamId, loc, device, lower, upper } = await legacyLicensedDevice();
    // Orchard knows the device as C02D… only (no spelling of Apple's kept); Apple lists c02d….
    await (db() as Db)
      .updateTable("devices")
      .set({ serial_number: upper, apple_serial_number: null })
      .where("space_id", "=", space.id)
      .where("id", "=", device.id)
      .execute();
    const before = await licensesOf(space.id, adamId);

    const summary = await resyncAccount(h.deps, { spaceId: space.id, accountId: account.id, actor: ADMIN });
    expect(summary.assignments).toMatchObject({ atApple: 1, outside: 0, vanished: 0 });
    expect(await licensesOf(space.id, adamId)).toEqual(before);
    expect(before[0]?.state).toBe("assigned");
    expect((await findAsset(db(), space.id, account.id, adamId))?.used).toBe(1);
    expect(appleSubjects(h.sim, loc.uId, adamId)).toEqual([`s:${lower}`]);
  });
});

/**
 * Apple reads serial numbers without regard to case, and may name one in another case than
 * it was sent: its results still reach the row sent, so a failure is never taken for a
 * success (an event's /status) nor missed (a notification).
 */
describe("Apple's results for a serial in another case than sent", () => {
  const row = (
    seq: number,
    serialNumber: string,
    kind: OutboxRecord["kind"] = "associate",
  ): OutboxRecord => ({
    seq,
    spaceId: "s",
    accountId: "a",
    kind,
    adamId: "42",
    pricingParam: "STDQ",
    serialNumber,
    state: "pending",
    attempts: 0,
    createdAt: new Date(0),
    updatedAt: new Date(0),
  });
  const legacy = row(1, "c02dleg1");
  const other = row(2, "C02DOK02");

  it("an event's failure naming C02DLEG1 is the failure of the row sent as c02dleg1; the other row succeeded", () => {
    const outcomeOf = outcomeFromStatus(
      {
        eventStatus: "FAILED",
        numCompleted: 1,
        numRequested: 2,
        failures: [
          {
            errorNumber: 9709,
            errorMessage: "not enough licenses",
            errorInfo: { serialNumbers: ["C02DLEG1"], assets: [{ adamId: "42", pricingParam: "STDQ" }] },
          },
        ],
      } as StatusResponse,
      [legacy, other],
    );
    expect(outcomeOf(legacy)).toEqual({ ok: false, errorNumber: 9709, message: "not enough licenses" });
    expect(outcomeOf(other)).toEqual({ ok: true });
  });

  it("a notification's assignment naming C02DLEG1 covers the row sent as c02dleg1, and a revoke of it by subject alone", () => {
    const covers = coveredByAssignments([{ adamId: "42", serialNumber: "C02DLEG1" }]);
    expect(covers(legacy)).toBe(true);
    expect(covers(other)).toBe(false);
    expect(covers({ ...row(3, "c02dleg1", "revoke"), adamId: undefined })).toBe(true);
    expect(covers(row(4, "c02dleg2"))).toBe(false);
  });
});
