import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import {
  applyEvent,
  checkIn,
  createWebhookSink,
  deliverMdmCommands,
  type MdmCommandMessage,
  type MdmCommandSink,
  moveDevice,
  requestLicense,
  revokeAllForApp,
  verifyWebhookSignature,
} from "../../src/mdm/index.js";
import {
  createDevices,
  createSpace,
  createUser,
  getDevice,
  getLicense,
  listActivity,
  listOutbox,
  listWaitingRequests,
  markAssigned,
  replaceInstalledApps,
  setCatalogApp,
} from "../../src/store/index.js";
import { listMdmCommands } from "../../src/store/mdm-command.repo.js";
import { describeEachDatabase } from "../store/databases.js";
import { accountWithSeats, devices, NOW, SYSTEM, spaceWithApp } from "../store/fixtures.js";

const ADMIN = { kind: "admin", id: "admin-1" } as const;
const APPLE = { kind: "apple" } as const;
const GRACE_END = new Date(NOW.getTime() + 30 * 86_400_000);

function collector(): MdmCommandSink & { received: MdmCommandMessage[] } {
  const received: MdmCommandMessage[] = [];
  return { received, deliver: async (commands) => void received.push(...commands) };
}

describeEachDatabase("MDM operations", (database) => {
  const deps = () => ({ db: database().store.db, now: () => NOW });

  it("LT2: a granted device license queues the install, sent only once Apple confirmed the license", async () => {
    const { db, keys } = database().store;
    const { space, adamId } = await spaceWithApp(db, "100000001");
    await accountWithSeats(db, keys, { spaceId: space.id, adamId, total: 5 });
    const [device] = await devices(db, space.id, 1);
    if (!device) throw new Error("no device");
    const result = await requestLicense(deps(), {
      spaceId: space.id,
      adamId,
      subject: { kind: "device", deviceId: device.id },
      why: "mandatory",
      actor: ADMIN,
    });
    expect(result).toMatchObject({ decision: { outcome: "grant", type: "device" }, installQueued: true });
    const sink = collector();
    expect(await deliverMdmCommands(deps(), sink)).toBe(0); // Apple has not confirmed yet
    await markAssigned(db, {
      spaceId: space.id,
      licenseIds: [result.licenseId ?? ""],
      actor: SYSTEM,
      now: NOW,
    });
    expect(await deliverMdmCommands(deps(), sink)).toBe(1);
    expect(sink.received).toEqual([
      expect.objectContaining({
        kind: "install",
        serialNumber: device.serialNumber,
        adamId,
        licenseId: result.licenseId,
      }),
    ]);
    expect(await deliverMdmCommands(deps(), sink)).toBe(0); // delivered once
  });

  it("RV1 RV3: retiring an iOS device releases its device license with 30 days of grace and uninstalls nothing", async () => {
    const { db, keys } = database().store;
    const { space, adamId } = await spaceWithApp(db, "100000002");
    await accountWithSeats(db, keys, { spaceId: space.id, adamId, total: 5 });
    const [device] = await devices(db, space.id, 1);
    if (!device) throw new Error("no device");
    await replaceInstalledApps(db, space.id, device.id, [{ bundleId: "com.example.app", adamId }], NOW);
    const granted = await requestLicense(deps(), {
      spaceId: space.id,
      adamId,
      subject: { kind: "device", deviceId: device.id },
      why: "mandatory",
      actor: ADMIN,
    });
    // Apple holds it: a license that never reached Apple is released at once, with no grace.
    await markAssigned(db, {
      spaceId: space.id,
      licenseIds: [granted.licenseId ?? ""],
      actor: APPLE,
      now: NOW,
    });
    const consequences = await applyEvent(
      deps(),
      { kind: "device_retired", spaceId: space.id, deviceId: device.id },
      ADMIN,
    );
    expect(consequences.commands).toEqual([]);
    const license = await getLicense(db, space.id, granted.licenseId ?? "");
    expect(license).toMatchObject({ state: "pending_release", graceUntil: GRACE_END });
    expect((await getDevice(db, space.id, device.id)).status).toBe("retired");
    expect(await listMdmCommands(db, space.id, { state: "pending", deviceId: device.id })).toEqual([]);
  });

  it("PB1 PB2: removing the app from a user's distribution uninstalls it on iOS, not on macOS, and revokes both", async () => {
    const { db, keys } = database().store;
    const { space, adamId } = await spaceWithApp(db, "100000003");
    await accountWithSeats(db, keys, { spaceId: space.id, adamId, total: 5 });
    const user = await createUser(db, { spaceId: space.id, name: "Ada", appleStatus: "Associated" });
    const [iphone, mac] = await createDevices(db, [
      { spaceId: space.id, serialNumber: "PB1IPHONE", platform: "iOS", userId: user.id, supervised: true },
      { spaceId: space.id, serialNumber: "PB1MAC", platform: "macOS", userId: user.id },
    ]);
    if (!iphone || !mac) throw new Error("no devices");
    for (const d of [iphone, mac]) {
      await replaceInstalledApps(db, space.id, d.id, [{ bundleId: "com.example.app", adamId }], NOW);
      await requestLicense(deps(), {
        spaceId: space.id,
        adamId,
        subject: { kind: "device", deviceId: d.id },
        why: "mandatory",
        actor: ADMIN,
      });
    }
    const c = await applyEvent(
      deps(),
      { kind: "app_removed_from_distribution", spaceId: space.id, adamId, userId: user.id },
      ADMIN,
    );
    expect(c.releases).toHaveLength(2);
    expect(c.commands.map((x) => x.deviceId)).toEqual([iphone.id]);
    const pending = await listMdmCommands(db, space.id, { state: "pending" });
    expect(pending.filter((p) => p.kind === "remove").map((p) => p.serialNumber)).toEqual(["PB1IPHONE"]);
  });

  it("PB1: the same event sent twice at once (an MDM's retry racing the original) is applied once", async () => {
    const { db, keys } = database().store;
    const { space, adamId } = await spaceWithApp(db, "100000006");
    await accountWithSeats(db, keys, { spaceId: space.id, adamId, total: 5 });
    const user = await createUser(db, { spaceId: space.id, name: "Ada", appleStatus: "Associated" });
    const [iphone] = await createDevices(db, [
      { spaceId: space.id, serialNumber: "PB1TWICE", platform: "iOS", userId: user.id, supervised: true },
    ]);
    if (!iphone) throw new Error("no device");
    await replaceInstalledApps(db, space.id, iphone.id, [{ bundleId: "com.example.app", adamId }], NOW);
    await requestLicense(deps(), {
      spaceId: space.id,
      adamId,
      subject: { kind: "device", deviceId: iphone.id },
      why: "mandatory",
      actor: ADMIN,
    });
    const event = {
      kind: "app_removed_from_distribution",
      spaceId: space.id,
      adamId,
      userId: user.id,
    } as const;
    const [a, b] = await Promise.all([applyEvent(deps(), event, ADMIN), applyEvent(deps(), event, ADMIN)]);
    expect([a.releases.length, b.releases.length].sort()).toEqual([0, 1]);
    const removes = (await listMdmCommands(db, space.id, { deviceId: iphone.id })).filter(
      (c) => c.kind === "remove",
    );
    expect(removes.map((c) => c.state)).toEqual(["pending"]);
  });

  it("MA4: revoke all licenses of an app releases every license of it in the space", async () => {
    const { db, keys } = database().store;
    const { space, adamId } = await spaceWithApp(db, "100000004");
    await accountWithSeats(db, keys, { spaceId: space.id, adamId, total: 2 });
    await accountWithSeats(db, keys, { spaceId: space.id, adamId, total: 2 });
    const list = await devices(db, space.id, 4);
    for (const d of list) {
      await requestLicense(deps(), {
        spaceId: space.id,
        adamId,
        subject: { kind: "device", deviceId: d.id },
        why: "mandatory",
        actor: ADMIN,
      });
    }
    const c = await revokeAllForApp(deps(), { spaceId: space.id, adamId, actor: ADMIN });
    expect(c.releases).toHaveLength(4);
    expect(new Set(c.releases.flatMap((r) => r.because))).toContain("MA4");
  });

  it("RV5: deleting a user releases their user-based licenses and drops their waiting requests", async () => {
    const { db, keys } = database().store;
    const { space, adamId } = await spaceWithApp(db, "100000005");
    await accountWithSeats(db, keys, { spaceId: space.id, adamId, total: 1 });
    const ada = await createUser(db, { spaceId: space.id, name: "Ada", appleStatus: "Associated" });
    const bob = await createUser(db, { spaceId: space.id, name: "Bob", appleStatus: "Associated" });
    const got = await requestLicense(deps(), {
      spaceId: space.id,
      adamId,
      subject: { kind: "user", userId: ada.id },
      why: "requested",
      actor: ADMIN,
    });
    expect(got.decision).toMatchObject({ outcome: "grant", type: "user" });
    const c = await applyEvent(deps(), { kind: "user_deleted", spaceId: space.id, userId: ada.id }, ADMIN);
    expect(c.releases.map((r) => r.licenseId)).toEqual([got.licenseId]);
    expect(c.releases[0]?.because).toContain("RV5");
    expect(bob.id).not.toBe(ada.id);
  });

  it("DB2: a check-in decides every mandatory app: installed when a license is free, waiting in order otherwise", async () => {
    const { db, keys } = database().store;
    const space = await createSpace(db, { name: "check-in" });
    await setCatalogApp(db, { spaceId: space.id, adamId: "100000006", installOnDevice: true }, NOW);
    await accountWithSeats(db, keys, { spaceId: space.id, adamId: "100000006", total: 1 });
    const [first, second] = await devices(db, space.id, 2);
    if (!first || !second) throw new Error("no devices");
    const a = await checkIn(deps(), { spaceId: space.id, serialNumber: first.serialNumber, installed: [] });
    expect(a.decisions).toEqual([
      expect.objectContaining({
        adamId: "100000006",
        decision: expect.objectContaining({ outcome: "grant" }),
        installQueued: true,
      }),
    ]);
    const b = await checkIn(deps(), { spaceId: space.id, serialNumber: second.serialNumber, installed: [] });
    expect(b.decisions[0]?.decision).toMatchObject({
      outcome: "wait",
      reason: "no_license",
      because: ["DB2"],
    });
    expect((await listWaitingRequests(db, space.id, "100000006")).map((w) => w.subject)).toEqual([
      { kind: "device", deviceId: second.id },
    ]);
    // A second check-in of the licensed device keeps its license and queues no new install.
    const again = await checkIn(deps(), {
      spaceId: space.id,
      serialNumber: first.serialNumber,
      installed: [{ bundleId: "x", adamId: "100000006" }],
    });
    expect(again.decisions[0]).toMatchObject({ decision: { outcome: "keep" }, installQueued: false });
  });

  it("TR2: moving a licensed device assigns from the new space first, then releases the old license", async () => {
    const { db, keys } = database().store;
    const from = await spaceWithApp(db, "100000007");
    const to = await spaceWithApp(db, "100000007");
    await accountWithSeats(db, keys, { spaceId: from.space.id, adamId: from.adamId, total: 1 });
    await accountWithSeats(db, keys, { spaceId: to.space.id, adamId: to.adamId, total: 1 });
    const [device] = await devices(db, from.space.id, 1);
    if (!device) throw new Error("no device");
    await replaceInstalledApps(
      db,
      from.space.id,
      device.id,
      [{ bundleId: "com.example.app", adamId: from.adamId }],
      NOW,
    );
    const old = await requestLicense(deps(), {
      spaceId: from.space.id,
      adamId: from.adamId,
      subject: { kind: "device", deviceId: device.id },
      why: "mandatory",
      actor: ADMIN,
    });
    await markAssigned(db, {
      spaceId: from.space.id,
      licenseIds: [old.licenseId ?? ""],
      actor: APPLE,
      now: NOW,
    });
    const steps = await moveDevice(deps(), {
      fromSpaceId: from.space.id,
      deviceId: device.id,
      toSpaceId: to.space.id,
      actor: ADMIN,
    });
    expect(steps.map((s) => s.kind)).toEqual(["assign", "release"]);
    expect((await getLicense(db, from.space.id, old.licenseId ?? "")).state).toBe("pending_release");
    expect((await getDevice(db, to.space.id, device.id)).status).toBe("active");
    expect((await getDevice(db, from.space.id, device.id)).status).toBe("retired");
  });
});

