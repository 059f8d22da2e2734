import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  deliverMdmCommands,
  type MdmCommandMessage,
  MdmDeliveryError,
  verifyWebhookSignature,
} from "../../src/mdm/index.js";
import { listMdmCommands, queueMdmCommands } from "../../src/store/mdm-command.repo.js";
import { describeEachDatabase } from "../store/databases.js";
import { devices, NOW, spaceWithApp } from "../store/fixtures.js";

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
});

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

  it("an MDM that cannot be reached for more than an hour still gets its commands (retried for nearly 3 hours)", async () => {
    const { db } = database().store;
    const { space, adamId } = await spaceWithApp(db, "100000072");
    const [device] = await devices(db, space.id, 1);
    if (!device) throw new Error("no device");
    await queueMdmCommands(db, [
      {
        spaceId: space.id,
        kind: "remove",
        deviceId: device.id,
        serialNumber: device.serialNumber,
        adamId,
        ruleIds: ["PB1"],
        now: NOW,
      },
    ]);
    let now = NOW;
    const down = {
      deliver: async () => {
        throw new MdmDeliveryError("the MDM webhook could not be reached", true);
      },
    };
    const state = async () => (await listMdmCommands(db, space.id, { deviceId: device.id }))[0];
    let elapsedMs = 0;
    for (let attempt = 1; attempt <= 12; attempt++) {
      await deliverMdmCommands({ db, now: () => now }, down);
      now = new Date(now.getTime() + 16 * 60_000);
      elapsedMs += 16 * 60_000;
    }
    expect(elapsedMs).toBeGreaterThan(3_600_000);
    expect(await state()).toMatchObject({ state: "pending", attempts: 12 });
    const received: MdmCommandMessage[] = [];
    await deliverMdmCommands({ db, now: () => now }, { deliver: async (c) => void received.push(...c) });
    expect(received).toHaveLength(1);
    expect(await state()).toMatchObject({ state: "delivered" });
  });
});
