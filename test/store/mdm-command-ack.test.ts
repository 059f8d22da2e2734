import { expect, it } from "vitest";
import type { LicenseRequest } from "../../src/licensing/index.js";
import { requestLicensesFor } from "../../src/mdm/index.js";
import type { Db } from "../../src/store/index.js";
import {
  acknowledgeMdmCommands,
  listMdmCommands,
  queueMdmCommands,
  settleMdmCommands,
} from "../../src/store/mdm-command.repo.js";
import { describeEachDatabase } from "./databases.js";
import { accountWithSeats, deviceLicenses, devices, NOW, spaceWithApp } from "./fixtures.js";

const LATER = new Date(NOW.getTime() + 3 * 3_600_000);
const SYSTEM = { kind: "system" } as const;

/**
 * LT2: the MDM acknowledges a failed install (it took it after all) while a check-in asks for
 * the same install again (requestLicensesFor: the license kept, its install queued unless one
 * is pending or delivered). Whichever commits first, the device gets the install once: the
 * acknowledgement takes the app's lock, as the check-in and the retry do. On PostgreSQL the
 * two really run at once; PGlite's single session runs them one after the other.
 */
describeEachDatabase("a failed install acknowledged while a check-in asks for it again", (database) => {
  /** A device holding an assigned license whose install the delivery gave up on. */
  async function failedInstall(adamId: string) {
    const { db, keys } = database().store;
    const { space } = await spaceWithApp(db, adamId);
    const { account } = await accountWithSeats(db, keys, { spaceId: space.id, adamId, total: 5 });
    const [device] = await devices(db, space.id, 1);
    if (!device) throw new Error("no device");
    const [licenseId] = await deviceLicenses(db, {
      spaceId: space.id,
      accountId: account.id,
      adamId,
      devices: [device],
      state: "assigned",
    });
    await queueMdmCommands(db, [
      {
        spaceId: space.id,
        kind: "install",
        deviceId: device.id,
        serialNumber: device.serialNumber,
        adamId,
        ...(licenseId ? { licenseId } : {}),
        ruleIds: ["LT2"],
        now: NOW,
      },
    ]);
    const [failed] = await listMdmCommands(db, space.id, { deviceId: device.id });
    if (!failed) throw new Error("no command");
    await settleMdmCommands(db, {
      commands: [failed],
      state: "failed",
      fromStates: ["pending"],
      error: "the MDM webhook answered HTTP 503",
      now: NOW,
    });
    const request: LicenseRequest = {
      spaceId: space.id,
      adamId,
      subject: { kind: "device", deviceId: device.id },
      why: "requested",
    };
    /** The device checks in, in `db` (a transaction held open by the test, or the store). */
    const checkIn = (on: Db) =>
      requestLicensesFor(
        { db: on, now: () => LATER },
        { spaceId: space.id, adamId, requests: [request], actor: SYSTEM },
      );
    const commands = () => listMdmCommands(db, space.id, { deviceId: device.id });
    return { db, spaceId: space.id, failed: failed.seq, checkIn, commands };
  }

  /** Runs `first` in a transaction held open until the returned release is called. */
  async function holdOpen(db: Db, first: (trx: Db) => Promise<unknown>) {
    let ready = () => {};
    const started = new Promise<void>((resolve) => {
      ready = resolve;
    });
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const done = db.transaction().execute(async (trx) => {
      await first(trx);
      ready();
      await held;
    });
    await Promise.race([started, done]);
    return { release, done };
  }

  /** Whether `work` is still waiting after a while (for a lock, or PGlite's session). */
  async function stillWaiting(work: Promise<unknown>): Promise<boolean> {
    let settled = false;
    const settle = () => {
      settled = true;
    };
    work.then(settle, settle);
    await new Promise((resolve) => setTimeout(resolve, 300));
    return !settled;
  }

  it("LT2: a check-in that queued the install again first: the acknowledgement waits for the app's lock, then cancels that twin", async () => {
    const w = await failedInstall("300000001");
    const checkIn = await holdOpen(w.db, async (trx) => {
      const [result] = await w.checkIn(trx);
      expect(result).toMatchObject({ decision: { outcome: "keep" }, installQueued: true });
    });
    const ack = acknowledgeMdmCommands(w.db, { spaceId: w.spaceId, seqs: [w.failed], now: LATER });
    const waited = await stillWaiting(ack);
    checkIn.release();
    await checkIn.done;
    expect(await ack).toEqual({ acknowledged: [w.failed], skipped: [] });
    const [failed, twin, ...more] = await w.commands();
    expect(more).toEqual([]);
    expect(failed).toMatchObject({ seq: w.failed, state: "delivered" });
    expect(twin).toMatchObject({
      kind: "install",
      state: "cancelled",
      lastError: `superseded: the MDM took the same command (seq ${w.failed}) after all`,
    });
    expect(waited).toBe(true);
  });

  it("LT2: an acknowledgement under way first: the check-in waits for the app's lock, then sees the install delivered and queues none", async () => {
    const w = await failedInstall("300000002");
    const ack = await holdOpen(w.db, async (trx) => {
      expect(await acknowledgeMdmCommands(trx, { spaceId: w.spaceId, seqs: [w.failed], now: LATER })).toEqual(
        {
          acknowledged: [w.failed],
          skipped: [],
        },
      );
    });
    const checkIn = w.checkIn(w.db);
    const waited = await stillWaiting(checkIn);
    ack.release();
    await ack.done;
    const [result] = await checkIn;
    expect((await w.commands()).map((c) => [c.seq, c.state])).toEqual([[w.failed, "delivered"]]);
    expect(result).toMatchObject({ decision: { outcome: "keep" }, installQueued: false });
    expect(waited).toBe(true);
  });
});
