import { expect, it } from "vitest";
import { listAdmins, setGrants } from "../../src/store/auth.repo.js";
import { markAssigned } from "../../src/store/index.js";
import { describeEachDatabase } from "../store/databases.js";
import { bundleIdFound } from "../store/fixtures.js";
import { auth, buildFixture, type Fixture, NOW } from "./harness.js";

/** The MDM's side of the API: catalog, check-in, device events, moves, command queue. */
describeEachDatabase("MDM routes", (db) => {
  let f: Fixture;
  const send = (method: "GET" | "POST" | "PUT" | "DELETE", url: string, payload?: object, token?: string) =>
    f.app.inject({ method, url, headers: auth(token ?? f.tokens.write), ...(payload ? { payload } : {}) });
  const s = () => `/api/v1/spaces/${f.ids.spaceA}`;

  it("CA3: a catalog entry for an app no account bought is refused, naming the field", async () => {
    f = await buildFixture(db().store);
    const r = await send("PUT", `${s()}/catalog/999999999`, { installOnDevice: true });
    expect(r.statusCode).toBe(400);
    expect(r.headers["content-type"]).toMatch(/problem\+json/);
    const ok = await send("PUT", `${s()}/catalog/${f.ids.adamId}`, {
      installOnDevice: true,
      updateMode: "automatic",
    });
    expect(ok.json()).toMatchObject({
      adamId: f.ids.adamId,
      inCatalog: true,
      installOnDevice: true,
      updateMode: "automatic",
    });
  });

  it("DB2, LT2: a check-in decides the mandatory app and queues the install, visible in the command queue; acknowledged before its license, it stays pending", async () => {
    const device = await send("POST", `${s()}/devices`, {
      serialNumber: `CHK${f.ids.suffix}`,
      platform: "iOS",
    });
    expect(device.statusCode).toBe(201);
    const r = await send("POST", `${s()}/mdm/check-in`, {
      serialNumber: `CHK${f.ids.suffix}`,
      installed: [{ bundleId: "com.example.other", name: "Other" }],
    });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json().decisions).toEqual([
      expect.objectContaining({
        adamId: f.ids.adamId,
        outcome: "grant",
        installQueued: true,
        because: expect.arrayContaining(["DI2"]),
      }),
    ]);
    const queue = await send("GET", `${s()}/mdm/commands?state=pending&device=${device.json().id}`);
    expect(queue.json().items).toEqual([
      expect.objectContaining({
        kind: "install",
        adamId: f.ids.adamId,
        // As the device was created: upper-case (the check-in sent it in mixed case).
        serialNumber: `CHK${f.ids.suffix}`.toUpperCase(),
        awaitingLicense: true,
      }),
    ]);
    // LT2: an MDM that polls gets the install to act on once Apple confirmed the license.
    const ready = () => send("GET", `${s()}/mdm/commands?ready=true&device=${device.json().id}`);
    expect((await ready()).json().items).toEqual([]);
    // LT2: acknowledged while it awaits the license, the install is not the MDM's yet: ignored.
    const early = await send("POST", `${s()}/mdm/commands/ack`, { seqs: [queue.json().items[0].seq] });
    expect(early.json()).toEqual({
      acknowledged: 0,
      seqs: [],
      skipped: [{ seq: queue.json().items[0].seq, reason: "awaiting_license" }],
    });
    expect(
      (await send("GET", `${s()}/mdm/commands?state=pending&device=${device.json().id}`)).json().items,
    ).toEqual([expect.objectContaining({ kind: "install", awaitingLicense: true })]);
    await markAssigned(db().store.db, {
      spaceId: f.ids.spaceA,
      licenseIds: [r.json().decisions[0].licenseId],
      actor: { kind: "apple" },
      now: NOW,
    });
    expect((await ready()).json().items).toEqual([
      expect.objectContaining({ kind: "install", adamId: f.ids.adamId, awaitingLicense: false }),
    ]);
    const seq = queue.json().items[0].seq as number;
    expect((await send("POST", `${s()}/mdm/commands/ack`, { seqs: [seq] })).json()).toEqual({
      acknowledged: 1,
      seqs: [seq],
      skipped: [],
    });
    const after = await send("GET", `${s()}/mdm/commands?state=pending&device=${device.json().id}`);
    expect(after.json().items).toEqual([]);
    expect((await send("GET", `${s()}/mdm/commands`, undefined, f.tokens.other)).statusCode).toBe(404);
  });

  it("VU3: a check-in's inventory listing an app twice is kept once (its last entry); check-ins sent together leave one whole inventory", async () => {
    const serialNumber = `INV${f.ids.suffix}`;
    const device = await send("POST", `${s()}/devices`, { serialNumber, platform: "iOS" });
    const apps = Array.from({ length: 15 }, (_, i) => ({
      bundleId: `com.example.app${i}`,
      name: `App ${i}`,
    }));
    const inventory = async () =>
      (await send("GET", `${s()}/devices/${device.json().id}/installed-apps`)).json().items as Array<{
        bundleId: string;
        name?: string;
      }>;
    expect((await send("POST", `${s()}/mdm/check-in`, { serialNumber, installed: apps })).statusCode).toBe(
      200,
    );
    const twice = await send("POST", `${s()}/mdm/check-in`, {
      serialNumber,
      installed: [...apps, { bundleId: "com.example.app13", name: "App 13, again" }],
    });
    expect(twice.statusCode, twice.body).toBe(200);
    const listed = await inventory();
    expect(listed).toHaveLength(15);
    expect(listed.find((a) => a.bundleId === "com.example.app13")?.name).toBe("App 13, again");
    const together = await Promise.all(
      [apps, apps.slice(0, 5), apps, apps.slice(0, 10)].map((installed) =>
        send("POST", `${s()}/mdm/check-in`, { serialNumber, installed }),
      ),
    );
    expect(together.map((r) => r.statusCode)).toEqual([200, 200, 200, 200]);
    expect([5, 10, 15]).toContain((await inventory()).length);
  });

  it("LT2, VU3: an app a check-in reports by its bundle id alone (as InstalledApplicationList does) is the space's app of that bundle id: decided, and named in the inventory", async () => {
    await bundleIdFound(db().store.db, {
      spaceId: f.ids.spaceA,
      accountId: f.ids.accountA,
      adamId: f.ids.adamId,
      bundleId: "com.apple.Pages",
    });
    const serialNumber = `BID${f.ids.suffix}`;
    const device = await send("POST", `${s()}/devices`, { serialNumber, platform: "iOS" });
    const checkIn = await send("POST", `${s()}/mdm/check-in`, {
      serialNumber,
      installed: [{ bundleId: "COM.APPLE.PAGES" }, { bundleId: "com.example.unknown" }],
    });
    expect(checkIn.statusCode, checkIn.body).toBe(200);
    expect(checkIn.json().decisions.map((d: { adamId: string }) => d.adamId)).toEqual([f.ids.adamId]);
    const listed = (await send("GET", `${s()}/devices/${device.json().id}/installed-apps`)).json()
      .items as Array<{
      bundleId: string;
      adamId?: string;
    }>;
    expect(listed.map((a) => [a.bundleId, a.adamId]).sort()).toEqual([
      ["COM.APPLE.PAGES", f.ids.adamId],
      ["com.example.unknown", undefined],
    ]);
  });

  it("LT2: the command feed and its overview filtered by a device the space does not have (a bare serial number) are a 404 naming the filter", async () => {
    const serialNumber = `FEED${f.ids.suffix}`.toUpperCase();
    expect((await send("POST", `${s()}/devices`, { serialNumber, platform: "iOS" })).statusCode).toBe(201);
    for (const path of ["mdm/commands", "mdm/commands/overview"]) {
      for (const device of ["no-such-device", serialNumber]) {
        const r = await send("GET", `${s()}/${path}?device=${device}`);
        expect(r.statusCode, `${path} ${device}`).toBe(404);
        expect(r.json().errors[0]).toMatchObject({ field: "querystring.device" });
      }
      expect((await send("GET", `${s()}/${path}?device=serial:${serialNumber}`)).statusCode).toBe(200);
    }
  });

  it("RV1: a retired device's event releases its device license", async () => {
    const r = await send("POST", `${s()}/mdm/check-in`, { serialNumber: `CHK${f.ids.suffix}` });
    const deviceId = r.json().deviceId as string;
    const event = await send("POST", `${s()}/devices/${deviceId}/events`, { kind: "retired" });
    expect(event.statusCode, event.body).toBe(200);
    expect(event.json().releases).toEqual([
      expect.objectContaining({ because: expect.arrayContaining(["RV1"]) }),
    ]);
    const bad = await send("POST", `${s()}/devices/${deviceId}/events`, { kind: "exploded" });
    expect(bad.statusCode).toBe(400);
    // RV1: checking in again does not bring a retired device back, and the answer says it is
    // retired (so an MDM checking a moved device into its old space learns it); a wiped one is set up again.
    const retired = await send("POST", `${s()}/mdm/check-in`, { serialNumber: `CHK${f.ids.suffix}` });
    expect(retired.json()).toMatchObject({ deviceId, status: "retired" });
    expect(retired.json().decisions.every((d: { outcome: string }) => d.outcome !== "grant")).toBe(true);
    const enrolled = await send("POST", `${s()}/devices/${deviceId}/events`, { kind: "enrolled" });
    expect(enrolled.statusCode).toBe(200);
    expect((await send("POST", `${s()}/devices/${deviceId}/events`, { kind: "wiped" })).statusCode).toBe(200);
    const again = await send("POST", `${s()}/mdm/check-in`, { serialNumber: `CHK${f.ids.suffix}` });
    expect(again.json()).toMatchObject({ deviceId, status: "active" });
  });

  it("TR1: moving a device needs write access to the target space too (else 404, as if absent)", async () => {
    const r = await send("POST", `${s()}/devices/${f.ids.deviceA}/move`, { toSpaceId: f.ids.spaceB });
    expect(r.statusCode).toBe(404);
  });

  it("RV1 PB1: deleting the app from the catalog revokes its licenses", async () => {
    const r = await send("DELETE", `${s()}/catalog/${f.ids.adamId}`);
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json().releases.length).toBeGreaterThan(0);
    const explain = await send("GET", `${s()}/explain?app=${f.ids.adamId}&user=${f.ids.userA}`);
    expect(explain.json().decision).toMatchObject({ outcome: "refuse", reason: "not_in_catalog" });
  });
});

