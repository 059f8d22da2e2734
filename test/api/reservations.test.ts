import { expect, it } from "vitest";
import { getAppRules, setAppRules } from "../../src/store/index.js";
import { describeEachDatabase } from "../store/databases.js";
import { auth, buildFixture, type Fixture } from "./harness.js";

/**
 * DI3 as an addition: `POST …/rules/reservations` reserves licenses for users and devices and
 * leaves the app's other rules as they are, read under the app's lock, where a PUT built from
 * an earlier read would undo a change made meanwhile.
 */
describeEachDatabase("API: reservations added to an app's rules", (db) => {
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