describe("MDM webhook", () => {
  it("signs each delivery so the MDM can verify it, sends the URL's credentials as HTTP Basic, and reports a refusal as not retryable", async () => {
    const bodies: Array<{ header: string; body: string; authorization?: string }> = [];
    let status = 200;
    const server = createServer((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        bodies.push({
          header: String(req.headers["x-orchard-signature"]),
          body,
          ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
        });
        res.statusCode = status;
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const url = `http://orchard:hunter2@127.0.0.1:${(server.address() as AddressInfo).port}/mdm`;
    const sink = createWebhookSink({ url, secret: "s3cret", now: () => NOW });
    const command: MdmCommandMessage = {
      id: "c1",
      seq: 1,
      spaceId: "s",
      kind: "remove",
      deviceId: "d",
      serialNumber: "SN1",
      adamId: "1",
      because: ["PB1"],
      createdAt: NOW.toISOString(),
      platform: "iOS",
    };
    await sink.deliver([command]);
    const [sent] = bodies;
    expect(
      sent && verifyWebhookSignature({ header: sent.header, body: sent.body, secret: "s3cret", now: NOW }),
    ).toBe(true);
    expect(
      sent &&
        verifyWebhookSignature({ header: sent.header, body: `${sent.body} `, secret: "s3cret", now: NOW }),
    ).toBe(false);
    expect(JSON.parse(sent?.body ?? "{}")).toEqual({ commands: [command] });
    expect(sent?.authorization).toBe(`Basic ${Buffer.from("orchard:hunter2").toString("base64")}`);
    status = 400;
    await expect(sink.deliver([command])).rejects.toMatchObject({ retryable: false });
    status = 503;
    await expect(sink.deliver([command])).rejects.toMatchObject({ retryable: true });
    server.close();
  });
});

describe("webhook URLs", () => {
  it("a password that is not percent-encoding goes as typed; a redirect is a refusal, not followed", async () => {
    const hits: Array<{ path?: string; authorization?: string }> = [];
    const server = createServer((req, res) => {
      req.resume();
      req.on("end", () => {
        hits.push({
          ...(req.url ? { path: req.url } : {}),
          ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
        });
        if (req.url === "/moved") res.writeHead(302, { location: "/elsewhere" }).end();
        else res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const command: MdmCommandMessage = {
        id: "c2",
        seq: 2,
        spaceId: "s",
        kind: "install",
        deviceId: "d",
        serialNumber: "SN2",
        adamId: "1",
        because: ["DB2"],
        createdAt: NOW.toISOString(),
        platform: "iOS",
      };
      const withPassword = base.replace("http://", "http://mdm:50%off@");
      await createWebhookSink({ url: `${withPassword}/hook`, secret: "s", now: () => NOW }).deliver([
        command,
      ]);
      expect(hits[0]?.authorization).toBe(`Basic ${Buffer.from("mdm:50%off").toString("base64")}`);
      const moved = createWebhookSink({ url: `${base}/moved`, secret: "s", now: () => NOW });
      await expect(moved.deliver([command])).rejects.toMatchObject({ retryable: false });
      expect(hits.map((h) => h.path)).toEqual(["/hook", "/moved"]);
    } finally {
      server.close();
    }
  });
});

describeEachDatabase("MDM operations: installs and check-ins", (database) => {
  const deps = () => ({ db: database().store.db, now: () => NOW });

  it("LT2: a license kept while Apple has not confirmed it yet gets no install before the confirmation", async () => {
    const { db, keys } = database().store;
    const { space, adamId } = await spaceWithApp(db, "100000011");
    await accountWithSeats(db, keys, { spaceId: space.id, adamId, total: 5 });
    const [device] = await devices(db, space.id, 1);
    if (!device) throw new Error("no device");
    const subject = { kind: "device" as const, deviceId: device.id };
    const first = await requestLicense(deps(), {
      spaceId: space.id,
      adamId,
      subject,
      why: "mandatory",
      actor: ADMIN,
    });
    const again = await requestLicense(deps(), {
      spaceId: space.id,
      adamId,
      subject,
      why: "check_in",
      actor: ADMIN,
    });
    expect(again.decision).toMatchObject({ outcome: "keep", licenseId: first.licenseId });
    const sink = collector();
    expect(await deliverMdmCommands(deps(), sink)).toBe(0);
    const pending = await listMdmCommands(db, space.id, { deviceId: device.id, state: "pending" });
    expect(pending.map((c) => c.licenseId)).toEqual([first.licenseId]);
  });

  it("DB2: a device marked inactive that checks in again is active and decided again", async () => {
    const { db, keys } = database().store;
    const space = await createSpace(db, { name: "inactive" });
    await setCatalogApp(db, { spaceId: space.id, adamId: "100000012", installOnDevice: true }, NOW);
    await accountWithSeats(db, keys, { spaceId: space.id, adamId: "100000012", total: 2 });
    const [device] = await devices(db, space.id, 1);
    if (!device) throw new Error("no device");
    await applyEvent(deps(), { kind: "device_inactive", spaceId: space.id, deviceId: device.id }, ADMIN);
    const back = await checkIn(deps(), {
      spaceId: space.id,
      serialNumber: device.serialNumber,
      installed: [],
    });
    expect((await getDevice(db, space.id, device.id)).status).toBe("active");
    expect(back.decisions[0]?.decision.outcome).toBe("grant");
  });

  it("RV1: a device made inactive, then unenrolled (MDM profile removed), keeps both lines; the removal sent again logs nothing; a check-in brings it back", async () => {
    const { db } = database().store;
    const space = await createSpace(db, { name: "unenrolled" });
    const [device] = await devices(db, space.id, 1);
    if (!device) throw new Error("no device");
    const event = (kind: "device_inactive" | "mdm_profile_removed") =>
      applyEvent(deps(), { kind, spaceId: space.id, deviceId: device.id }, ADMIN);
    // The space holds this device alone: its lines are the space's.
    const lines = async () =>
      (await listActivity(db, space.id)).flatMap((a) => (a.deviceId === device.id ? [a.action] : []));
    await event("device_inactive");
    await event("mdm_profile_removed");
    expect((await getDevice(db, space.id, device.id)).status).toBe("unenrolled");
    await event("mdm_profile_removed");
    expect(await lines()).toEqual(["mdm.mdm_profile_removed", "mdm.device_inactive"]);
    await checkIn(deps(), { spaceId: space.id, serialNumber: device.serialNumber, installed: [] });
    expect((await getDevice(db, space.id, device.id)).status).toBe("active");
  });

  it("TR1: the owner's user license stays while another of their devices is active in the old space; moving their last one releases it", async () => {
    const { db, keys } = database().store;
    const from = await spaceWithApp(db, "100000014");
    const to = await spaceWithApp(db, "100000014");
    await accountWithSeats(db, keys, { spaceId: from.space.id, adamId: from.adamId, total: 5 });
    await accountWithSeats(db, keys, { spaceId: to.space.id, adamId: to.adamId, total: 5 });
    const owner = await createUser(db, { spaceId: from.space.id, name: "Ada", appleStatus: "Associated" });
    const [first, second, third] = await createDevices(
      db,
      ["TR1OWNER1", "TR1OWNER2", "TR1OWNER3"].map((serialNumber) => ({
        spaceId: from.space.id,
        serialNumber,
        platform: "iOS" as const,
        userId: owner.id,
        supervised: true,
      })),
    );
    if (!first || !second || !third) throw new Error("no devices");
    for (const d of [first, second, third])
      await replaceInstalledApps(
        db,
        from.space.id,
        d.id,
        [{ bundleId: "com.example.app", adamId: from.adamId }],
        NOW,
      );
    const held = await requestLicense(deps(), {
      spaceId: from.space.id,
      adamId: from.adamId,
      subject: { kind: "user", userId: owner.id },
      why: "requested",
      actor: ADMIN,
    });
    expect(held.decision).toMatchObject({ outcome: "grant", type: "user" });
    const licenseId = held.licenseId ?? "";
    await markAssigned(db, { spaceId: from.space.id, licenseIds: [licenseId], actor: APPLE, now: NOW });
    const move = (deviceId: string) =>
      moveDevice(deps(), { fromSpaceId: from.space.id, deviceId, toSpaceId: to.space.id, actor: ADMIN });

    // Two other iPhones still active in the old space: the owner keeps the license (UB1).
    const firstMove = await move(first.id);
    expect(firstMove.filter((s) => s.kind === "release")).toEqual([]);
    expect(await getLicense(db, from.space.id, licenseId)).toMatchObject({ state: "assigned" });

    // The second iPhone retired (its user's license survives it, RV5), the third is the last one left.
    await applyEvent(deps(), { kind: "device_retired", spaceId: from.space.id, deviceId: second.id }, ADMIN);
    expect(await getLicense(db, from.space.id, licenseId)).toMatchObject({ state: "assigned" });
    const lastMove = await move(third.id);
    expect(lastMove.filter((s) => s.kind === "release")).toEqual([
      expect.objectContaining({ kind: "release", adamId: from.adamId, licenseId }),
    ]);
    expect((await getLicense(db, from.space.id, licenseId)).state).toBe("pending_release");
  });

  it("TR1: a move releases the device licenses of apps not installed yet, is done once when sent twice, and the device can move back", async () => {
    const { db, keys } = database().store;
    const from = await spaceWithApp(db, "100000013");
    const to = await spaceWithApp(db, "100000013");
    await accountWithSeats(db, keys, { spaceId: from.space.id, adamId: from.adamId, total: 2 });
    await accountWithSeats(db, keys, { spaceId: to.space.id, adamId: to.adamId, total: 2 });
    const [device] = await devices(db, from.space.id, 1);
    if (!device) throw new Error("no device");
    const pending = await requestLicense(deps(), {
      spaceId: from.space.id,
      adamId: from.adamId,
      subject: { kind: "device", deviceId: device.id },
      why: "mandatory",
      actor: ADMIN,
    });
    const there = await moveDevice(deps(), {
      fromSpaceId: from.space.id,
      deviceId: device.id,
      toSpaceId: to.space.id,
      actor: ADMIN,
    });
    expect(there).toEqual([
      { kind: "release", adamId: from.adamId, licenseId: pending.licenseId, because: ["TR1"] },
    ]);
    // Its assignment never left Orchard: released at once, nothing sent to Apple (RV2).
    expect((await getLicense(db, from.space.id, pending.licenseId ?? "")).state).toBe("released");
    expect(await listOutbox(db, { spaceId: from.space.id, kind: "disassociate" })).toEqual([]);
    // The same move sent again (a retry after a timeout) has nothing more to do; the device
    // left this space, so a move elsewhere from here is refused.
    expect(
      await moveDevice(deps(), {
        fromSpaceId: from.space.id,
        deviceId: device.id,
        toSpaceId: to.space.id,
        actor: ADMIN,
      }),
    ).toEqual([]);
    const elsewhere = await createSpace(db, { name: "elsewhere" });
    await expect(
      moveDevice(deps(), {
        fromSpaceId: from.space.id,
        deviceId: device.id,
        toSpaceId: elsewhere.id,
        actor: ADMIN,
      }),
    ).rejects.toMatchObject({ code: "invalid_request" });
    await moveDevice(deps(), {
      fromSpaceId: to.space.id,
      deviceId: device.id,
      toSpaceId: from.space.id,
      actor: ADMIN,
    });
    expect((await getDevice(db, from.space.id, device.id)).status).toBe("active");
    expect((await getDevice(db, to.space.id, device.id)).status).toBe("retired");
  });
});
