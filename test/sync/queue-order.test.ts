import { afterAll, beforeAll, expect, it } from "vitest";
import type { DeviceRecord } from "../../src/store/index.js";
import {
  findLicense,
  listActivity,
  listLicensesForApp,
  listWaitingRequests,
  requestLicenses,
} from "../../src/store/index.js";
import { addAccount } from "../../src/sync/index.js";
import { describeEachDatabase } from "../store/databases.js";
import { ADMIN, iosDevices, newAdamId, spaceWithApps } from "./fixtures.js";
import { drain, type Harness, startHarness } from "./harness.js";

const DAY = 24 * 60 * 60_000;

describeEachDatabase("the waiting queue keeps the order of request", (tdb) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(tdb());
  });
  afterAll(async () => {
    await h?.close();
  });

  /**
   * An app with `seats` seats at Apple, mandatory in a new space, its account, `n` devices,
   * and `request`: the MDM's mandatory request for one device at a given time.
   */
  async function seatsAndDevices(seats: number, n: number) {
    const { db } = tdb().store;
    const adamId = newAdamId();
    const loc = h.newLocation();
    h.sim.operator.addAsset(loc.uId, { adamId, totalCount: seats, supportedPlatforms: ["iOS"] });
    const space = await spaceWithApps(db, [adamId]);
    await addAccount(h.deps, {
      spaceId: space.id,
      name: `${seats} seats`,
      sTokenFile: loc.sToken,
      actor: ADMIN,
    });
    const request = async (device: DeviceRecord, at: Date) => {
      const [result] = await requestLicenses(db, {
        spaceId: space.id,
        adamId,
        requests: [
          { spaceId: space.id, adamId, subject: { kind: "device", deviceId: device.id }, why: "mandatory" },
        ],
        actor: { kind: "mdm" },
        now: at,
      });
      return result;
    };
    return { db, adamId, loc, space, fleet: await iosDevices(db, space.id, n), request };
  }

  it("DB2: a subject Apple refused (9709) goes back to the queue at its first request's time, ahead of those who asked after it", async () => {
    const { db, adamId, loc, space, fleet, request } = await seatsAndDevices(1, 4);
    const [holder, monday, tuesday, wednesday] = fleet;
    if (!holder || !monday || !tuesday || !wednesday) throw new Error("4 devices");
    const week = Date.now() - 7 * DAY;
    const mondayAt = new Date(week + 1 * DAY);
    const ask = async (device: DeviceRecord, at: Date) => (await request(device, at))?.decision.outcome;
    const inLine = async () =>
      (await listWaitingRequests(db, space.id, adamId)).map((w) =>
        w.subject.kind === "device" ? w.subject.deviceId : w.subject.userId,
      );

    expect(await ask(holder, new Date(week))).toBe("grant"); // the only seat
    await drain(h);
    expect(await ask(monday, mondayAt)).toBe("wait");
    expect(await ask(tuesday, new Date(week + 2 * DAY))).toBe("wait");
    expect(await ask(wednesday, new Date(week + 3 * DAY))).toBe("wait");
    expect(await inLine()).toEqual([monday.id, tuesday.id, wednesday.id]);

    // Friday (now): one license is bought (ASSET_COUNT); the queue is served, Monday's first.
    h.sim.operator.buy(loc.uId, adamId, 1);
    await h.sim.operator.idle();
    expect(await inLine()).toEqual([tuesday.id, wednesday.id]);
    const [granted] = await listLicensesForApp(db, space.id, adamId, { states: ["pending_assign"] });
    expect(granted?.deviceId).toBe(monday.id);
    expect(granted?.requestedAt).toEqual(mondayAt); // the queue row's time, not the grant's
    expect(granted && granted.createdAt.getTime() > mondayAt.getTime() + 3 * DAY).toBe(true);

    // Before Orchard's association reaches Apple, another tool takes that license: 9709.
    await h.deps.apple.forToken(loc.sToken).associate({ assets: [{ adamId }], serialNumbers: ["OUTSIDE1"] });
    await h.sim.operator.idle();
    await drain(h);
    expect((await findLicense(db, space.id, granted?.id ?? ""))?.state).toBe("released");
    const refused = await listActivity(db, space.id, { adamId, action: "license.assign_failed" });
    expect(refused[0]?.message).toContain("9709");

    // Monday's device is first in line again, from Monday, ahead of Tuesday's and Wednesday's.
    const waiting = await listWaitingRequests(db, space.id, adamId);
    expect(await inLine()).toEqual([monday.id, tuesday.id, wednesday.id]);
    expect(waiting[0]?.waitingSince).toEqual(mondayAt);

    // And it is the one served when the next license comes, still from Monday.
    h.sim.operator.buy(loc.uId, adamId, 1);
    await h.sim.operator.idle();
    expect(await inLine()).toEqual([tuesday.id, wednesday.id]);
    const [again] = await listLicensesForApp(db, space.id, adamId, { states: ["pending_assign"] });
    expect(again?.deviceId).toBe(monday.id);
    expect(again?.requestedAt).toEqual(mondayAt);
  });

  it("DB2: a subject granted at once keeps its request's time; refused by Apple (9709), it waits ahead of one who asked after it", async () => {
    const { db, adamId, loc, space, fleet, request: ask } = await seatsAndDevices(2, 3);
    const [holder, wednesday, thursday] = fleet;
    if (!holder || !wednesday || !thursday) throw new Error("3 devices");
    const week = Date.now() - 7 * DAY;
    expect((await ask(holder, new Date(week)))?.decision.outcome).toBe("grant");
    await drain(h);
    // Another tool takes the second license at Apple; Orchard has not synced since.
    await h.deps.apple.forToken(loc.sToken).associate({ assets: [{ adamId }], serialNumbers: ["OUTSIDE2"] });
    await h.sim.operator.idle();

    const wednesdayAt = new Date(week + 3 * DAY);
    const granted = await ask(wednesday, wednesdayAt);
    expect(granted?.decision.outcome).toBe("grant"); // at once: it never waited
    expect((await findLicense(db, space.id, granted?.licenseId ?? ""))?.requestedAt).toEqual(wednesdayAt);
    expect((await ask(thursday, new Date(week + 4 * DAY)))?.decision.outcome).toBe("wait");

    await drain(h); // Apple refuses Wednesday's association: 9709
    const waiting = await listWaitingRequests(db, space.id, adamId);
    expect(waiting.map((w) => (w.subject.kind === "device" ? w.subject.deviceId : ""))).toEqual([
      wednesday.id,
      thursday.id,
    ]);
    expect(waiting[0]?.waitingSince).toEqual(wednesdayAt);
  });
});