describeEachDatabase("MDM routes: authorization of second spaces", (db) => {
  it("invariant 6: undelegating needs write access to every target space (else 404, nothing released)", async () => {
    const f = await buildFixture(db().store);
    const r = await f.app.inject({
      method: "DELETE",
      url: `/api/v1/spaces/${f.ids.spaceA}/catalog/${f.ids.adamId}/delegations`,
      headers: auth(f.tokens.write),
      payload: { spaceIds: [f.ids.spaceB] },
    });
    expect(r.statusCode).toBe(404);
    const licenses = await f.app.inject({
      method: "GET",
      url: `/api/v1/spaces/${f.ids.spaceB}/licenses`,
      headers: auth(f.tokens.other),
    });
    expect(licenses.json().items.every((l: { state: string }) => l.state !== "pending_release")).toBe(true);
  });

  it("PM1: an API token loses what its creator loses", async () => {
    const f = await buildFixture(db().store);
    const before = await f.app.inject({
      method: "POST",
      url: `/api/v1/spaces/${f.ids.spaceA}/users`,
      headers: auth(f.tokens.write),
      payload: { name: "Before" },
    });
    expect(before.statusCode).toBe(201);
    const [writer] = (await listAdmins(db().store.db)).filter((a) => a.login === `writer-${f.ids.suffix}`);
    if (!writer) throw new Error("no writer");
    await setGrants(db().store.db, { kind: "admin", id: writer.id }, [
      { spaceId: f.ids.spaceA, role: "read" },
    ]);
    const after = await f.app.inject({
      method: "POST",
      url: `/api/v1/spaces/${f.ids.spaceA}/users`,
      headers: auth(f.tokens.write),
      payload: { name: "After" },
    });
    expect(after.statusCode).toBe(403);
    const read = await f.app.inject({
      method: "GET",
      url: `/api/v1/spaces/${f.ids.spaceA}/users`,
      headers: auth(f.tokens.write),
    });
    expect(read.statusCode).toBe(200);
  });
});
