import { expect, it } from "vitest";
import { adminPrincipal, issueApiToken } from "../../src/auth/auth.service.js";
import { findAdminForLogin } from "../../src/store/auth.repo.js";
import { markAssigned } from "../../src/store/index.js";
import { describeEachDatabase } from "../store/databases.js";
import { auth, buildFixture, type Fixture } from "./harness.js";

/**
 * The README's "Quick start for an MDM" (For MDM vendors), call by call, with the bodies it
 * shows, with a token of role mdm: if one stops working as written, this fails. Apple's confirmation of the
 * license, which the worker reads in production, is written here as Apple's answer would be.
 */
describeEachDatabase("API: the README's quick start for an MDM", (db) => {
  let f: Fixture;

  it("DB2, LT2: devices, a mandatory app, a check-in, the install once Apple confirmed, its acknowledgement", async () => {
    f = await buildFixture(db().store);
    const store = db().store.db;
    // The fixture's space A is the default space: the quick start names it `default`.
    await store.updateTable("spaces").set({ is_default: false }).execute();
    await store.updateTable("spaces").set({ is_default: true }).where("id", "=", f.ids.spaceA).execute();
    // 1. A token of role mdm, for an administrator who manages the space, as the CLI makes it.
    const alice = await findAdminForLogin(store, `writer-${f.ids.suffix}`);
    if (!alice) throw new Error("no administrator managing space A");
    const { token: TOKEN } = await issueApiToken(store, await adminPrincipal(store, alice, "token"), {
      name: "Our MDM",
      grants: [{ spaceId: f.ids.spaceA, role: "mdm" }],
      now: new Date(),
    });
    const API = "/api/v1/spaces/default";
    const call = (method: "GET" | "POST" | "PUT", path: string, body?: object) =>
      f.app.inject({
        method,
        url: `${API}${path}`,
        headers: auth(TOKEN),
        ...(body ? { payload: body } : {}),
      });
    const serial = `QS${f.ids.suffix}`.toUpperCase();
    // 6 (started once, at the integration's set-up): the change feed from now on.
    const feedStart = (await call("GET", "/activity/feed?after=now")).json().next as string;

    // 2. The devices (again any time: ?existing=keep answers those already there).
    const devices = { devices: [{ serialNumber: serial, platform: "iOS", name: "Classroom iPad 12" }] };
    expect((await call("POST", "/devices/bulk?existing=keep", devices)).statusCode).toBe(201);
    expect((await call("POST", "/devices/bulk?existing=keep", devices)).json()).toMatchObject({
      existing: 1,
    });
    // 3. An app every device must have.
    expect((await call("PUT", `/catalog/${f.ids.adamId}`, { installOnDevice: true })).json()).toMatchObject({
      installOnDevice: true,
    });
    // 4. A check-in: a decision per mandatory app, with its rule ids.
    const checkIn = (
      await call("POST", "/mdm/check-in", {
        serialNumber: serial,
        name: "Classroom iPad 12",
        model: "iPad13,18",
        osVersion: "17.5.1",
      })
    ).json();
    expect((await call("GET", `/devices/serial:${serial}`)).json()).toMatchObject({
      name: "Classroom iPad 12",
      model: "iPad13,18",
      osVersion: "17.5.1",
    });
    expect(checkIn.decisions).toEqual([
      expect.objectContaining({
        adamId: f.ids.adamId,
        outcome: "grant",
        installQueued: true,
        because: expect.any(Array),
      }),
    ]);
    // The install waits for Apple's confirmation of the license (LT2): nothing to send yet.
    const commands = async () =>
      (await call("GET", `/mdm/commands?ready=true&device=${checkIn.deviceId}`)).json();
    expect((await commands()).items).toEqual([]);
    await markAssigned(store, {
      spaceId: f.ids.spaceA,
      licenseIds: [checkIn.decisions[0].licenseId],
      actor: { kind: "system" },
      now: new Date(),
    });
    // 5. What to send the device, then its acknowledgement.
    const ready = await commands();
    expect(ready.items).toEqual([
      expect.objectContaining({ kind: "install", adamId: f.ids.adamId, serialNumber: serial }),
    ]);
    const acked = (await call("POST", "/mdm/commands/ack", { seqs: [ready.items[0].seq] })).json();
    expect(acked.seqs).toEqual([ready.items[0].seq]);
    expect((await commands()).items).toEqual([]);
    // 6. Every change since, in commit order: the device's license granted, then assigned (read
    // again while another test file's transaction on the server holds the feed back).
    const licenseActions = async () => {
      const feed = (await call("GET", `/activity/feed?after=${feedStart}&about=license,device`)).json();
      return feed.items
        .filter((l: { licenseId?: string }) => l.licenseId === checkIn.decisions[0].licenseId)
        .map((l: { action: string }) => l.action) as string[];
    };
    let actions = await licenseActions();
    for (let tries = 0; actions.length < 2 && tries < 2400; tries++) {
      await new Promise((done) => setTimeout(done, 25));
      actions = await licenseActions();
    }
    expect(actions).toEqual(["license.granted", "license.assigned"]);
  });
});
