import { expect, it } from "vitest";
import { adminPrincipal, createAdministrator, issueApiToken } from "../../src/auth/auth.service.js";
import { createDevice } from "../../src/store/index.js";
import { describeEachDatabase } from "../store/databases.js";
import { auth, buildFixture, type Fixture, NOW } from "./harness.js";

type Problem = { code: string; detail?: string; errors?: Array<{ field: string; message: string }> };
type DeviceBody = {
  id: string;
  serialNumber: string;
  platform: string;
  sharedIpad: boolean;
  userId?: string;
};

/**
 * A device's identity as an MDM administrator meets it: one serial number is one device
 * whatever its case, a device is reached by its serial number wherever its id is taken,
 * Shared iPad is iPadOS only (LT5), and a deleted user is given no device (RV5).
 */
describeEachDatabase("device identity", (db) => {
  let f: Fixture;
  const s = () => `/api/v1/spaces/${f.ids.spaceA}`;
  const send = (
    method: "GET" | "POST" | "PATCH" | "PUT" | "DELETE",
    url: string,
    payload?: unknown,
    token?: string,
  ) =>
    f.app.inject({
      method,
      url,
      headers: auth(token ?? f.tokens.write),
      ...(payload !== undefined ? { payload: payload as object } : {}),
    });
  /** A serial number of this run: letters and digits, as Apple's. */
  const serial = (prefix: string) => `${prefix}${f.ids.suffix}`.toUpperCase();
  const fieldsOf = (p: Problem) => (p.errors ?? []).map((e) => e.field);

  it("a serial number is kept trimmed and upper-case: c02d… beside C02D… is the 409 naming the serial, not a second device", async () => {
    f = await buildFixture(db().store);
    const upper = serial("C02D");
    const created = await send("POST", `${s()}/devices`, {
      serialNumber: ` ${upper.toLowerCase()} `,
      platform: "iOS",
    });
    expect(created.statusCode, created.body).toBe(201);
    expect((created.json() as DeviceBody).serialNumber).toBe(upper);

    const again = await send("POST", `${s()}/devices`, { serialNumber: upper, platform: "iOS" });
    expect(again.statusCode, again.body).toBe(409);
    expect(again.json()).toMatchObject({
      code: "already_exists",
      errors: [{ field: "body.serialNumber", message: `serialNumber ${upper} is taken in this space` }],
    });
    const mixed = await send("POST", `${s()}/devices`, {
      serialNumber: `${upper.slice(0, 2).toLowerCase()}${upper.slice(2)}`,
      platform: "macOS",
    });
    expect(mixed.statusCode, mixed.body).toBe(409);

    // In one bulk request too: all or none.
    const other = serial("BULK");
    const bulk = await send("POST", `${s()}/devices/bulk`, {
      devices: [
        { serialNumber: other, platform: "iOS" },
        { serialNumber: other.toLowerCase(), platform: "iOS" },
      ],
    });
    expect(bulk.statusCode, bulk.body).toBe(409);
    expect((await send("GET", `${s()}/devices?serial=${other}`)).json().total).toBe(0);

    const listed = (await send("GET", `${s()}/devices?q=${upper.toLowerCase()}`)).json();
    expect(listed.items.map((d: DeviceBody) => d.id)).toEqual([(created.json() as DeviceBody).id]);
  });

  it("a device is reached by serial:<serial number> in any case on every devices/:deviceId route; an unknown serial is a 404 naming it", async () => {
    f = await buildFixture(db().store);
    const upper = serial("F9FX");
    const device = (
      await send("POST", `${s()}/devices`, { serialNumber: upper, platform: "iOS" })
    ).json() as DeviceBody;

    const got = await send("GET", `${s()}/devices/serial:${upper.toLowerCase()}`);
    expect(got.statusCode, got.body).toBe(200);
    expect(got.json()).toMatchObject({ id: device.id, serialNumber: upper });
    // The colon percent-encoded, as a client that encodes path segments sends it.
    expect((await send("GET", `${s()}/devices/serial%3A${upper}`)).json().id).toBe(device.id);

    const patched = await send("PATCH", `${s()}/devices/serial:${upper}`, { userId: f.ids.userA });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json()).toMatchObject({ id: device.id, userId: f.ids.userA });
    expect((await send("GET", `${s()}/devices/serial:${upper}/installed-apps`)).statusCode).toBe(200);
    expect((await send("GET", `${s()}/devices/serial:${upper}/waiting`)).json()).toEqual({ items: [] });

    for (const [method, path] of [
      ["GET", ""],
      ["PATCH", ""],
      ["DELETE", ""],
      ["GET", "/installed-apps"],
      ["GET", "/waiting"],
    ] as const) {
      const unknown = await send(
        method,
        `${s()}/devices/serial:nope0000${path}`,
        method === "PATCH" ? {} : undefined,
      );
      expect(unknown.statusCode, `${method} ${path}: ${unknown.body}`).toBe(404);
      expect(unknown.headers["content-type"]).toContain("application/problem+json");
      expect(unknown.json()).toMatchObject({
        code: "not_found",
        detail: "device with serial number NOPE0000 does not exist",
      });
    }
    // Another space's device is unknown here (invariant 6).
    const elsewhere = serial("ELSE");
    await createDevice(db().store.db, { spaceId: f.ids.spaceB, serialNumber: elsewhere, platform: "iOS" });
    expect((await send("GET", `${s()}/devices/serial:${elsewhere}`)).statusCode).toBe(404);

    // A device stored in another case before serials were upper-cased is found all the same.
    const legacy = await createDevice(db().store.db, {
      spaceId: f.ids.spaceA,
      serialNumber: `lg${f.ids.suffix}`,
      platform: "iOS",
    });
    expect((await send("GET", `${s()}/devices/serial:LG${f.ids.suffix.toUpperCase()}`)).json().id).toBe(
      legacy.id,
    );

    const deleted = await send("DELETE", `${s()}/devices/serial:${upper}`);
    expect(deleted.statusCode, deleted.body).toBe(204);
    expect((await send("GET", `${s()}/devices/${device.id}`)).statusCode).toBe(404);
  });

  /** The 404 of an unknown serial number, naming it (and the parameter that sent it, when a query did). */
  const expectUnknownSerial = (r: Awaited<ReturnType<typeof send>>, field?: string) => {
    expect(r.statusCode, r.body).toBe(404);
    expect(r.headers["content-type"]).toContain("application/problem+json");
    const message = "device with serial number NOPE0000 does not exist";
    expect(r.json()).toMatchObject({ code: "not_found", detail: message });
    expect(r.json().errors).toEqual(field ? [{ field, message }] : undefined);
  };

  it("serial:<serial number> names a device in the licenses filter, their export and explain as its id does; an unknown one is a 404 naming querystring.device", async () => {
    f = await buildFixture(db().store);
    const upper = serial("LIC");
    // installOnDevice: the check-in grants the device a device license of its own (DI2).
    await send("PUT", `${s()}/catalog/${f.ids.adamId}`, { installOnDevice: true });
    const device = (
      await send("POST", `${s()}/devices`, { serialNumber: upper, platform: "iOS" })
    ).json() as DeviceBody;
    const checkIn = await send("POST", `${s()}/mdm/check-in`, { serialNumber: upper });
    const licenseId = checkIn.json().decisions[0].licenseId as string;
    expect(licenseId).toBeTruthy();

    const listed = await send("GET", `${s()}/licenses?device=serial:${upper.toLowerCase()}`);
    expect(listed.statusCode, listed.body).toBe(200);
    expect(listed.json().items.map((l: { id: string }) => l.id)).toEqual([licenseId]);
    expectUnknownSerial(await send("GET", `${s()}/licenses?device=serial:nope0000`), "querystring.device");

    const exported = await send("GET", `${s()}/licenses/export?format=json&device=serial:${upper}`);
    expect(exported.statusCode, exported.body).toBe(200);
    expect(JSON.parse(exported.body).map((l: { id: string }) => l.id)).toEqual([licenseId]);
    expectUnknownSerial(
      await send("GET", `${s()}/licenses/export?device=serial:nope0000`),
      "querystring.device",
    );

    const explainOf = (ref: string) => send("GET", `${s()}/explain?app=${f.ids.adamId}&device=${ref}`);
    const bySerial = await explainOf(`serial:${upper.toLowerCase()}`);
    expect(bySerial.statusCode, bySerial.body).toBe(200);
    expect(bySerial.json().decision).toMatchObject({ outcome: "keep", licenseId });
    expect(bySerial.json()).toEqual((await explainOf(device.id)).json());
    expectUnknownSerial(await explainOf("serial:nope0000"), "querystring.device");
  });

  it("RV1, TR1: a device's events and its move take serial:<serial number>; an unknown one is a 404 naming it", async () => {
    f = await buildFixture(db().store);
    await send("PUT", `${s()}/catalog/${f.ids.adamId}`, { installOnDevice: true });
    const retiring = serial("RET");
    await send("POST", `${s()}/devices`, { serialNumber: retiring, platform: "iOS" });
    const licenseId = (await send("POST", `${s()}/mdm/check-in`, { serialNumber: retiring })).json()
      .decisions[0].licenseId as string;
    const event = await send("POST", `${s()}/devices/serial:${retiring.toLowerCase()}/events`, {
      kind: "retired",
    });
    expect(event.statusCode, event.body).toBe(200);
    expect(event.json().releases).toEqual([
      expect.objectContaining({ licenseId, because: expect.arrayContaining(["RV1"]) }),
    ]);
    expect((await send("GET", `${s()}/devices/serial:${retiring}`)).json().status).toBe("retired");
    expectUnknownSerial(await send("POST", `${s()}/devices/serial:nope0000/events`, { kind: "retired" }));

    // A move needs the write role in both spaces.
    const store = db().store.db;
    const grants = [
      { spaceId: f.ids.spaceA, role: "manage" as const },
      { spaceId: f.ids.spaceB, role: "manage" as const },
    ];
    const admin = await createAdministrator(store, {
      login: `both-${f.ids.suffix}`,
      password: "correct horse battery",
      isOwner: false,
      grants,
      now: NOW,
    });
    const principal = await adminPrincipal(store, admin, "token");
    const both = (
      await issueApiToken(store, { ...principal, isOwner: true }, { name: "both", grants, now: NOW })
    ).token;
    const moving = serial("MOV");
    const device = (
      await send("POST", `${s()}/devices`, { serialNumber: moving, platform: "iOS" })
    ).json() as DeviceBody;
    const moved = await send(
      "POST",
      `${s()}/devices/serial:${moving.toLowerCase()}/move`,
      { toSpaceId: f.ids.spaceB },
      both,
    );
    expect(moved.statusCode, moved.body).toBe(200);
    const there = await send("GET", `/api/v1/spaces/${f.ids.spaceB}/devices/${device.id}`, undefined, both);
    expect(there.json()).toMatchObject({ id: device.id, serialNumber: moving, status: "active" });
    expectUnknownSerial(
      await send("POST", `${s()}/devices/serial:nope0000/move`, { toSpaceId: f.ids.spaceB }, both),
    );
  });

  it("GET devices?serial= is the exact serial number in any case; q still finds those containing it", async () => {
    f = await buildFixture(db().store);
    const a = serial("EXA");
    const b = `${a}9`;
    const created = (
      await send("POST", `${s()}/devices/bulk`, {
        devices: [
          { serialNumber: a, platform: "iOS" },
          { serialNumber: b, platform: "iOS" },
        ],
      })
    ).json() as { items: DeviceBody[] };
    const exact = (await send("GET", `${s()}/devices?serial=${a.toLowerCase()}`)).json();
    expect(exact.items.map((d: DeviceBody) => d.serialNumber)).toEqual([a]);
    expect(exact.total).toBe(1);
    const bothOf = (await send("GET", `${s()}/devices?q=${a.toLowerCase()}`)).json();
    expect(bothOf.items.map((d: DeviceBody) => d.id).sort()).toEqual(created.items.map((d) => d.id).sort());
    expect((await send("GET", `${s()}/devices?serial=${a.slice(0, 3)}`)).json().total).toBe(0);
    // With the other filters: the exact device only when it matches them too.
    expect((await send("GET", `${s()}/devices?serial=${a}&platform=macOS`)).json().total).toBe(0);
  });

  it("LT5: a Shared iPad is iPadOS only: macOS with sharedIpad is a 400 naming the field on create, bulk and PATCH", async () => {
    f = await buildFixture(db().store);
    const mac = await send("POST", `${s()}/devices`, {
      serialNumber: serial("MAC1"),
      platform: "macOS",
      sharedIpad: true,
    });
    expect(mac.statusCode, mac.body).toBe(400);
    expect(mac.headers["content-type"]).toContain("application/problem+json");
    const problem = mac.json() as Problem;
    expect(problem.code).toBe("validation_failed");
    expect(fieldsOf(problem)).toEqual(["body.sharedIpad"]);
    expect(problem.errors?.[0]?.message).toMatch(/Shared iPad is iPadOS only: a macOS device/);
    expect((await send("GET", `${s()}/devices?serial=${serial("MAC1")}`)).json().total).toBe(0);

    const bulk = await send("POST", `${s()}/devices/bulk`, {
      devices: [
        { serialNumber: serial("BLK1"), platform: "iOS", sharedIpad: true },
        { serialNumber: serial("BLK2"), platform: "macOS", sharedIpad: true },
      ],
    });
    expect(bulk.statusCode, bulk.body).toBe(400);
    expect(fieldsOf(bulk.json())).toEqual(["body.devices.1.sharedIpad"]);
    expect((await send("GET", `${s()}/devices?serial=${serial("BLK1")}`)).json().total).toBe(0);

    const macOk = (
      await send("POST", `${s()}/devices`, { serialNumber: serial("MAC2"), platform: "macOS" })
    ).json() as DeviceBody;
    const shared = await send("PATCH", `${s()}/devices/${macOk.id}`, { sharedIpad: true });
    expect(shared.statusCode, shared.body).toBe(400);
    expect(fieldsOf(shared.json())).toEqual(["body.sharedIpad"]);

    const ipad = (
      await send("POST", `${s()}/devices`, {
        serialNumber: serial("IPAD"),
        platform: "iOS",
        sharedIpad: true,
      })
    ).json() as DeviceBody;
    expect(ipad.sharedIpad).toBe(true);
    const toMac = await send("PATCH", `${s()}/devices/${ipad.id}`, { platform: "macOS" });
    expect(toMac.statusCode, toMac.body).toBe(400);
    expect(fieldsOf(toMac.json())).toEqual(["body.platform"]);
    expect((await send("GET", `${s()}/devices/${ipad.id}`)).json()).toMatchObject({
      platform: "iOS",
      sharedIpad: true,
    });
    // Both changed together into a consistent device: accepted.
    const both = await send("PATCH", `${s()}/devices/${ipad.id}`, { platform: "macOS", sharedIpad: false });
    expect(both.statusCode, both.body).toBe(200);
    expect(both.json()).toMatchObject({ platform: "macOS", sharedIpad: false });
  });

  it("RV5: a deleted user is given no device: 404 naming body.userId on PATCH, create and bulk; the list by that user still answers", async () => {
    f = await buildFixture(db().store);
    // userA holds a license: deleting it keeps its row for the history (RV5).
    const removed = await send("DELETE", `${s()}/users/${f.ids.userA}`);
    expect(removed.statusCode, removed.body).toBe(204);
    const free = (
      await send("POST", `${s()}/devices`, { serialNumber: serial("FREE"), platform: "iOS" })
    ).json() as DeviceBody;

    const patched = await send("PATCH", `${s()}/devices/${free.id}`, { userId: f.ids.userA });
    expect(patched.statusCode, patched.body).toBe(404);
    const message = `user ${f.ids.userA} does not exist: it was deleted: a deleted user is given no device`;
    expect(patched.json()).toMatchObject({ code: "not_found", errors: [{ field: "body.userId", message }] });
    expect((await send("GET", `${s()}/devices/${free.id}`)).json().userId).toBeUndefined();

    const created = await send("POST", `${s()}/devices`, {
      serialNumber: serial("GONE"),
      platform: "iOS",
      userId: f.ids.userA,
    });
    expect(created.statusCode, created.body).toBe(404);
    expect(fieldsOf(created.json())).toEqual(["body.userId"]);
    const bulk = await send("POST", `${s()}/devices/bulk`, {
      devices: [
        { serialNumber: serial("GON1"), platform: "iOS" },
        { serialNumber: serial("GON2"), platform: "iOS", userId: f.ids.userA },
      ],
    });
    expect(bulk.statusCode, bulk.body).toBe(404);
    expect(fieldsOf(bulk.json())).toEqual(["body.devices.1.userId"]);

    // Its devices are still listed by it (the history), and clearing a device's user still works.
    expect((await send("GET", `${s()}/devices?user=${f.ids.userA}`)).statusCode).toBe(200);
    expect((await send("PATCH", `${s()}/devices/${f.ids.deviceA}`, { userId: null })).statusCode).toBe(200);
  });
});
