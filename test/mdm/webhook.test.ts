import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { Secret } from "../../src/config.js";
import { ORCHARD_VERSION } from "../../src/main/version.js";
import { mdmWebhookTarget } from "../../src/mdm/delivery-loop.js";
import {
  deliverMdmCommands,
  type MdmCommandMessage,
  MdmDeliveryError,
  verifyWebhookSignature,
} from "../../src/mdm/index.js";
import { createWebhookSink, postToMdmWebhook } from "../../src/mdm/sinks.js";
import { updateDevice } from "../../src/store/directory.repo.js";
import {
  createUser,
  type Db,
  type DeviceRecord,
  insertLicenses,
  upsertAsset,
} from "../../src/store/index.js";
import {
  listMdmCommands,
  type NewMdmCommand,
  queueMdmCommands,
  settleMdmCommands,
} from "../../src/store/mdm-command.repo.js";
import { DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, signatureHeader } from "../../src/webhook.js";
import { describeEachDatabase } from "../store/databases.js";
import { accountWithSeats, bundleIdFound, devices, NOW, spaceWithApp } from "../store/fixtures.js";

const SECRET = "whsec-test";
const sign = (t: number, body: string) => createHmac("sha256", SECRET).update(`${t}.${body}`).digest("hex");

describe("MDM webhook signatures, as an MDM checks them", () => {
  const body = '{"commands":[]}';
  const t = Math.floor(NOW.getTime() / 1000);
  const check = (header: string, now = NOW) => verifyWebhookSignature({ header, body, secret: SECRET, now });

  it("a malformed signature is refused, never an exception (a v1 of other characters, no t, t twice)", () => {
    const good = sign(t, body);
    expect(check(`t=${t},v1=${good}`)).toBe(true);
    // As many characters as the hex digest, more bytes: comparing them must not throw.
    expect(check(`t=${t},v1=${"é".repeat(good.length)}`)).toBe(false);
    expect(check(`v1=${good}`)).toBe(false);
    expect(check(`t=${t},t=${t + 1},v1=${good}`)).toBe(false);
    expect(check(`t=1e9,v1=${good}`)).toBe(false);
    expect(check("")).toBe(false);
  });

  it("any of several v1 may match (a secret being replaced), and an old timestamp is a replay", () => {
    const good = sign(t, body);
    expect(check(`t=${t},v1=${good},v1=${"0".repeat(64)}`)).toBe(true);
    expect(check(`t=${t}, v1=${"0".repeat(64)}, v1=${good}`)).toBe(true);
    expect(check(`t=${t},v1=${good}`, new Date(NOW.getTime() + 301_000))).toBe(false);
  });

  it("while a secret is replaced, a delivery is signed by both: an MDM knowing either verifies it, one knowing neither does not", async () => {
    const NEW = "whsec-new-secret";
    const seen: Array<{ header: string; body: string }> = [];
    const target = mdmWebhookTarget({
      url: "https://mdm.example/hook",
      secret: new Secret(NEW),
      previousSecret: new Secret(SECRET),
    });
    if (!target) throw new Error("no target");
    await postToMdmWebhook(
      {
        ...target,
        now: () => NOW,
        fetch: async (_url, init) => {
          seen.push({ header: init.headers[SIGNATURE_HEADER] ?? "", body: init.body });
          return { status: 200, ok: true };
        },
      },
      { commands: [] },
      { event: "mdm_commands", id: "commands-test" },
    );
    const [{ header, body: sent }] = seen as [{ header: string; body: string }];
    expect(header.match(/v1=/g)).toHaveLength(2);
    for (const secret of [SECRET, NEW])
      expect(verifyWebhookSignature({ header, body: sent, secret, now: NOW })).toBe(true);
    expect(verifyWebhookSignature({ header, body: sent, secret: "whsec-someone-else", now: NOW })).toBe(
      false,
    );
    // Once the previous secret is dropped, only the new one signs.
    expect(signatureHeader(NEW, sent, NOW).match(/v1=/g)).toHaveLength(1);
  });
});

