import { sql } from "kysely";
import { expect, it } from "vitest";
import { applyEvent } from "../../src/mdm/index.js";
import { updateDevice } from "../../src/store/directory.repo.js";
import { createUser, type DeviceRecord, insertLicenses } from "../../src/store/index.js";
import {
  claimMdmCommands,
  DEVICE_COMMAND_CANCELLED,
  listMdmCommands,
  queueMdmCommands,
} from "../../src/store/mdm-command.repo.js";
import { describeEachDatabase } from "../store/databases.js";
import { accountWithSeats, devices, NOW, spaceWithApp } from "../store/fixtures.js";

const MDM = { kind: "mdm" } as const;

/**
 * An install goes to the device it was queued for only while that device can take it: a
 * device retired, wiped or unenrolled takes no command (RV1), and a user-based license's
 * install is its user's (LT1), not the next user's of a device given to someone else. Both
 * are cancelled when the device changes, saying why, and checked again when an install is
 * claimed or listed ready, should a change have come another way.
 */
describeEachDatabase("installs follow their device", (database) => {
  const adamId = "300000001";

  /** A space, an account with seats, users Ann and Bob, and `n` iOS devices of Ann's. */
  async function annsDevices(n: number) {
    const { db, keys } = database().store;
    const { space } = await spaceWithApp(db, adamId);
    const { account } = await accountWithSeats(db, keys, { spaceId: space.id, adamId, total: 10 });
    const ann = await createUser(db, { spaceId: space.id, name: "Ann", appleStatus: "Associated" });
    const bob = await createUser(db, { spaceId: space.id, name: "Bob", appleStatus: "Associated" });
    const fleet = await devices(db, space.id, n);
    for (const d of fleet) await updateDevice(db, space.id, d.id, { userId: ann.id }, NOW);
    return { db, space, account, ann, bob, fleet };
  }

  /** Per device, an install of `license` (assigned: Apple confirmed it); the commands' seqs by device. */
  async function installs(
    ctx: Awaited<ReturnType<typeof annsDevices>>,
    type: "user" | "device",
    targets: readonly DeviceRecord[],
  ) {
    const { db, space, account, ann } = ctx;
    // A user-based license is one per user (invariant 2): every device's install is of it.
    const holders = type === "user" ? targets.slice(0, 1) : targets;
    const licenseIds = await insertLicenses(
      db,
      holders.map((d) => ({
        spaceId: space.id,
        accountId: account.id,
        adamId,
        type,
        ...(type === "user" ? { userId: ann.id } : { deviceId: d.id }),
        state: "assigned" as const,
        now: NOW,
      })),
    );
    await queueMdmCommands(
      db,
      targets.map((d, i) => ({
        spaceId: space.id,
        kind: "install" as const,
        deviceId: d.id,
        serialNumber: d.serialNumber,
        adamId,
        licenseId: type === "user" ? licenseIds[0] : licenseIds[i],
        ruleIds: ["LT2"],
        now: NOW,
      })),
    );
  }

  const commandOf = async (spaceId: string, deviceId: string) => {
    const [command] = await listMdmCommands(database().store.db, spaceId, { deviceId });
    return command && { state: command.state, lastError: command.lastError };
  };
  const readyDevices = async (spaceId: string) =>
    (await listMdmCommands(database().store.db, spaceId, { ready: true })).map((c) => c.deviceId);

  it("RV1: an install for a device then retired, wiped or unenrolled is cancelled, saying why; the others stay ready", async () => {
    const ctx = await annsDevices(4);
    const [retired, wiped, unenrolled, kept] = ctx.fleet as [
      DeviceRecord,
      DeviceRecord,
      DeviceRecord,
      DeviceRecord,
    ];
    await installs(ctx, "user", ctx.fleet);
    const deps = { db: ctx.db, now: () => NOW };
    await applyEvent(deps, { kind: "device_retired", spaceId: ctx.space.id, deviceId: retired.id }, MDM);
    await applyEvent(deps, { kind: "device_wiped", spaceId: ctx.space.id, deviceId: wiped.id }, MDM);
    await applyEvent(
      deps,
      { kind: "mdm_profile_removed", spaceId: ctx.space.id, deviceId: unenrolled.id },
      MDM,
    );
    for (const gone of [retired, wiped, unenrolled])
      expect(await commandOf(ctx.space.id, gone.id)).toEqual({
        state: "cancelled",
        lastError: DEVICE_COMMAND_CANCELLED.deviceLeft,
      });
    expect(await commandOf(ctx.space.id, kept.id)).toEqual({ state: "pending", lastError: undefined });
    expect(await readyDevices(ctx.space.id)).toEqual([kept.id]);
  });

  it("LT1: a device given to another user loses its install of the former user's user-based license; a device-based one stays", async () => {
    const ctx = await annsDevices(2);
    const [userInstall, deviceInstall] = ctx.fleet as [DeviceRecord, DeviceRecord];
    await installs(ctx, "user", [userInstall]);
    await installs(ctx, "device", [deviceInstall]);
    for (const d of ctx.fleet) await updateDevice(ctx.db, ctx.space.id, d.id, { userId: ctx.bob.id }, NOW);
    expect(await commandOf(ctx.space.id, userInstall.id)).toEqual({
      state: "cancelled",
      lastError: DEVICE_COMMAND_CANCELLED.otherUser,
    });
    expect(await commandOf(ctx.space.id, deviceInstall.id)).toEqual({
      state: "pending",
      lastError: undefined,
    });
    expect(await readyDevices(ctx.space.id)).toEqual([deviceInstall.id]);
  });

  it("RV1, LT1: a device changed behind the store's back (no follow-up ran) is caught when installs are listed ready and claimed: not delivered, cancelled saying why", async () => {
    const ctx = await annsDevices(3);
    const [wiped, given, fine] = ctx.fleet as [DeviceRecord, DeviceRecord, DeviceRecord];
    await installs(ctx, "user", ctx.fleet);
    // As a concurrent change committed between an install's queueing and its delivery could leave it.
    await sql`update devices set status = 'wiped' where space_id = ${ctx.space.id} and id = ${wiped.id}`.execute(
      ctx.db,
    );
    await sql`update devices set user_id = ${ctx.bob.id} where space_id = ${ctx.space.id} and id = ${given.id}`.execute(
      ctx.db,
    );
    expect(await readyDevices(ctx.space.id)).toEqual([fine.id]);
    const claimed = (await claimMdmCommands(ctx.db, { now: NOW, limit: 1000, leaseMs: 60_000 })).filter(
      (c) => c.spaceId === ctx.space.id,
    );
    expect(claimed.map((c) => c.deviceId)).toEqual([fine.id]);
    expect(await commandOf(ctx.space.id, wiped.id)).toEqual({
      state: "cancelled",
      lastError: DEVICE_COMMAND_CANCELLED.deviceLeft,
    });
    expect(await commandOf(ctx.space.id, given.id)).toEqual({
      state: "cancelled",
      lastError: DEVICE_COMMAND_CANCELLED.otherUser,
    });
  });
});
