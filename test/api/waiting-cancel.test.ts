import { expect, it } from "vitest";
import type { LicenseRequest } from "../../src/licensing/index.js";
import { createDevice, createUser, requestLicenses, setCatalogApp } from "../../src/store/index.js";
import { describeEachDatabase } from "../store/databases.js";
import { accountWithSeats } from "../store/fixtures.js";
import { auth, buildFixture, NOW } from "./harness.js";

const at = (minutes: number) => new Date(NOW.getTime() + minutes * 60_000);

describeEachDatabase("cancelling a waiting request through the API", (database) => {
  it("DB2: DELETE …/waiting/:subject takes the request out of the queue (by serial:, user:, device: or a bare id), logged as queue.cancelled with who cancelled it; the others keep their order; a subject that does not wait is a 404 naming it, so a second cancel is one too", async () => {
    const { db, keys } = database().store;
    const f = await buildFixture(database().store);
    const spaceId = f.ids.spaceA;
    const adamId = "777000333";
    await setCatalogApp(db, { spaceId, adamId, name: "Keynote", installOnDevice: true }, NOW);
    await accountWithSeats(db, keys, { spaceId, adamId, total: 0 });
    const device = (serialNumber: string, id?: string) =>
      createDevice(db, { spaceId, serialNumber, platform: "iOS", supervised: true, ...(id ? { id } : {}) });
    const cart = await device(`CART-${f.ids.suffix}`);
    const lab = await device(`LAB-${f.ids.suffix}`);
    const ada = await createUser(db, { spaceId, name: "Ada Lovelace" }); // not enrolled: she waits (UB2)
    // A user and a device that share an id (ids come from the MDM): a bare id names neither alone.
    const twin = `twin-${f.ids.suffix}`;
    const twinUser = await createUser(db, { spaceId, id: twin, name: "Twin" });
    const twinDevice = await device(`TWIN-${f.ids.suffix}`, twin);
    const ask = (subject: LicenseRequest["subject"], why: LicenseRequest["why"], minutes: number) =>
      requestLicenses(db, {
        spaceId,
        adamId,
        requests: [{ spaceId, adamId, subject, why }],
        actor: { kind: "mdm" },
        now: at(minutes),
      });
    await ask({ kind: "device", deviceId: cart.id }, "mandatory", 1);
    await ask({ kind: "device", deviceId: lab.id }, "check_in", 2);
    await ask({ kind: "user", userId: ada.id }, "requested", 3);
    await ask({ kind: "user", userId: twinUser.id }, "requested", 4);
    await ask({ kind: "device", deviceId: twinDevice.id }, "mandatory", 5);

    const base = `/api/v1/spaces/${spaceId}/apps/${adamId}/waiting`;
    const cancel = (subject: string, token = f.tokens.write) =>
      f.app.inject({ method: "DELETE", url: `${base}/${encodeURIComponent(subject)}`, headers: auth(token) });
    const queue = async () =>
      (
        (await f.app.inject({ url: base, headers: auth(f.tokens.read) })).json() as {
          items: Array<{ position: number; userId?: string; deviceId?: string }>;
        }
      ).items.map((w) => `${w.position} ${w.userId ?? w.deviceId}`);
    expect(await queue()).toEqual([`1 ${cart.id}`, `2 ${lab.id}`, `3 ${ada.id}`, `4 ${twin}`, `5 ${twin}`]);

    // Read-only administrators see the queue, never change it; another space's is not told it exists.
    expect((await cancel(`serial:CART-${f.ids.suffix}`, f.tokens.read)).statusCode).toBe(403);
    expect((await cancel(`serial:CART-${f.ids.suffix}`, f.tokens.other)).statusCode).toBe(404);

    // By serial number, in any case (the device resolver's reading).
    const bySerial = await cancel(`SERIAL:cart-${f.ids.suffix}`);
    expect(bySerial.statusCode).toBe(204);
    expect(await queue()).toEqual([`1 ${lab.id}`, `2 ${ada.id}`, `3 ${twin}`, `4 ${twin}`]);
    const again = await cancel(`SERIAL:cart-${f.ids.suffix}`);
    expect(again.statusCode).toBe(404);
    expect(again.headers["content-type"]).toMatch(/problem\+json/);
    expect(again.json()).toMatchObject({
      code: "not_found",
      title: `SERIAL:cart-${f.ids.suffix} does not wait for app ${adamId}`,
    });

    expect((await cancel(`user:${ada.id}`)).statusCode).toBe(204);
    expect((await cancel(lab.id)).statusCode).toBe(204); // a bare id: the device that waits
    const ambiguous = await cancel(twin);
    expect(ambiguous.statusCode).toBe(400);
    expect(JSON.stringify(ambiguous.json())).toContain(`give user:${twin} or device:${twin}`);
    expect((await cancel(`device:${twin}`)).statusCode).toBe(204);
    expect(await queue()).toEqual([`1 ${twin}`]);
    expect((await cancel(`device:${twin}`)).statusCode).toBe(404);
    expect((await cancel(twin)).statusCode).toBe(204); // now only the user waits with that id
    expect(await queue()).toEqual([]);

    // Unknown serial number, unknown app: 404s naming them.
    const unknownSerial = await cancel("serial:NOPE0000");
    expect(unknownSerial.statusCode).toBe(404);
    expect(JSON.stringify(unknownSerial.json())).toContain("NOPE0000");
    const unknownApp = await f.app.inject({
      method: "DELETE",
      url: `/api/v1/spaces/${spaceId}/apps/999999999/waiting/user:${ada.id}`,
      headers: auth(f.tokens.write),
    });
    expect(unknownApp.statusCode).toBe(404);
    expect(JSON.stringify(unknownApp.json())).toContain("999999999");
    // A prefix of no kind (a typo of user:, device:, serial:) is a 400 saying which ones there are.
    const misspelt = await cancel(`usr:${ada.id}`);
    expect(misspelt.statusCode).toBe(400);
    expect(misspelt.json().detail).toMatch(
      /^usr: is no way to name a subject: give user:<userId>, device:<deviceId>, serial:/,
    );

    // Each cancel is one line: who cancelled, the subject, DB2; a refused one wrote nothing.
    const activity = await f.app.inject({
      url: `/api/v1/spaces/${spaceId}/activity?action=queue.cancelled&app=${adamId}&pageSize=50`,
      headers: auth(f.tokens.read),
    });
    const lines = activity.json().items as Array<Record<string, unknown>>;
    expect(lines).toHaveLength(5);
    expect(lines.map((l) => l.userId ?? l.deviceId).sort()).toEqual(
      [cart.id, lab.id, ada.id, twin, twin].sort(),
    );
    for (const l of lines)
      expect(l).toMatchObject({
        action: "queue.cancelled",
        actor: { kind: "api_token" },
        actorName: "writer",
        ruleIds: ["DB2"],
        messageKey: "queue.cancelled",
        message: "waiting request cancelled by an administrator: left the queue",
      });
  });
});
