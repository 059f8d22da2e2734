import { expect, it } from "vitest";
import { createUser, setAppRules } from "../../src/store/index.js";
import { describeEachDatabase } from "../store/databases.js";
import { auth, buildFixture } from "./harness.js";

/**
 * The rules naming a subject, read from the subject (DI3, DI4, DB3): what an administrator
 * looks for on a user's or a device's page, not app by app.
 */
describeEachDatabase("API: the license rules naming a user or a device", (db) => {
  it("DI3, DI4, DB3: a user's reservations (used or holding a seat) and prohibitions, a device's reservations; an unknown subject is a 404", async () => {
    const f = await buildFixture(db().store);
    const store = db().store.db;
    const { spaceA: spaceId, accountA: accountId, adamId } = f.ids;
    const bob = await createUser(store, { spaceId, name: "Bob Barred" });
    await setAppRules(
      store,
      {
        spaceId,
        accountId,
        adamId,
        reservedUserIds: [f.ids.userA],
        reservedDeviceIds: [f.ids.deviceA],
        prohibitedUserIds: [bob.id],
      },
      { kind: "admin" },
      new Date(),
    );
    const get = (path: string) =>
      f.app.inject({ url: `/api/v1/spaces/${spaceId}${path}`, headers: auth(f.tokens.read) });
    const rule = { accountId, accountName: "Main", adamId, appName: "Pages" };
    // userA holds the fixture's license of the account: their reservation is in use.
    expect((await get(`/users/${f.ids.userA}/rules`)).json()).toEqual({
      items: [{ ...rule, role: "reserved", inUse: true }],
    });
    expect((await get(`/users/${bob.id}/rules`)).json()).toEqual({
      items: [{ ...rule, role: "prohibited", inUse: false }],
    });
    // The device holds no license: its reservation holds a seat (DI6). By serial number too.
    const device = { items: [{ ...rule, role: "reserved", inUse: false }] };
    expect((await get(`/devices/${f.ids.deviceA}/rules`)).json()).toEqual(device);
    expect((await get(`/devices/serial:SER${f.ids.suffix}/rules`)).json()).toEqual(device);
    const other = await createUser(store, { spaceId, name: "Cy Free" });
    expect((await get(`/users/${other.id}/rules`)).json()).toEqual({ items: [] });
    expect((await get("/users/no-such-user/rules")).statusCode).toBe(404);
    expect((await get("/devices/serial:NOPE/rules")).statusCode).toBe(404);
  });
});
