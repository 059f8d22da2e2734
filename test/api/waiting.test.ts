import { expect, it } from "vitest";
import type { LicenseRequest } from "../../src/licensing/index.js";
import { createDevice, createUser, requestLicenses, setCatalogApp } from "../../src/store/index.js";
import { describeEachDatabase, sharedDatabases } from "../store/databases.js";
import { accountWithSeats } from "../store/fixtures.js";
import { auth, buildFixture, NOW } from "./harness.js";

// The suites share a database per engine: each test builds fixtures of its own (a space each).
const shared = sharedDatabases();

const at = (minutes: number) => new Date(NOW.getTime() + minutes * 60_000);

describeEachDatabase("the waiting queue, as the API shows it", shared, (database) => {
  it("DB2, UB3: an app's waiting queue is listed in the order it is served, with who waits, why, since when; the app list counts it; explain says where a subject stands", async () => {
    const { db, keys } = database().store;
    const f = await buildFixture(database().store);
    const spaceId = f.ids.spaceA;
    const adamId = "777000111";
    await setCatalogApp(db, { spaceId, adamId, name: "Keynote", installOnDevice: true }, NOW);
    await accountWithSeats(db, keys, { spaceId, adamId, total: 1 });
    const ada = await createUser(db, { spaceId, name: "Ada Lovelace" }); // not enrolled
    const device = (serialNumber: string, userId?: string) =>
      createDevice(db, {
        spaceId,
        serialNumber,
        platform: "iOS",
        supervised: true,
        ...(userId ? { userId } : {}),
      });
    const first = await device(`FIRST-${f.ids.suffix}`);
    const second = await device(`SECOND-${f.ids.suffix}`);
    const adasIpad = await device(`ADA-${f.ids.suffix}`, ada.id);
    const ask = (subject: LicenseRequest["subject"], why: LicenseRequest["why"], minutes: number) =>
      requestLicenses(db, {
        spaceId,
        adamId,
        requests: [{ spaceId, adamId, subject, why }],
        actor: { kind: "mdm" },
        now: at(minutes),
      });
    // The seat goes to the first device; Ada's iPad asks before the second device; Ada asks last.
    expect((await ask({ kind: "device", deviceId: first.id }, "mandatory", 0))[0]?.decision.outcome).toBe(
      "grant",
    );
    await ask({ kind: "device", deviceId: adasIpad.id }, "mandatory", 1);
    await ask({ kind: "device", deviceId: second.id }, "check_in", 2);
    await ask({ kind: "user", userId: ada.id }, "requested", 3);
    // Decided again later, it keeps its place (the order is when it first asked).
    await ask({ kind: "device", deviceId: adasIpad.id }, "check_in", 4);

    const get = (url: string, token = f.tokens.read) =>
      f.app.inject({ url: `/api/v1/spaces/${spaceId}${url}`, headers: auth(token) });
    const page = await get(`/apps/${adamId}/waiting`);
    expect(page.statusCode).toBe(200);
    expect(page.json()).toMatchObject({ total: 3, page: 1 });
    expect(page.json().items).toEqual([
      expect.objectContaining({
        position: 1,
        deviceId: adasIpad.id,
        serialNumber: `ADA-${f.ids.suffix}`,
        deviceUserName: "Ada Lovelace",
        why: "mandatory",
        reason: "no_license",
        waitingSince: at(1).toISOString(),
        decidedAt: at(4).toISOString(),
      }),
      expect.objectContaining({ position: 2, deviceId: second.id, why: "check_in", reason: "no_license" }),
      expect.objectContaining({
        position: 3,
        userId: ada.id,
        userName: "Ada Lovelace",
        reason: "not_enrolled",
      }),
    ]);
    // A search keeps each request's place in the whole queue.
    const second_ = (await get(`/apps/${adamId}/waiting?q=second`)).json();
    expect(second_.items.map((w: { position: number }) => w.position)).toEqual([2]);
    const ada_ = (await get(`/apps/${adamId}/waiting?q=lovelace&pageSize=1&page=2`)).json();
    expect(ada_).toMatchObject({ total: 2, page: 2, items: [{ position: 3 }] });

    const apps = (await get(`/apps?q=Keynote`)).json();
    expect(apps.items).toEqual([expect.objectContaining({ adamId, used: 1, available: 0, waiting: 3 })]);
    const byWaiting = (await get(`/apps?sort=waiting&order=desc`)).json();
    expect(byWaiting.items[0].adamId).toBe(adamId);

    // Explain tells a waiting subject where it stands; a granted one is in no queue.
    const explained = (await get(`/explain?app=${adamId}&device=${second.id}&why=check_in`)).json();
    expect(explained.decision.outcome).toBe("wait");
    expect(explained.queue).toEqual({ position: 2, of: 3, waitingSince: at(2).toISOString() });
    const granted = (await get(`/explain?app=${adamId}&device=${first.id}&why=mandatory`)).json();
    expect(granted.decision.outcome).toBe("keep");
    expect(granted.queue).toBeUndefined();

    const unknown = await get(`/apps/999999999/waiting`);
    expect(unknown.statusCode).toBe(404);
    expect(unknown.headers["content-type"]).toMatch(/problem\+json/);
    expect((await get(`/apps/${adamId}/waiting?pageSize=0`)).statusCode).toBe(400);
    // Another space's administrator is not told the space exists (PM1).
    expect((await get(`/apps/${adamId}/waiting`, f.tokens.other)).statusCode).toBe(404);
  });
});

