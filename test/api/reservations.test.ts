import { expect, it } from "vitest";
import { getAppRules, setAppRules } from "../../src/store/index.js";
import { describeEachDatabase, sharedDatabases } from "../store/databases.js";
import { auth, buildFixture, type Fixture } from "./harness.js";

// The suites share a database per engine: each test builds fixtures of its own (a space each).
const shared = sharedDatabases();

/**
 * DI3 as an addition: `POST …/rules/reservations` reserves licenses for users and devices and
 * leaves the app's other rules as they are, read under the app's lock, where a PUT built from
 * an earlier read would undo a change made meanwhile.
 */
describeEachDatabase("API: reservations added to an app's rules", shared, (db) => {
  let f: Fixture;

  it("DI3, DI7: reservations are added, the other lists kept, twice is once; a prohibited user, nobody or an unknown device is refused", async () => {
    f = await buildFixture(db().store);
    const store = db().store.db;
    const { spaceA: spaceId, accountA: accountId, adamId } = f.ids;
    await setAppRules(
      store,
      {
        spaceId,
        accountId,
        adamId,
        fcfs: { groupIds: [f.ids.groupA], requestedType: "device", mandatoryType: "device" },
        reservedUserIds: [],
        reservedDeviceIds: [],
        prohibitedUserIds: [],
      },
      { kind: "admin" },
      new Date(),
    );
    const url = `/api/v1/spaces/${spaceId}/accounts/${accountId}/apps/${adamId}/rules/reservations`;
    const post = (payload: object) =>
      f.app.inject({ method: "POST", url, headers: auth(f.tokens.write), payload });

    const first = await post({ userIds: [f.ids.userA], deviceIds: [`serial:SER${f.ids.suffix}`] });
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({
      fcfs: { groups: [{ id: f.ids.groupA }], requestedType: "device" },
      reservedUsers: [{ id: f.ids.userA }],
      reservedDevices: [{ id: f.ids.deviceA }],
    });
    expect((await post({ userIds: [f.ids.userA] })).json().reservedUsers).toHaveLength(1);
    expect(await getAppRules(store, spaceId, accountId, adamId)).toMatchObject({
      fcfs: { groupIds: [f.ids.groupA], requestedType: "device", mandatoryType: "device" },
      reservedUserIds: [f.ids.userA],
      reservedDeviceIds: [f.ids.deviceA],
    });

    const nobody = await post({});
    expect(nobody.statusCode).toBe(400);
    const unknown = await post({ deviceIds: ["serial:NO-SUCH-SERIAL"] });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().errors[0].field).toBe("body.deviceIds.0");
    // DI7: a prohibited user is not reserved.
    const rules = await getAppRules(store, spaceId, accountId, adamId);
    await setAppRules(
      store,
      { spaceId, accountId, adamId, ...rules, reservedUserIds: [], prohibitedUserIds: [f.ids.userA] },
      { kind: "admin" },
      new Date(),
    );
    const prohibited = await post({ userIds: [f.ids.userA] });
    expect(prohibited.statusCode).toBeGreaterThanOrEqual(400);
    expect(prohibited.statusCode).toBeLessThan(500);
    expect(prohibited.json().detail).toMatch(/DI7/);
    // A read-only role reserves nothing.
    const reader = await f.app.inject({
      method: "POST",
      url,
      headers: auth(f.tokens.read),
      payload: { userIds: [f.ids.userA] },
    });
    expect(reader.statusCode).toBe(403);
  });
});

describeEachDatabase("API: free licenses leave out the seats held for reservations (DI6)", shared, (db) => {
  it("DI6: a reservation not used yet takes one from `available` on the apps list and the account's assets, and is counted apart as `reserved`; once its holder holds a license, it is in `used` instead", async () => {
    const f = await buildFixture(db().store);
    const { spaceA: spaceId, accountA: accountId, adamId } = f.ids;
    const get = async (url: string) =>
      (
        await f.app.inject({
          method: "GET",
          url: `/api/v1/spaces/${spaceId}${url}`,
          headers: auth(f.tokens.write),
        })
      ).json();
    const counts = async () => {
      const app = (await get("/apps")).items.find((a: { adamId: string }) => a.adamId === adamId);
      const asset = (await get(`/accounts/${accountId}/assets`)).items.find(
        (a: { adamId: string }) => a.adamId === adamId,
      );
      return {
        app: { used: app.used, reserved: app.reserved, available: app.available },
        asset: { used: asset.used, reserved: asset.reserved, available: asset.available },
      };
    };
    // A device of nobody's: it holds no license of the app (userA's devices use userA's, LT4).
    const device = (
      await f.app.inject({
        method: "POST",
        url: `/api/v1/spaces/${spaceId}/devices`,
        headers: auth(f.tokens.write),
        payload: { serialNumber: `RES${f.ids.suffix}`, platform: "iOS" },
      })
    ).json().id as string;
    const before = await counts();
    expect(before.app).toEqual({ used: 1, reserved: 0, available: 9 });
    expect(before.asset).toEqual(before.app);
    // Its reservation holds a seat no one else may take.
    const reserved = await f.app.inject({
      method: "POST",
      url: `/api/v1/spaces/${spaceId}/accounts/${accountId}/apps/${adamId}/rules/reservations`,
      headers: auth(f.tokens.write),
      payload: { deviceIds: [device] },
    });
    expect(reserved.statusCode, reserved.body).toBe(200);
    const after = await counts();
    expect(after.app).toEqual({ used: 1, reserved: 1, available: 8 });
    expect(after.asset).toEqual(after.app);
    // The device checks in for the app: it takes its reserved seat, now used, no longer held.
    const granted = await f.app.inject({
      method: "POST",
      url: `/api/v1/spaces/${spaceId}/license-requests`,
      headers: auth(f.tokens.write),
      payload: { app: adamId, device, why: "mandatory" },
    });
    expect(granted.json().decision.outcome, granted.body).toBe("grant");
    expect((await counts()).app).toEqual({ used: 2, reserved: 0, available: 8 });
  });
});