describe("MDM webhook deliveries, as an MDM routes and de-duplicates them", () => {
  it("each POST says its event, its delivery and who sends it: the same commands tried again are the same delivery, other commands another", async () => {
    const seen: Array<Record<string, string>> = [];
    const target = mdmWebhookTarget({ url: "https://mdm.example/hook", secret: new Secret(SECRET) });
    if (!target) throw new Error("no target");
    const sink = createWebhookSink({
      ...target,
      now: () => NOW,
      fetch: async (_url, init) => {
        seen.push(init.headers);
        return { status: 200, ok: true };
      },
    });
    const command = (seq: number) => ({ seq }) as unknown as MdmCommandMessage;
    await sink.deliver([command(7), command(3)]);
    await sink.deliver([command(3), command(7)]); // tried again, in another order
    await sink.deliver([command(8)]);
    expect(seen.map((h) => h[EVENT_HEADER])).toEqual(["mdm_commands", "mdm_commands", "mdm_commands"]);
    const [first, again, other] = seen.map((h) => h[DELIVERY_HEADER]);
    expect(first).toMatch(/^commands-[0-9a-f]{32}$/);
    expect(again).toBe(first);
    expect(other).not.toBe(first);
    // Orchard and its version, for the receiver's logs and firewall rules.
    expect(seen[0]?.["user-agent"]).toBe(`Orchard/${ORCHARD_VERSION} (webhook)`);
    expect(ORCHARD_VERSION).toMatch(/^\d+\.\d+\.\d+/);
  });
});

const unreachable = {
  deliver: async () => {
    throw new MdmDeliveryError("the MDM webhook could not be reached", true);
  },
};

/** PB1's remove of the app on this device, queued for the MDM. */
function removeOn(db: Db, device: DeviceRecord, adamId: string, now: Date) {
  return queueMdmCommands(db, [
    {
      spaceId: device.spaceId,
      kind: "remove",
      deviceId: device.id,
      serialNumber: device.serialNumber,
      adamId,
      ruleIds: ["PB1"],
      now,
    },
  ]);
}