describeEachDatabase("explain without a reason: the subject's situation", shared, (database) => {
  it("DB2, UB3, LT4: without why, a waiting device's explain answers its wait with its place, from the request it waits with; a holder its keep; others the default; an explicit why still wins; the device page's list says where it waits", async () => {
    const { db, keys } = database().store;
    const f = await buildFixture(database().store);
    const spaceId = f.ids.spaceA;
    const adamId = "777000222";
    await setCatalogApp(db, { spaceId, adamId, name: "Numbers", installOnDevice: true }, NOW);
    await accountWithSeats(db, keys, { spaceId, adamId, total: 1 });
    const device = (serialNumber: string) =>
      createDevice(db, { spaceId, serialNumber, platform: "iOS", supervised: true });
    const holder = await device(`HOLDER-${f.ids.suffix}`);
    const first = await device(`FIRST-${f.ids.suffix}`);
    const second = await device(`SECOND-${f.ids.suffix}`);
    const idle = await device(`IDLE-${f.ids.suffix}`);
    const ask = (deviceId: string, why: LicenseRequest["why"], minutes: number) =>
      requestLicenses(db, {
        spaceId,
        adamId,
        requests: [{ spaceId, adamId, subject: { kind: "device", deviceId }, why }],
        actor: { kind: "mdm" },
        now: at(minutes),
      });
    expect((await ask(holder.id, "check_in", 0))[0]?.decision.outcome).toBe("grant");
    await ask(first.id, "mandatory", 1);
    expect((await ask(second.id, "check_in", 2))[0]?.decision.outcome).toBe("wait");

    const get = (url: string) =>
      f.app.inject({ url: `/api/v1/spaces/${spaceId}${url}`, headers: auth(f.tokens.read) });
    const explain = async (deviceId: string, why?: string) => {
      const r = await get(`/explain?app=${adamId}&device=${deviceId}${why ? `&why=${why}` : ""}`);
      expect(r.statusCode).toBe(200);
      return r.json();
    };
    // Asked together (one read of the app), with and without a reason: each answer its own.
    const [waits, asked, kept, idle_] = await Promise.all([
      explain(second.id),
      explain(second.id, "requested"),
      explain(holder.id),
      explain(idle.id),
    ]);
    // The reviewer's case: the wait it is in, number 2 of 2, and the reason it waits with.
    expect(waits).toMatchObject({ outcome: "wait", why: "check_in", whyFrom: "queue" });
    expect(waits.decision.outcome).toBe("wait");
    expect(waits.queue).toEqual({ position: 2, of: 2, waitingSince: at(2).toISOString() });
    // An explicit why still wins: "the user requests it" of a device with no user is not its wait.
    expect(asked).toMatchObject({ why: "requested", whyFrom: "asked" });
    expect(asked.decision.outcome).not.toBe("wait");
    expect(asked.queue).toBeUndefined();
    expect(await explain(second.id, "check_in")).toMatchObject({
      outcome: "wait",
      why: "check_in",
      whyFrom: "asked",
      queue: { position: 2, of: 2 },
    });
    // LT4: a holder keeps its license, named with the reason it was granted for.
    expect(kept).toMatchObject({ outcome: "keep", why: "check_in", whyFrom: "license" });
    expect(kept.queue).toBeUndefined();
    // Neither waiting nor holding: the default, said so.
    expect(idle_).toMatchObject({ why: "requested", whyFrom: "default" });
    // The first in the queue, mandatory: its own reason and place.
    expect(await explain(first.id)).toMatchObject({
      outcome: "wait",
      why: "mandatory",
      whyFrom: "queue",
      queue: { position: 1, of: 2, waitingSince: at(1).toISOString() },
    });
    expect((await get(`/explain?app=${adamId}&device=${second.id}&why=later`)).statusCode).toBe(400);

    // The device page's list: the apps it waits for, its place in each queue.
    const list = await get(`/devices/${second.id}/waiting`);
    expect(list.statusCode).toBe(200);
    expect(list.json()).toEqual({
      items: [
        {
          adamId,
          name: "Numbers",
          position: 2,
          of: 2,
          why: "check_in",
          reason: "no_license",
          ruleIds: expect.arrayContaining(["DB2"]),
          waitingSince: at(2).toISOString(),
        },
      ],
    });
    expect((await get(`/devices/${holder.id}/waiting`)).json()).toEqual({ items: [] });
    expect((await get(`/devices/no-such-device/waiting`)).statusCode).toBe(404);

    // The answer's fields are documented.
    const doc = (await f.app.inject({ url: "/openapi.json" })).json();
    const explanation = doc.components.schemas.Explanation;
    expect(Object.keys(explanation.properties)).toEqual(expect.arrayContaining(["why", "whyFrom"]));
    expect(explanation.properties.whyFrom.enum).toEqual(["asked", "queue", "license", "default"]);
  });
});
