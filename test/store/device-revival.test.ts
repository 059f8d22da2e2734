import { randomUUID } from "node:crypto";
import { expect, it } from "vitest";
import type { LicenseRequest } from "../../src/licensing/index.js";
import { applyEvent } from "../../src/mdm/index.js";
import { reviveDevice, reviveKeptSerial } from "../../src/store/device-revival.repo.js";
import {
  createDevice,
  createUser,
  type Db,
  getDevice,
  getLicense,
  listActivity,
  listWaitingRequests,
  requestLicenses,
} from "../../src/store/index.js";
import { describeEachDatabase } from "./databases.js";
import { accountWithSeats, NOW, SYSTEM, spaceWithApp } from "./fixtures.js";

const later = (minutes: number) => new Date(NOW.getTime() + minutes * 60_000);

/** The activity lines of the device that say it is active again. */
async function revivals(db: Db, spaceId: string, deviceId: string) {
  const lines = await listActivity(db, spaceId, { action: "mdm.device_enrolled" });
  return lines.filter((l) => l.deviceId === deviceId);
}

describeEachDatabase("devices set up again (RV1)", (database) => {
  it("RV1: a wiped device that checks in is active again, logged once; a retired one stays retired until it enrolls", async () => {
    const { db } = database().store;
    const { space } = await spaceWithApp(db);
    const ipad = await createDevice(db, {
      spaceId: space.id,
      serialNumber: `W${randomUUID().slice(0, 8)}`,
      platform: "iOS",
    });
    await applyEvent(
      { db, now: () => NOW },
      { kind: "device_wiped", spaceId: space.id, deviceId: ipad.id },
      SYSTEM,
    );
    expect((await getDevice(db, space.id, ipad.id)).status).toBe("wiped");

    const back = await reviveDevice(db, {
      spaceId: space.id,
      deviceId: ipad.id,
      how: "check_in",
      actor: { kind: "mdm" },
      now: later(1),
    });
    expect(back).toMatchObject({ id: ipad.id, status: "active", active: true });
    const lines = await revivals(db, space.id, ipad.id);
    expect(lines).toEqual([
      expect.objectContaining({
        actor: { kind: "mdm" },
        ruleIds: ["RV1"],
        messageKey: "device.active_at_check_in",
        message: "device active again: it checked in",
      }),
    ]);
    // Active already: the next check-in changes nothing and logs nothing.
    expect(
      await reviveDevice(db, {
        spaceId: space.id,
        deviceId: ipad.id,
        how: "check_in",
        actor: SYSTEM,
        now: later(2),
      }),
    ).toBeUndefined();
    expect(await revivals(db, space.id, ipad.id)).toHaveLength(1);

    await applyEvent(
      { db, now: () => NOW },
      { kind: "device_retired", spaceId: space.id, deviceId: ipad.id },
      SYSTEM,
    );
    expect(
      await reviveDevice(db, {
        spaceId: space.id,
        deviceId: ipad.id,
        how: "check_in",
        actor: SYSTEM,
        now: later(3),
      }),
    ).toBeUndefined();
    expect((await getDevice(db, space.id, ipad.id)).status).toBe("retired");
    const enrolled = await reviveDevice(db, {
      spaceId: space.id,
      deviceId: ipad.id,
      how: "enrolled",
      actor: SYSTEM,
      now: later(4),
    });
    expect(enrolled?.status).toBe("active");
    expect((await revivals(db, space.id, ipad.id))[0]).toMatchObject({
      messageKey: "mdm.device_enrolled",
      message: "device enrolled again: active",
    });
  });

  it("RV1: the wipe's revocations stay: the revived device's old license is not live again, its queue row is gone, and it gets a new license by the rules", async () => {
    const { db, keys } = database().store;
    const { space, adamId } = await spaceWithApp(db, "409183695");
    await accountWithSeats(db, keys, { spaceId: space.id, adamId, total: 1 });
    const serial = (prefix: string) => `${prefix}${randomUUID().slice(0, 8).toUpperCase()}`;
    const first = await createDevice(db, { spaceId: space.id, serialNumber: serial("A"), platform: "iOS" });
    const second = await createDevice(db, { spaceId: space.id, serialNumber: serial("B"), platform: "iOS" });
    const ask = (deviceId: string, now: Date) => {
      const request: LicenseRequest = {
        spaceId: space.id,
        adamId,
        subject: { kind: "device", deviceId },
        why: "mandatory",
      };
      return requestLicenses(db, { spaceId: space.id, adamId, requests: [request], actor: SYSTEM, now });
    };
    const [granted] = await ask(first.id, later(1));
    expect(granted?.decision.outcome).toBe("grant");
    const [waits] = await ask(second.id, later(2));
    expect(waits?.decision).toMatchObject({ outcome: "wait", reason: "no_license" });
    expect((await listWaitingRequests(db, space.id, adamId)).map((w) => w.subject)).toEqual([
      { kind: "device", deviceId: second.id },
    ]);

    for (const device of [first, second])
      await applyEvent(
        { db, now: () => later(3) },
        { kind: "device_wiped", spaceId: space.id, deviceId: device.id },
        SYSTEM,
      );
    const oldLicense = await getLicense(db, space.id, granted?.licenseId ?? "");
    expect(["pending_release", "released"]).toContain(oldLicense.state);
    expect(oldLicense.graceUntil).toBeUndefined(); // RV3: nothing is left on a wiped device to keep usable
    expect(await listWaitingRequests(db, space.id, adamId)).toEqual([]);

    expect(
      await reviveDevice(db, {
        spaceId: space.id,
        deviceId: first.id,
        how: "check_in",
        actor: SYSTEM,
        now: later(4),
      }),
    ).toBeDefined();
    expect((await getLicense(db, space.id, oldLicense.id)).state).toBe(oldLicense.state);
    expect(await listWaitingRequests(db, space.id, adamId)).toEqual([]);
    const [again] = await ask(first.id, later(5));
    expect(again?.decision.outcome).toBe("grant");
    expect(again?.licenseId).not.toBe(oldLicense.id);
  });

  it("RV1: POST of a kept serial, in any case, sets that device up again as asked (same id); an active or unknown serial is not revived", async () => {
    const { db } = database().store;
    const { space } = await spaceWithApp(db);
    const user = await createUser(db, { spaceId: space.id, name: "Zoe" });
    const serialNumber = `K${randomUUID().slice(0, 8).toUpperCase()}`;
    const kept = await createDevice(db, {
      spaceId: space.id,
      serialNumber,
      platform: "iOS",
      sharedIpad: true,
    });
    const setUp = { platform: "iOS" as const, sharedIpad: false, supervised: true, userId: user.id };
    const revive = (serial: string, now: Date) =>
      reviveKeptSerial(db, { spaceId: space.id, serialNumber: serial, ...setUp, actor: SYSTEM, now });

    expect(await revive(serialNumber, later(1))).toBeUndefined(); // active: the 409 is createDevice's
    await applyEvent(
      { db, now: () => NOW },
      { kind: "mdm_profile_removed", spaceId: space.id, deviceId: kept.id },
      SYSTEM,
    );
    const back = await revive(` ${serialNumber.toLowerCase()} `, later(2));
    expect(back).toMatchObject({
      id: kept.id,
      serialNumber,
      status: "active",
      sharedIpad: false,
      supervised: true,
      userId: user.id,
    });
    expect(await revivals(db, space.id, kept.id)).toEqual([
      expect.objectContaining({ messageKey: "device.created_again", ruleIds: ["RV1"] }),
    ]);
    expect(await revive("NOSUCHSERIAL", later(3))).toBeUndefined();
  });
});