describeEachDatabase("MDM webhook deliveries", (database) => {
  it("DB4: a delivered command carries its seq and the version an update installs", async () => {
    const { db } = database().store;
    const { space, adamId } = await spaceWithApp(db, "100000071");
    const [device] = await devices(db, space.id, 1);
    if (!device) throw new Error("no device");
    await queueMdmCommands(db, [
      {
        spaceId: space.id,
        kind: "install",
        deviceId: device.id,
        serialNumber: device.serialNumber,
        adamId,
        appVersion: "2.1",
        ruleIds: ["DB4"],
        now: NOW,
      },
    ]);
    const [queued] = await listMdmCommands(db, space.id, { deviceId: device.id });
    const received: MdmCommandMessage[] = [];
    await deliverMdmCommands({ db, now: () => NOW }, { deliver: async (c) => void received.push(...c) });
    expect(received).toEqual([
      expect.objectContaining({ id: queued?.id, seq: queued?.seq, appVersion: "2.1", because: ["DB4"] }),
    ]);
  });

  it("a delivered command says which Apple command to build: the app's bundle id, App or Book, the license's type and the device's platform", async () => {
    const { db, keys } = database().store;
    const { space } = await spaceWithApp(db, "100000081");
    const spaceId = space.id;
    const pages = "100000081";
    const book = "100000082";
    const unknown = "100000083";
    const { account } = await accountWithSeats(db, keys, { spaceId, adamId: pages, total: 5 });
    // A second account holds the app too, not looked up yet: the bundle id known on the other one still goes.
    await accountWithSeats(db, keys, { spaceId, adamId: pages, total: 5 });
    await bundleIdFound(db, {
      spaceId,
      accountId: account.id,
      adamId: pages,
      bundleId: "com.apple.Pages",
      name: "Pages",
    });
    for (const [adamId, productType] of [
      [book, "Book"],
      [unknown, "App"],
    ] as const)
      await upsertAsset(
        db,
        {
          spaceId,
          accountId: account.id,
          adamId,
          pricingParam: "STDQ",
          productType,
          total: 5,
          deviceAssignable: productType === "App",
          platforms: ["iOS", "macOS"],
        },
        NOW,
      );
    const [mac] = await devices(db, spaceId, 1, "macOS");
    const [ipad, iphone] = await devices(db, spaceId, 2, "iOS");
    if (!mac || !ipad || !iphone) throw new Error("no devices");
    const reader = await createUser(db, { spaceId, name: "Reader" });
    // A user-based license's install goes to its user's device.
    await updateDevice(db, spaceId, ipad.id, { userId: reader.id }, NOW);
    const [deviceLicense, userLicense] = await insertLicenses(db, [
      {
        spaceId,
        accountId: account.id,
        adamId: pages,
        type: "device",
        deviceId: mac.id,
        state: "assigned",
        now: NOW,
      },
      {
        spaceId,
        accountId: account.id,
        adamId: book,
        type: "user",
        userId: reader.id,
        state: "assigned",
        now: NOW,
      },
    ]);
    const command = (device: DeviceRecord, kind: "install" | "remove", adamId: string, licenseId?: string) =>
      ({
        spaceId,
        kind,
        deviceId: device.id,
        serialNumber: device.serialNumber,
        adamId,
        ...(licenseId ? { licenseId } : {}),
        ruleIds: ["LT2"],
        now: NOW,
      }) satisfies NewMdmCommand;
    await queueMdmCommands(db, [
      command(mac, "install", pages, deviceLicense),
      command(ipad, "install", book, userLicense),
      command(iphone, "remove", unknown),
    ]);
    const received: MdmCommandMessage[] = [];
    await deliverMdmCommands({ db, now: () => NOW }, { deliver: async (c) => void received.push(...c) });
    const targets = received.map(({ deviceId, adamId, platform, productType, bundleId, licenseType }) => ({
      deviceId,
      adamId,
      platform,
      productType,
      bundleId,
      licenseType,
    }));
    expect(targets).toEqual([
      {
        deviceId: mac.id,
        adamId: pages,
        platform: "macOS",
        productType: "App",
        bundleId: "com.apple.Pages",
        licenseType: "device",
      },
      { deviceId: ipad.id, adamId: book, platform: "iOS", productType: "Book", licenseType: "user" },
      { deviceId: iphone.id, adamId: unknown, platform: "iOS", productType: "App" },
    ]);
    // Unknown is left out of the message, never sent as null or "".
    expect(Object.keys(received[2] ?? {})).not.toContain("bundleId");
    expect(Object.keys(received[2] ?? {})).not.toContain("licenseType");
  });

  it("an MDM that cannot be reached for more than an hour still gets its commands (retried for nearly 3 hours)", async () => {
    const { db, commands } = await removes("100000072");
    let now = NOW;
    let elapsedMs = 0;
    for (let attempt = 1; attempt <= 12; attempt++) {
      await deliverMdmCommands({ db, now: () => now }, unreachable);
      now = new Date(now.getTime() + 16 * 60_000);
      elapsedMs += 16 * 60_000;
    }
    expect(elapsedMs).toBeGreaterThan(3_600_000);
    expect(await commands()).toMatchObject([{ state: "pending", attempts: 12 }]);
    const received: MdmCommandMessage[] = [];
    await deliverMdmCommands({ db, now: () => now }, { deliver: async (c) => void received.push(...c) });
    expect(received).toHaveLength(1);
    expect(await commands()).toMatchObject([{ state: "delivered" }]);
  });

  it("an MDM that answers 429 or 503 with Retry-After is not called again before then (up to an hour)", async () => {
    const { db, commands } = await removes("100000074");
    const target = mdmWebhookTarget({ url: "https://mdm.example/hook", secret: new Secret(SECRET) });
    if (!target) throw new Error("no target");
    let calls = 0;
    const busy = (status: number, retryAfter: string) => ({
      deliver: async (c: readonly MdmCommandMessage[]) => {
        await postToMdmWebhook(
          {
            ...target,
            now: () => now, // an HTTP-date counts from the same clock as the delivery
            fetch: async () => {
              calls++;
              return { status, ok: false, headers: new Headers({ "retry-after": retryAfter }) };
            },
          },
          { commands: c },
          { event: "mdm_commands", id: "commands-test" },
        );
      },
    });
    let now = NOW;
    for (const [status, retryAfter, waitMs] of [
      [429, "90", 90_000],
      [503, new Date(NOW.getTime() + 10 * 60_000).toUTCString(), 10 * 60_000 - 90_000],
      [503, "86400", 60 * 60_000],
    ] as const) {
      await deliverMdmCommands({ db, now: () => now }, busy(status, retryAfter));
      const [command] = await commands();
      expect(command, `${status} Retry-After: ${retryAfter}`).toMatchObject({
        state: "pending",
        notBefore: new Date(now.getTime() + waitMs),
      });
      // Not called before then.
      const before = calls;
      await deliverMdmCommands(
        { db, now: () => new Date(now.getTime() + waitMs - 1000) },
        busy(status, retryAfter),
      );
      expect(calls).toBe(before);
      now = new Date(now.getTime() + waitMs);
    }
  });

  /** A device with one pending remove, for these deliveries; `commands` lists the space's, oldest first. */
  async function removes(adamIdSeed: string) {
    const { db } = database().store;
    const { space, adamId } = await spaceWithApp(db, adamIdSeed);
    const [device] = await devices(db, space.id, 1);
    if (!device) throw new Error("no device");
    await removeOn(db, device, adamId, NOW);
    const commands = async () => (await listMdmCommands(db, space.id, {})).sort((a, b) => a.seq - b.seq);
    return { db, space, adamId, device, commands };
  }

  it("an acknowledgement that comes while the webhook fails is kept: the command is not sent again", async () => {
    const { db, commands } = await removes("100000073");
    const acknowledging = {
      deliver: async (sent: MdmCommandMessage[]) => {
        // The MDM polled and acknowledged it while this delivery ran, then the webhook timed out.
        await settleMdmCommands(db, {
          commands: (await commands()).filter((c) => sent.some((m) => m.id === c.id)),
          state: "delivered",
          fromStates: ["pending", "failed"],
          now: NOW,
        });
        throw new MdmDeliveryError("the MDM webhook timed out", true);
      },
    };
    await deliverMdmCommands({ db, now: () => NOW }, acknowledging);
    expect((await commands()).map((c) => c.state)).toEqual(["delivered"]);
  });

  it("a command superseded while its delivery runs stays cancelled, whatever the webhook answers", async () => {
    const { db, space, adamId, device, commands } = await removes("100000074");
    const refusing = {
      deliver: async () => {
        // An install for the same device and app arrives meanwhile: the remove is cancelled.
        await queueMdmCommands(db, [
          {
            spaceId: space.id,
            kind: "install",
            deviceId: device.id,
            serialNumber: device.serialNumber,
            adamId,
            ruleIds: ["DB2"],
            now: NOW,
          },
        ]);
        throw new MdmDeliveryError("the MDM refused the delivery (400)", false);
      },
    };
    await deliverMdmCommands({ db, now: () => NOW }, refusing);
    expect((await commands()).map((c) => [c.kind, c.state])).toEqual([
      ["remove", "cancelled"],
      ["install", "pending"],
    ]);
  });

  it("a delivery whose lease ran out and was claimed again does not settle the new claim", async () => {
    const { db, commands } = await removes("100000075");
    const later = new Date(NOW.getTime() + 120_000);
    const received: MdmCommandMessage[] = [];
    const slow = {
      deliver: async () => {
        // This worker stalled past its lease: another one claims the command and delivers it.
        await deliverMdmCommands(
          { db, now: () => later },
          { deliver: async (c) => void received.push(...c) },
        );
        throw new MdmDeliveryError("the MDM webhook could not be reached", true);
      },
    };
    await deliverMdmCommands({ db, now: () => NOW }, slow, { leaseMs: 60_000 });
    const [command] = await commands();
    expect(received.filter((m) => m.id === command?.id)).toHaveLength(1);
    expect(command?.state).toBe("delivered");
  });

  it("a failed batch retries each command by its own attempts: a fresh one is not failed with one at its last", async () => {
    const { db, space, adamId, commands } = await removes("100000076");
    let now = NOW;
    for (let attempt = 1; attempt < 20; attempt++) {
      await deliverMdmCommands({ db, now: () => now }, unreachable);
      now = new Date(now.getTime() + 16 * 60_000);
    }
    expect(await commands()).toMatchObject([{ state: "pending", attempts: 19 }]);
    const [fresh] = await devices(db, space.id, 1);
    if (!fresh) throw new Error("no device");
    await removeOn(db, fresh, adamId, now);
    await deliverMdmCommands({ db, now: () => now }, unreachable);
    expect((await commands()).map((c) => [c.attempts, c.state])).toEqual([
      [20, "failed"],
      [1, "pending"],
    ]);
  });
});
