import { expect, it } from "vitest";
import { adminPrincipal, createAdministrator, issueApiToken } from "../../src/auth/auth.service.js";
import { createAccount, createDevice, setCatalogApp, upsertAsset } from "../../src/store/index.js";
import { describeEachDatabase } from "../store/databases.js";
import { auth, buildFixture, type Fixture, NOW, STOKEN } from "./harness.js";

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
    // The second of the two is the one named: the first alone would have been created.
    expect(bulk.json()).toMatchObject({
      code: "already_exists",
      errors: [
        {
          field: "body.devices.1.serialNumber",
          message: `serialNumber ${other} is given twice (devices 0 and 1)`,
        },
      ],
    });
    expect((await send("GET", `${s()}/devices?serial=${other}`)).json().total).toBe(0);

    // RV1: a wiped device enrolled again in bulk is set up again, as POST devices does: same id,
    // in the request's order; a refusal after it names its index in the request.
    const wiped = (
      await send("POST", `${s()}/devices`, { serialNumber: serial("WIPE"), platform: "iOS" })
    ).json();
    expect((await send("POST", `${s()}/devices/${wiped.id}/events`, { kind: "wiped" })).statusCode).toBe(200);
    const enrolled = await send("POST", `${s()}/devices/bulk`, {
      devices: [
        { serialNumber: serial("NEW1"), platform: "iOS" },
        { serialNumber: serial("WIPE").toLowerCase(), platform: "iOS" },
      ],
    });
    expect(enrolled.statusCode, enrolled.body).toBe(201);
    expect(enrolled.json()).toMatchObject({
      created: 1,
      revived: 1,
      items: [{ serialNumber: serial("NEW1") }, { id: wiped.id, status: "active" }],
    });
    // Wiped again: set up again in the list, while the next serial is taken (all or none).
    expect((await send("POST", `${s()}/devices/${wiped.id}/events`, { kind: "wiped" })).statusCode).toBe(200);
    const refused = await send("POST", `${s()}/devices/bulk`, {
      devices: [
        { serialNumber: serial("WIPE"), platform: "iOS" },
        { serialNumber: serial("NEW1"), platform: "iOS" },
      ],
    });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().errors[0]).toMatchObject({ field: "body.devices.1.serialNumber" });
    expect((await send("GET", `${s()}/devices/${wiped.id}`)).json().status).toBe("wiped");

    // The same list sent again (a retry after a timeout): every active one named, nothing
    // made; with existing=keep, they are answered as they are and the rest created.
    const list = [
      { serialNumber: serial("NEW1"), platform: "iOS" },
      { serialNumber: serial("NEW2"), platform: "iOS" },
      { serialNumber: upper.toLowerCase(), platform: "macOS" },
    ];
    const resent = await send("POST", `${s()}/devices/bulk`, { devices: list });
    expect(resent.statusCode).toBe(409);
    expect(resent.json().errors.map((e: { field: string }) => e.field)).toEqual([
      "body.devices.0.serialNumber",
      "body.devices.2.serialNumber",
    ]);
    expect(resent.json().detail).toContain("send existing=keep");
    expect((await send("GET", `${s()}/devices?serial=${serial("NEW2")}`)).json().total).toBe(0);
    const kept = await send("POST", `${s()}/devices/bulk?existing=keep`, { devices: list });
    expect(kept.statusCode, kept.body).toBe(201);
    expect(kept.json()).toMatchObject({
      created: 1,
      revived: 0,
      existing: 2,
      // As they are: the existing iOS device is not made a Mac.
      items: [
        { serialNumber: serial("NEW1") },
        { serialNumber: serial("NEW2") },
        { id: (created.json() as DeviceBody).id, platform: "iOS" },
      ],
    });

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

  it("RV1, TR1: a device's events and its move take serial:<serial number>; an unknown one is a 404 naming it; a target space holding its serial is a 409 naming toSpaceId", async () => {
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
    // TR1: enrolled in the target space first (POST devices there), then moved: a 409 naming
    // toSpaceId and the device there, not the serialNumber the move's body does not have.
    const twice = serial("TWO");
    const here = (
      await send("POST", `${s()}/devices`, { serialNumber: twice, platform: "iOS" })
    ).json() as DeviceBody;
    const there2 = (
      await send(
        "POST",
        `/api/v1/spaces/${f.ids.spaceB}/devices`,
        { serialNumber: twice, platform: "iOS" },
        both,
      )
    ).json() as DeviceBody;
    const refused = await send("POST", `${s()}/devices/${here.id}/move`, { toSpaceId: f.ids.spaceB }, both);
    expect(refused.statusCode, refused.body).toBe(409);
    expect(refused.json()).toMatchObject({
      code: "serial_in_target_space",
      errors: [{ field: "body.toSpaceId", message: expect.stringContaining(there2.id) }],
    });
    expect((await send("GET", `${s()}/devices/${here.id}`)).json().status).toBe("active");
  });

  it("the serial: prefix is read in any case (SERIAL:, Serial:) wherever a device is taken; an id is never read as one", async () => {
    f = await buildFixture(db().store);
    const upper = serial("PFX");
    const device = (
      await send("POST", `${s()}/devices`, { serialNumber: upper, platform: "iOS" })
    ).json() as DeviceBody;
    for (const prefix of ["SERIAL:", "Serial:", "sErIaL:"]) {
      const got = await send("GET", `${s()}/devices/${prefix}${upper.toLowerCase()}`);
      expect(got.statusCode, `${prefix}: ${got.body}`).toBe(200);
      expect(got.json().id).toBe(device.id);
    }
    const licenses = await send("GET", `${s()}/licenses?device=SERIAL:${upper}`);
    expect(licenses.statusCode, licenses.body).toBe(200);
    const explained = await send("GET", `${s()}/explain?app=${f.ids.adamId}&device=Serial:${upper}`);
    expect(explained.statusCode, explained.body).toBe(200);
    expect(explained.json()).toEqual(
      (await send("GET", `${s()}/explain?app=${f.ids.adamId}&device=${device.id}`)).json(),
    );
    expectUnknownSerial(await send("GET", `${s()}/devices/SERIAL:nope0000`));
    expectUnknownSerial(
      await send("GET", `${s()}/explain?app=${f.ids.adamId}&device=Serial:nope0000`),
      "querystring.device",
    );
  });

  it("LT2: a license request takes the device as serial:<serial number>; an unknown one is a 404 naming body.device", async () => {
    f = await buildFixture(db().store);
    const upper = serial("REQ");
    const device = (
      await send("POST", `${s()}/devices`, { serialNumber: upper, platform: "iOS" })
    ).json() as DeviceBody;
    const asked = await send("POST", `${s()}/license-requests`, {
      app: f.ids.adamId,
      device: `Serial:${upper.toLowerCase()}`,
      why: "mandatory",
    });
    expect(asked.statusCode, asked.body).toBe(200);
    expect(asked.json().decision).toMatchObject({ outcome: "grant", type: "device" });
    const licenseId = asked.json().licenseId as string;
    // The same request by id: the device's license, kept (LT4).
    const again = await send("POST", `${s()}/license-requests`, {
      app: f.ids.adamId,
      device: device.id,
      why: "mandatory",
    });
    expect(again.json()).toMatchObject({ decision: { outcome: "keep" }, licenseId });
    expectUnknownSerial(
      await send("POST", `${s()}/license-requests`, { app: f.ids.adamId, device: "serial:nope0000" }),
      "body.device",
    );
    // A bare serial number where the device's id goes: a 404 saying how to name it, wherever sent.
    const hint = `it is a device's serial number: name it serial:${upper}`;
    for (const [r, field] of [
      [await send("POST", `${s()}/license-requests`, { app: f.ids.adamId, device: upper }), "body.device"],
      [await send("GET", `${s()}/explain?app=${f.ids.adamId}&device=${upper}`), "querystring.device"],
      [await send("GET", `${s()}/mdm/commands?device=${upper}`), "querystring.device"],
      [await send("GET", `${s()}/mdm/commands/overview?device=${upper}`), "querystring.device"],
    ] as const) {
      expect(r.statusCode, r.body).toBe(404);
      expect(r.json().errors).toEqual([{ field, message: `device ${upper} does not exist: ${hint}` }]);
    }
  });

  it("DI1: a rule's reserved devices take serial:<serial number>, in the rules PUT and in what-if (one lookup for the list); an unknown one is a 404 naming its place", async () => {
    f = await buildFixture(db().store);
    const store = db().store;
    // Keynote: one seat at Main, for everyone; one at Second, for Teachers only (DI7: a device
    // without a user is not eligible there).
    const second = (
      await createAccount(store.db, store.keys, {
        spaceId: f.ids.spaceA,
        displayName: "Second",
        sToken: STOKEN,
      })
    ).id;
    const adamId = "770077";
    for (const accountId of [f.ids.accountA, second])
      await upsertAsset(
        store.db,
        {
          spaceId: f.ids.spaceA,
          accountId,
          adamId,
          pricingParam: "STDQ",
          productType: "App",
          name: "Keynote",
          total: 1,
          deviceAssignable: true,
          platforms: ["iOS"],
        },
        NOW,
      );
    await setCatalogApp(store.db, { spaceId: f.ids.spaceA, adamId, name: "Keynote" }, NOW);
    const rulesOf = (accountId: string) => `${s()}/accounts/${accountId}/apps/${adamId}/rules`;
    expect(
      (await send("PUT", rulesOf(f.ids.accountA), { fcfs: { groupIds: ["all-users"] } })).statusCode,
    ).toBe(200);
    expect((await send("PUT", rulesOf(second), { fcfs: { groupIds: [f.ids.groupA] } })).statusCode).toBe(200);
    const ask = (deviceRef: string) =>
      send("POST", `${s()}/license-requests`, { app: adamId, device: deviceRef, why: "mandatory" });
    const first = (
      await send("POST", `${s()}/devices`, { serialNumber: serial("FST"), platform: "iOS" })
    ).json() as DeviceBody;
    expect((await ask(first.id)).json().decision.outcome).toBe("grant");
    const upper = serial("RSV");
    const device = (
      await send("POST", `${s()}/devices`, { serialNumber: upper, platform: "iOS" })
    ).json() as DeviceBody;
    const waiting = await ask(device.id);
    expect(waiting.json().decision.outcome, waiting.body).toBe("wait"); // DB2: Main is full

    // What-if reserving it at Second by serial number: it would get Second's seat, as by its id.
    const whatIf = (reserved: string[]) =>
      send("POST", `${s()}/what-if`, {
        changes: [
          {
            kind: "rules",
            accountId: second,
            adamId,
            fcfs: { groupIds: [f.ids.groupA] },
            reservedDeviceIds: reserved,
          },
        ],
      });
    const bySerial = await whatIf([`SERIAL:${upper.toLowerCase()}`]);
    expect(bySerial.statusCode, bySerial.body).toBe(200);
    expect(bySerial.json().apps[0].gain).toEqual([
      expect.objectContaining({
        subject: { kind: "device", id: device.id, name: upper },
        outcome: "grant",
        accountId: second,
      }),
    ]);
    expect(bySerial.json()).toEqual((await whatIf([device.id])).json());
    const unknownWhatIf = await whatIf([device.id, "serial:nope0000"]);
    expectUnknownSerial(unknownWhatIf, "body.changes.0.reservedDeviceIds.1");

    // The rules PUT: the device reserved by serial number is reserved by its id.
    const unknownPut = await send("PUT", rulesOf(second), {
      fcfs: { groupIds: [f.ids.groupA] },
      reservedDeviceIds: ["serial:nope0000"],
    });
    expectUnknownSerial(unknownPut, "body.reservedDeviceIds.0");
    const put = await send("PUT", rulesOf(second), {
      fcfs: { groupIds: [f.ids.groupA] },
      reservedDeviceIds: [`serial:${upper.toLowerCase()}`],
    });
    expect(put.statusCode, put.body).toBe(200);
    expect(put.json().reservedDevices).toEqual([{ id: device.id, serialNumber: upper }]);
  });

  it("the MDM command queue and the activity log filter by serial:<serial number>; an unknown one is a 404 naming querystring.device", async () => {
    f = await buildFixture(db().store);
    await send("PUT", `${s()}/catalog/${f.ids.adamId}`, { installOnDevice: true });
    const upper = serial("CMD");
    const device = (
      await send("POST", `${s()}/devices`, { serialNumber: upper, platform: "iOS" })
    ).json() as DeviceBody;
    // Another device's command too, so that a filter that is not applied shows.
    await send("POST", `${s()}/devices`, { serialNumber: serial("OTH"), platform: "iOS" });
    await send("POST", `${s()}/mdm/check-in`, { serialNumber: upper });
    await send("POST", `${s()}/mdm/check-in`, { serialNumber: serial("OTH") });

    for (const path of ["mdm/commands", "mdm/commands/overview"]) {
      const all = (await send("GET", `${s()}/${path}`)).json();
      expect(all.items.length, path).toBe(2);
      const byId = (await send("GET", `${s()}/${path}?device=${device.id}`)).json();
      expect(
        byId.items.map((c: { deviceId: string }) => c.deviceId),
        path,
      ).toEqual([device.id]);
      const bySerial = await send("GET", `${s()}/${path}?device=Serial:${upper.toLowerCase()}`);
      expect(bySerial.statusCode, bySerial.body).toBe(200);
      expect(bySerial.json().items).toEqual(byId.items);
      expectUnknownSerial(await send("GET", `${s()}/${path}?device=serial:nope0000`), "querystring.device");
    }

    const byId = (await send("GET", `${s()}/activity?device=${device.id}`)).json();
    expect(byId.total).toBeGreaterThan(0);
    const bySerial = await send("GET", `${s()}/activity?device=SERIAL:${upper}`);
    expect(bySerial.statusCode, bySerial.body).toBe(200);
    expect(bySerial.json()).toEqual(byId);
    const csv = await send("GET", `${s()}/activity.csv?device=serial:${upper.toLowerCase()}`);
    expect(csv.statusCode, csv.body).toBe(200);
    expect(csv.body).toBe((await send("GET", `${s()}/activity.csv?device=${device.id}`)).body);
    expectUnknownSerial(await send("GET", `${s()}/activity?device=serial:nope0000`), "querystring.device");
    expectUnknownSerial(
      await send("GET", `${s()}/activity.csv?device=serial:nope0000`),
      "querystring.device",
    );
  });

  it("DB2: a check-in's serial number is refused with a control character or empty once trimmed (400 naming body.serialNumber); spaces around it and its case are accepted", async () => {
    f = await buildFixture(db().store);
    const upper = serial("CHK");
    const device = (
      await send("POST", `${s()}/devices`, { serialNumber: upper, platform: "iOS" })
    ).json() as DeviceBody;
    for (const [sent, message] of [
      [`${upper}\n`, "no control characters"],
      [`\t${upper}`, "no control characters"],
      [`${upper.slice(0, 3)}\u0000${upper.slice(3)}`, "no control characters"],
      ["   ", "a serial number is required: it is empty once spaces are trimmed"],
      ["", "a serial number is required: it is empty once spaces are trimmed"],
    ] as const) {
      const refused = await send("POST", `${s()}/mdm/check-in`, { serialNumber: sent });
      expect(refused.statusCode, `${JSON.stringify(sent)}: ${refused.body}`).toBe(400);
      expect(refused.headers["content-type"]).toContain("application/problem+json");
      expect(refused.json()).toMatchObject({
        code: "validation_failed",
        errors: [{ field: "body.serialNumber", message }],
      });
    }
    const spaced = await send("POST", `${s()}/mdm/check-in`, { serialNumber: `  ${upper.toLowerCase()} ` });
    expect(spaced.statusCode, spaced.body).toBe(200);
    expect(spaced.json().deviceId).toBe(device.id);
    // Device create refuses alike: one schema for every serial number taken.
    const created = await send("POST", `${s()}/devices`, {
      serialNumber: `${serial("NEW")}\r`,
      platform: "iOS",
    });
    expect(created.statusCode, created.body).toBe(400);
    expect(fieldsOf(created.json())).toEqual(["body.serialNumber"]);
  });

  it("a serial number left in two spellings by 0026 (c02d…, C02d…) is taken: creating C02D… is the 409 of a duplicate, alone or in bulk", async () => {
    f = await buildFixture(db().store);
    const upper = serial("LFT");
    // As 0026 leaves such a pair (neither upper-cased), written as before it.
    for (const [id, spelled] of [
      [`lft-a-${f.ids.suffix}`, upper.toLowerCase()],
      [`lft-b-${f.ids.suffix}`, `${upper.slice(0, 1)}${upper.slice(1).toLowerCase()}`],
    ] as const)
      await db()
        .store.db.insertInto("devices")
        .values({
          space_id: f.ids.spaceA,
          id,
          serial_number: spelled,
          platform: "iOS",
          created_at: NOW,
          updated_at: NOW,
        })
        .execute();

    const created = await send("POST", `${s()}/devices`, { serialNumber: upper, platform: "iOS" });
    expect(created.statusCode, created.body).toBe(409);
    expect(created.headers["content-type"]).toContain("application/problem+json");
    expect(created.json()).toMatchObject({
      code: "already_exists",
      errors: [
        {
          field: "body.serialNumber",
          message: `serialNumber ${upper} is taken in this space (as ${upper.toLowerCase()})`,
        },
      ],
    });
    const bulk = await send("POST", `${s()}/devices/bulk`, {
      devices: [
        { serialNumber: serial("LFT2"), platform: "iOS" },
        { serialNumber: upper, platform: "iOS" },
      ],
    });
    expect(bulk.statusCode, bulk.body).toBe(409);
    expect(bulk.json()).toMatchObject({
      code: "already_exists",
      errors: [{ field: "body.devices.1.serialNumber" }],
    });
    // All or none: the other device was not created either.
    expect((await send("GET", `${s()}/devices?serial=${serial("LFT2")}`)).json().total).toBe(0);
    expect((await send("GET", `${s()}/devices?serial=${upper}`)).json().total).toBe(2);
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

  it("LT5: iPadOS, as MDMs report an iPad, is Orchard's iOS (a Shared iPad too); another platform name is a 400 naming it", async () => {
    f = await buildFixture(db().store);
    const ipad = await send("POST", `${s()}/devices`, {
      serialNumber: serial("IPADOS"),
      platform: "iPadOS",
      sharedIpad: true,
    });
    expect(ipad.statusCode, ipad.body).toBe(201);
    expect(ipad.json()).toMatchObject({ platform: "iOS", sharedIpad: true });
    const patched = await send("PATCH", `${s()}/devices/${ipad.json().id}`, { platform: "iPadOS" });
    expect(patched.json().platform).toBe("iOS");
    const android = await send("POST", `${s()}/devices`, {
      serialNumber: serial("DROID"),
      platform: "Android",
    });
    expect(android.statusCode).toBe(400);
    expect(fieldsOf(android.json() as Problem)).toEqual(["body.platform"]);
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

    // Its devices are no one's now, changed as of the deletion (an MDM reading devices by
    // updatedAt sees it); the list by that user still answers, empty.
    const device = (await send("GET", `${s()}/devices/${f.ids.deviceA}`)).json() as DeviceBody & {
      updatedAt: string;
    };
    expect(device.userId).toBeUndefined();
    expect(device.updatedAt).toBe(NOW.toISOString());
    const listed = await send("GET", `${s()}/devices?user=${f.ids.userA}`);
    expect(listed.statusCode).toBe(200);
    expect(listed.json().items).toEqual([]);
    expect((await send("PATCH", `${s()}/devices/${f.ids.deviceA}`, { userId: null })).statusCode).toBe(200);
  });
});
