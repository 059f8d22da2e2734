import { expect, it } from "vitest";
import { createDevices, requestLicenses, setCatalogApp } from "../../src/store/index.js";
import { describeEachDatabase } from "../store/databases.js";
import { accountWithSeats } from "../store/fixtures.js";
import { auth, buildFixture, type Fixture, NOW } from "./harness.js";

type Problem = { code: string; errors?: Array<{ field: string; message: string }> };
type DeviceBody = {
  id: string;
  serialNumber: string;
  name?: string | null;
  model?: string | null;
  osVersion?: string | null;
  updatedAt: string;
  lastCheckInAt?: string;
};
type Page = { items: DeviceBody[]; total: number };

/**
 * A device's name, model and OS version (0050), as MDM administrators know their devices
 * ("Classroom iPad 12", not DMPQ0012): given at creation (one or in bulk), changed or cleared
 * by PATCH, reported by the MDM's check-in (DB2), returned wherever a device is, and found
 * by the devices search.
 */
describeEachDatabase("device names, models and OS versions", (db) => {
  const db_ = () => db().store;
  let f: Fixture;
  const s = () => `/api/v1/spaces/${f.ids.spaceA}`;
  const send = (method: "GET" | "POST" | "PATCH", url: string, payload?: unknown) =>
    f.app.inject({
      method,
      url,
      headers: auth(f.tokens.write),
      ...(payload !== undefined ? { payload: payload as object } : {}),
    });
  const serial = (prefix: string) => `${prefix}${f.ids.suffix}`.toUpperCase();
  const fieldsOf = (p: Problem) => (p.errors ?? []).map((e) => e.field);
  const get = async (ref: string) => {
    const res = await send("GET", `${s()}/devices/${ref}`);
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as DeviceBody;
  };

  it("a device is created with its name, model and OS version, trimmed, and returned with them; one without has none (absent, not null)", async () => {
    f = await buildFixture(db().store);
    const created = await send("POST", `${s()}/devices`, {
      serialNumber: serial("NMA"),
      platform: "iOS",
      name: "  Classroom iPad 12 ",
      model: " iPad (10th generation)",
      osVersion: "17.5.1 ",
    });
    expect(created.statusCode, created.body).toBe(201);
    const body = created.json() as DeviceBody;
    expect(body).toMatchObject({
      name: "Classroom iPad 12",
      model: "iPad (10th generation)",
      osVersion: "17.5.1",
    });
    expect(await get(body.id)).toMatchObject({
      name: "Classroom iPad 12",
      model: "iPad (10th generation)",
      osVersion: "17.5.1",
    });
    expect(await get(`serial:${serial("NMA")}`)).toMatchObject({ name: "Classroom iPad 12" });

    const bare = await send("POST", `${s()}/devices`, { serialNumber: serial("NMB"), platform: "macOS" });
    expect(bare.statusCode, bare.body).toBe(201);
    const plain = bare.json() as DeviceBody;
    for (const field of ["name", "model", "osVersion"] as const) expect(plain).not.toHaveProperty(field);
    // Unicode is kept as typed: an apostrophe, accents, an emoji.
    const marie = await send("POST", `${s()}/devices`, {
      serialNumber: serial("NMC"),
      platform: "macOS",
      name: "MacBook Air de Marie-Hélène 🍎",
      model: "Mac14,2",
      osVersion: "14.5",
    });
    expect(marie.statusCode, marie.body).toBe(201);
    expect(marie.json()).toMatchObject({ name: "MacBook Air de Marie-Hélène 🍎", model: "Mac14,2" });
  });

  it("a bad name, model or OS version is a 400 problem naming its field, and nothing is created", async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ name: "Cart\niPad" }, "body.name"],
      [{ name: "Cart\u0000iPad" }, "body.name"],
      [{ name: "   " }, "body.name"],
      [{ name: "x".repeat(201) }, "body.name"],
      [{ name: 12 }, "body.name"],
      [{ model: "m".repeat(101) }, "body.model"],
      [{ model: "iPad\t13" }, "body.model"],
      [{ osVersion: "iOS 17.5" }, "body.osVersion"],
      [{ osVersion: "17.5.1.2.3" }, "body.osVersion"],
      [{ osVersion: "17..5" }, "body.osVersion"],
      [{ osVersion: "" }, "body.osVersion"],
      [{ osVersion: null }, "body.osVersion"],
    ];
    for (const [extra, field] of cases) {
      const res = await send("POST", `${s()}/devices`, {
        serialNumber: serial("BAD"),
        platform: "iOS",
        ...extra,
      });
      expect(res.statusCode, JSON.stringify(extra)).toBe(400);
      expect(res.headers["content-type"]).toMatch(/^application\/problem\+json/);
      const problem = res.json() as Problem;
      expect(problem.code).toBe("validation_failed");
      expect(fieldsOf(problem), JSON.stringify(extra)).toEqual([field]);
    }
    expect((await send("GET", `${s()}/devices/serial:${serial("BAD")}`)).statusCode).toBe(404);
    // At the limits, and with a Rapid Security Response's letter, they are taken.
    const res = await send("POST", `${s()}/devices`, {
      serialNumber: serial("EDGE"),
      platform: "iOS",
      name: "n".repeat(200),
      model: "m".repeat(100),
      osVersion: "16.5.1 (a)",
    });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ osVersion: "16.5.1 (a)" });
  });

  it("devices/bulk takes them per device; a bad one names its index, and none is created", async () => {
    const bad = await send("POST", `${s()}/devices/bulk`, {
      devices: [
        { serialNumber: serial("BLA"), platform: "iOS", name: "Cart A 1" },
        { serialNumber: serial("BLB"), platform: "iOS", osVersion: "seventeen" },
      ],
    });
    expect(bad.statusCode, bad.body).toBe(400);
    expect(fieldsOf(bad.json() as Problem)).toEqual(["body.devices.1.osVersion"]);
    expect((await send("GET", `${s()}/devices/serial:${serial("BLA")}`)).statusCode).toBe(404);

    const res = await send("POST", `${s()}/devices/bulk`, {
      devices: [
        {
          serialNumber: serial("BLA"),
          platform: "iOS",
          name: "Cart A 1",
          model: "iPad13,18",
          osVersion: "17.4",
        },
        { serialNumber: serial("BLB"), platform: "iOS" },
      ],
    });
    expect(res.statusCode, res.body).toBe(201);
    const { items } = res.json() as { items: DeviceBody[] };
    expect(items[0]).toMatchObject({ name: "Cart A 1", model: "iPad13,18", osVersion: "17.4" });
    expect(items[1]).not.toHaveProperty("name");
    expect(await get(`serial:${serial("BLA")}`)).toMatchObject({ name: "Cart A 1", osVersion: "17.4" });
  });

  it("PATCH sets them, leaves out what it does not name, and null clears one; a bad one is its field's 400, nothing changed", async () => {
    const device = await get(`serial:${serial("NMA")}`);
    const renamed = await send("PATCH", `${s()}/devices/${device.id}`, { name: " Classroom iPad 13 " });
    expect(renamed.statusCode, renamed.body).toBe(200);
    expect(renamed.json()).toMatchObject({
      name: "Classroom iPad 13",
      model: "iPad (10th generation)",
      osVersion: "17.5.1",
    });

    const bad = await send("PATCH", `${s()}/devices/${device.id}`, { name: "Ok", osVersion: "17.x" });
    expect(bad.statusCode, bad.body).toBe(400);
    expect(fieldsOf(bad.json() as Problem)).toEqual(["body.osVersion"]);
    expect(await get(device.id)).toMatchObject({ name: "Classroom iPad 13", osVersion: "17.5.1" });

    const cleared = await send("PATCH", `${s()}/devices/${device.id}`, { model: null, osVersion: null });
    expect(cleared.statusCode, cleared.body).toBe(200);
    const after = cleared.json() as DeviceBody;
    expect(after.name).toBe("Classroom iPad 13");
    expect(after).not.toHaveProperty("model");
    expect(after).not.toHaveProperty("osVersion");
    expect(await get(device.id)).not.toHaveProperty("model");

    // The same name again changes nothing: not written, so updatedAt (an MDM's incremental reads) stays.
    const same = await send("PATCH", `${s()}/devices/${device.id}`, { name: "Classroom iPad 13" });
    expect((same.json() as DeviceBody).updatedAt).toBe(after.updatedAt);
  });

  it("DB2: a check-in records the name, model and OS version it reports; one that leaves them out or sends null keeps them; a bad one is ignored and named, the check-in going through", async () => {
    const before = await get(`serial:${serial("NMB")}`);
    const first = await send("POST", `${s()}/mdm/check-in`, {
      serialNumber: serial("NMB").toLowerCase(),
      installed: [],
      name: "Marie's MacBook",
      model: "MacBook Air (M2, 2022)",
      osVersion: "14.5",
    });
    expect(first.statusCode, first.body).toBe(200);
    expect(await get(before.id)).toMatchObject({
      name: "Marie's MacBook",
      model: "MacBook Air (M2, 2022)",
      osVersion: "14.5",
    });

    const bare = await send("POST", `${s()}/mdm/check-in`, { serialNumber: serial("NMB") });
    expect(bare.statusCode, bare.body).toBe(200);
    expect(await get(before.id)).toMatchObject({ name: "Marie's MacBook", osVersion: "14.5" });

    const updated = await send("POST", `${s()}/mdm/check-in`, {
      serialNumber: serial("NMB"),
      osVersion: "14.6",
    });
    expect(updated.statusCode, updated.body).toBe(200);
    const now = await get(before.id);
    expect(now).toMatchObject({
      name: "Marie's MacBook",
      model: "MacBook Air (M2, 2022)",
      osVersion: "14.6",
    });

    // A description the MDM words otherwise never costs the device its check-in (and its
    // licenses): the bad values are left out and named, null is "unknown", the rest recorded.
    const bad = await send("POST", `${s()}/mdm/check-in`, {
      serialNumber: serial("NMB"),
      name: "Marie\u001b[31m",
      model: null,
      osVersion: "iPadOS 17 beta",
    });
    expect(bad.statusCode, bad.body).toBe(200);
    const { ignored } = bad.json() as { ignored?: Array<{ field: string; message: string }> };
    expect(ignored?.map((i) => i.field)).toEqual(["body.name", "body.osVersion"]);
    expect(ignored?.[0]?.message).toBe("no control characters");
    const unchanged = await get(before.id);
    expect(unchanged).toMatchObject({
      name: "Marie's MacBook",
      model: "MacBook Air (M2, 2022)",
      osVersion: "14.6",
    });
    expect((bad.json() as { deviceId: string }).deviceId).toBe(before.id);
    // Past any description's length, the body itself is refused: a 400 naming the field.
    const huge = await send("POST", `${s()}/mdm/check-in`, {
      serialNumber: serial("NMB"),
      name: "x".repeat(10_001),
    });
    expect(huge.statusCode).toBe(400);
    expect(fieldsOf(huge.json() as Problem)).toEqual(["body.name"]);
  });

  it("the devices search (q) finds a device by its name, in any case and anywhere in it, and still by its serial number; % and _ are letters", async () => {
    const search = async (q: string) => {
      const res = await send("GET", `${s()}/devices?q=${encodeURIComponent(q)}&pageSize=100`);
      expect(res.statusCode, res.body).toBe(200);
      return (res.json() as Page).items.map((d) => d.serialNumber).sort();
    };
    expect(await search("classroom IPAD")).toEqual([serial("NMA")]);
    expect(await search("ipad 13")).toEqual([serial("NMA")]);
    expect(await search("  marie's ")).toEqual([serial("NMB")]);
    expect(await search("hélène")).toEqual([serial("NMC")]);
    expect(await search("cart a")).toEqual([serial("BLA")]);
    // By serial number, as before, in any case.
    expect(await search(serial("NMB").toLowerCase())).toEqual([serial("NMB")]);
    // A model or an OS version is not searched: "iPad (10th" is NMA's model only.
    expect(await search("10th generation")).toEqual([]);
    expect(await search("%")).toEqual([]);
    expect(await search("_")).toEqual([]);
    // Filters still apply beside q.
    const macs = await send("GET", `${s()}/devices?q=mac&platform=iOS`);
    expect((macs.json() as Page).total).toBe(0);
  });

  it("the list sorts by name, the devices without one last either way", async () => {
    const names = async (order: "asc" | "desc") => {
      const res = await send("GET", `${s()}/devices?sort=name&order=${order}&pageSize=100`);
      expect(res.statusCode, res.body).toBe(200);
      return (res.json() as Page).items.map((d) => d.name ?? null);
    };
    const named = [
      "Cart A 1",
      "Classroom iPad 13",
      "MacBook Air de Marie-Hélène 🍎",
      "Marie's MacBook",
      "n".repeat(200),
    ];
    const asc = await names("asc");
    expect(asc.slice(0, named.length)).toEqual(named);
    expect(asc.slice(named.length).every((n) => n === null)).toBe(true);
    const desc = await names("desc");
    expect(desc.slice(0, named.length)).toEqual([...named].reverse());
  });

  it("RV1: POST devices of a wiped device's serial number sets it up again with the name given, keeping the model and OS version it had", async () => {
    const device = await get(`serial:${serial("NMB")}`);
    const wiped = await send("POST", `${s()}/devices/${device.id}/events`, { kind: "wiped" });
    expect(wiped.statusCode, wiped.body).toBeLessThan(300);
    const again = await send("POST", `${s()}/devices`, {
      serialNumber: serial("NMB"),
      platform: "macOS",
      name: "Lab Mac 4",
    });
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json()).toMatchObject({
      id: device.id,
      status: "active",
      name: "Lab Mac 4",
      model: "MacBook Air (M2, 2022)",
      osVersion: "14.6",
    });
  });

  it("DB2, VU5: the licenses list and an app's waiting queue name a device by its name beside its serial number, and find it by its name", async () => {
    const { db, keys } = db_();
    const spaceId = f.ids.spaceA;
    const adamId = "777000222";
    await setCatalogApp(db, { spaceId, adamId, name: "Keynote", installOnDevice: true }, NOW);
    await accountWithSeats(db, keys, { spaceId, adamId, total: 1 });
    const [holder, waiter] = await createDevices(db, [
      { spaceId, serialNumber: serial("HOLD"), platform: "iOS", supervised: true, name: "Art room iPad 1" },
      { spaceId, serialNumber: serial("WAIT"), platform: "iOS", supervised: true, name: "Art room iPad 2" },
    ]);
    for (const d of [holder, waiter])
      await requestLicenses(db, {
        spaceId,
        adamId,
        requests: [{ spaceId, adamId, subject: { kind: "device", deviceId: d?.id ?? "" }, why: "mandatory" }],
        actor: { kind: "mdm" },
        now: NOW,
      });

    const licenses = await send("GET", `${s()}/licenses?q=${encodeURIComponent("art ROOM")}`);
    expect(licenses.statusCode, licenses.body).toBe(200);
    expect((licenses.json() as { items: unknown[] }).items).toEqual([
      expect.objectContaining({
        deviceId: holder?.id,
        serialNumber: serial("HOLD"),
        deviceName: "Art room iPad 1",
      }),
    ]);
    // The fixture's user license names no device.
    const all = (await send("GET", `${s()}/licenses?type=user`)).json() as { items: object[] };
    for (const l of all.items) expect(l).not.toHaveProperty("deviceName");

    const waiting = await send("GET", `/api/v1/spaces/${spaceId}/apps/${adamId}/waiting?q=ipad%202`);
    expect(waiting.statusCode, waiting.body).toBe(200);
    expect((waiting.json() as { items: unknown[] }).items).toEqual([
      expect.objectContaining({
        position: 1,
        deviceId: waiter?.id,
        serialNumber: serial("WAIT"),
        deviceName: "Art room iPad 2",
      }),
    ]);
  });
});
