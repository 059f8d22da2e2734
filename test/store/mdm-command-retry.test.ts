import { sql } from "kysely";
import { expect, it } from "vitest";
import { deliverMdmCommands, type MdmCommandMessage } from "../../src/mdm/index.js";
import { type Db, type DeviceRecord, listActivity, markAssigned } from "../../src/store/index.js";
import {
  listMdmCommands,
  queueInstallsUnlessPresent,
  queueMdmCommands,
  retryFailedMdmCommands,
  settleMdmCommands,
} from "../../src/store/mdm-command.repo.js";
import { describeEachDatabase } from "./databases.js";
import { accountWithSeats, deviceLicenses, devices, NOW, spaceWithApp } from "./fixtures.js";

const ADMIN = { kind: "admin", id: "admin-retry" } as const;
const LATER = new Date(NOW.getTime() + 3 * 3_600_000);

/**
 * Failed MDM commands sent again by an administrator (retryFailedMdmCommands): back to
 * pending from their first attempt, unless delivering them would be wrong (a license no
 * longer live, a newer command for the same device and app), on both engines.
 */
describeEachDatabase("MDM commands sent again", (database) => {
  /** A space with an app, an account with seats, `n` devices; helpers to queue and fail commands. */
  async function world(adamId: string, n = 1) {
    const { db, keys } = database().store;
    const { space } = await spaceWithApp(db, adamId);
    const { account } = await accountWithSeats(db, keys, { spaceId: space.id, adamId, total: 10 });
    const all = await devices(db, space.id, n);
    const license = async (device: DeviceRecord, state: "assigned" | "released" | "pending_assign") => {
      const [id] = await deviceLicenses(db, {
        spaceId: space.id,
        accountId: account.id,
        adamId,
        devices: [device],
        state,
      });
      return id ?? "";
    };
    const queue = async (
      device: DeviceRecord,
      kind: "install" | "remove",
      licenseId?: string,
      at: Date = NOW,
    ): Promise<number> => {
      await queueMdmCommands(db, [
        {
          spaceId: space.id,
          kind,
          deviceId: device.id,
          serialNumber: device.serialNumber,
          adamId,
          ...(licenseId ? { licenseId } : {}),
          ruleIds: ["LT2"],
          now: at,
        },
      ]);
      const mine = await listMdmCommands(db, space.id, { deviceId: device.id });
      return Math.max(...mine.map((c) => c.seq));
    };
    /** The webhook kept failing: given up after its last attempt. */
    const fail = (seq: number) =>
      settleMdmCommands(db, {
        commands: [{ spaceId: space.id, seq }],
        state: "failed",
        fromStates: ["pending"],
        error: "the MDM webhook answered HTTP 503",
        now: NOW,
      });
    const command = async (seq: number) =>
      (await listMdmCommands(db, space.id, {})).find((c) => c.seq === seq);
    return { db, space, account, adamId, devices: all, license, queue, fail, command };
  }

  /** The space's commands the worker delivers now, as the webhook receives them (it delivers every space's). */
  async function deliverNow(db: Db, spaceId: string, at: Date = LATER): Promise<MdmCommandMessage[]> {
    const received: MdmCommandMessage[] = [];
    await deliverMdmCommands({ db, now: () => at }, { deliver: async (c) => void received.push(...c) });
    return received.filter((m) => m.spaceId === spaceId);
  }

  it("a failed install whose license is live goes back to pending from its first attempt, and the delivery sends it", async () => {
    const w = await world("200000001");
    const [device] = w.devices;
    if (!device) throw new Error("no device");
    const seq = await w.queue(device, "install", await w.license(device, "assigned"));
    // Attempts used up, as the delivery leaves a command it gave up on.
    await w.db.updateTable("mdm_commands").set({ attempts: 20 }).where("seq", "=", seq).execute();
    await w.fail(seq);
    expect(await w.command(seq)).toMatchObject({ state: "failed", attempts: 20 });

    const result = await retryFailedMdmCommands(w.db, {
      spaceId: w.space.id,
      seqs: [seq],
      actor: ADMIN,
      now: LATER,
    });
    expect(result).toEqual({ retried: [seq], skipped: [] });
    const back = await w.command(seq);
    expect(back).toMatchObject({ state: "pending", attempts: 0, awaitingLicense: false, updatedAt: LATER });
    expect(back?.lastError).toBeUndefined();
    expect(back?.notBefore).toBeUndefined();
    expect((await deliverNow(w.db, w.space.id)).map((m) => m.seq)).toEqual([seq]);
    expect(await w.command(seq)).toMatchObject({ state: "delivered", attempts: 1 });
  });

  it("LT2: a failed install whose license was released since is cancelled, not sent again", async () => {
    const w = await world("200000002");
    const [device] = w.devices;
    if (!device) throw new Error("no device");
    const seq = await w.queue(device, "install", await w.license(device, "released"));
    await w.fail(seq);
    const result = await retryFailedMdmCommands(w.db, {
      spaceId: w.space.id,
      seqs: [seq],
      actor: ADMIN,
      now: LATER,
    });
    expect(result).toEqual({ retried: [], skipped: [{ seq, reason: "license_not_live" }] });
    expect(await w.command(seq)).toMatchObject({ state: "cancelled", lastError: "license no longer live" });
    expect(await deliverNow(w.db, w.space.id)).toEqual([]);
  });

  it("LT2: an install whose license waits for Apple again goes back to pending out of the poll until Apple confirms it", async () => {
    const w = await world("200000003");
    const [device] = w.devices;
    if (!device) throw new Error("no device");
    const licenseId = await w.license(device, "pending_assign");
    const seq = await w.queue(device, "install", licenseId);
    await w.fail(seq);
    expect(
      await retryFailedMdmCommands(w.db, { spaceId: w.space.id, seqs: [seq], actor: ADMIN, now: LATER }),
    ).toEqual({ retried: [seq], skipped: [] });
    expect(await w.command(seq)).toMatchObject({ state: "pending", awaitingLicense: true });
    expect(await deliverNow(w.db, w.space.id)).toEqual([]);
    await markAssigned(w.db, {
      spaceId: w.space.id,
      licenseIds: [licenseId],
      actor: { kind: "apple" },
      now: LATER,
    });
    expect((await deliverNow(w.db, w.space.id)).map((m) => m.seq)).toEqual([seq]);
  });

  it("a failed install with a newer pending twin (a later check-in queued it again) is cancelled: the MDM gets the install once", async () => {
    const w = await world("200000004");
    const [device] = w.devices;
    if (!device) throw new Error("no device");
    const licenseId = await w.license(device, "assigned");
    const failed = await w.queue(device, "install", licenseId);
    await w.fail(failed);
    const twin = await w.queue(device, "install", licenseId, new Date(NOW.getTime() + 60_000));
    expect(twin).toBeGreaterThan(failed);
    const result = await retryFailedMdmCommands(w.db, {
      spaceId: w.space.id,
      seqs: [failed],
      actor: ADMIN,
      now: LATER,
    });
    expect(result).toEqual({ retried: [], skipped: [{ seq: failed, reason: "superseded", by: twin }] });
    expect(await w.command(failed)).toMatchObject({
      state: "cancelled",
      lastError: `superseded: a newer command (seq ${twin}) for the device and app`,
    });
    expect((await deliverNow(w.db, w.space.id)).map((m) => m.seq)).toEqual([twin]);
  });

  it("an older failed install is not sent after a newer remove, delivered or failed: only the newest command of a device and app goes again", async () => {
    const w = await world("200000005", 2);
    const [first, second] = w.devices;
    if (!first || !second) throw new Error("no devices");
    // First device: install failed, then a remove was delivered.
    const installed = await w.queue(first, "install", await w.license(first, "assigned"));
    await w.fail(installed);
    const removed = await w.queue(first, "remove");
    await settleMdmCommands(w.db, {
      commands: [{ spaceId: w.space.id, seq: removed }],
      state: "delivered",
      fromStates: ["pending"],
      now: NOW,
    });
    // Second device: install and remove both failed.
    const install2 = await w.queue(second, "install", await w.license(second, "assigned"));
    await w.fail(install2);
    const remove2 = await w.queue(second, "remove");
    await w.fail(remove2);

    const result = await retryFailedMdmCommands(w.db, {
      spaceId: w.space.id,
      seqs: "all",
      actor: ADMIN,
      now: LATER,
    });
    expect(result).toEqual({
      retried: [remove2],
      skipped: [
        { seq: installed, reason: "superseded", by: removed },
        { seq: install2, reason: "superseded", by: remove2 },
      ],
    });
    expect((await deliverNow(w.db, w.space.id)).map((m) => [m.seq, m.kind])).toEqual([[remove2, "remove"]]);
  });

  it("seqs that are not failed, or of no command of the space, are skipped and left as they are; another space's are untouched", async () => {
    const w = await world("200000006", 2);
    const other = await world("200000006");
    const [a, b] = w.devices;
    const [elsewhere] = other.devices;
    if (!a || !b || !elsewhere) throw new Error("no devices");
    const pending = await w.queue(a, "remove");
    const failed = await w.queue(b, "remove");
    await w.fail(failed);
    const foreign = await other.queue(elsewhere, "remove");
    await other.fail(foreign);
    const result = await retryFailedMdmCommands(w.db, {
      spaceId: w.space.id,
      seqs: [foreign, failed, pending, failed],
      actor: ADMIN,
      now: LATER,
    });
    expect(result.retried).toEqual([failed]);
    expect(result.skipped).toEqual(
      [
        { seq: pending, reason: "not_failed", state: "pending" },
        { seq: foreign, reason: "not_found" },
      ].sort((x, y) => x.seq - y.seq),
    );
    expect(await w.command(pending)).toMatchObject({ state: "pending", attempts: 0 });
    expect(await other.command(foreign)).toMatchObject({ state: "failed" });
    // `all` of this space leaves the other space's failed command failed too.
    await w.fail(failed);
    await retryFailedMdmCommands(w.db, { spaceId: w.space.id, seqs: "all", actor: ADMIN, now: LATER });
    expect(await other.command(foreign)).toMatchObject({ state: "failed" });
    // Sent again with nothing failed: nothing changes.
    expect(
      await retryFailedMdmCommands(w.db, { spaceId: w.space.id, seqs: "all", actor: ADMIN, now: LATER }),
    ).toEqual({ retried: [], skipped: [] });
  });

  it("a check-in queueing the same install while the retry runs: the retry waits for the app's lock, sees the twin and cancels its command (PostgreSQL)", async (ctx) => {
    if (database().engine !== "postgres") ctx.skip();
    const w = await world("200000008");
    const [device] = w.devices;
    if (!device) throw new Error("no device");
    const licenseId = await w.license(device, "assigned");
    const failed = await w.queue(device, "install", licenseId);
    await w.fail(failed);
    let locked = () => {};
    const lockTaken = new Promise<void>((resolve) => {
      locked = resolve;
    });
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    // An allocator of the app (a check-in): the assets locked, the same install queued, not yet committed.
    const checkIn = w.db.transaction().execute(async (trx) => {
      await sql`select 1 from assets where space_id = ${w.space.id} and adam_id = ${w.adamId}
        order by account_id for no key update`.execute(trx);
      await queueInstallsUnlessPresent(trx, {
        spaceId: w.space.id,
        adamId: w.adamId,
        installs: [{ deviceId: device.id, licenseId, ruleIds: ["LT2"] }],
        now: NOW,
      });
      locked();
      await held;
    });
    await lockTaken;
    let settled = false;
    const retry = retryFailedMdmCommands(w.db, {
      spaceId: w.space.id,
      seqs: [failed],
      actor: ADMIN,
      now: LATER,
    }).finally(() => {
      settled = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(settled).toBe(false);
    release();
    await checkIn;
    const twin = Math.max(...(await listMdmCommands(w.db, w.space.id, {})).map((c) => c.seq));
    expect(await retry).toEqual({ retried: [], skipped: [{ seq: failed, reason: "superseded", by: twin }] });
    expect((await deliverNow(w.db, w.space.id)).map((m) => m.seq)).toEqual([twin]);
  });

  it("invariant 4: each command sent again or cancelled instead is logged, by whom, with its device and app", async () => {
    const w = await world("200000007", 2);
    const [a, b] = w.devices;
    if (!a || !b) throw new Error("no devices");
    const ok = await w.queue(a, "install", await w.license(a, "assigned"));
    await w.fail(ok);
    const dead = await w.queue(b, "install", await w.license(b, "released"));
    await w.fail(dead);
    await retryFailedMdmCommands(w.db, { spaceId: w.space.id, seqs: "all", actor: ADMIN, now: LATER });
    const lines = await listActivity(w.db, w.space.id, { adamId: w.adamId });
    const byAction = (action: string) => lines.filter((l) => l.action === action);
    expect(byAction("command.retried")).toEqual([
      expect.objectContaining({
        actor: ADMIN,
        deviceId: a.id,
        adamId: w.adamId,
        message: `failed MDM command ${ok} back to pending, to be sent again`,
        messageKey: "command.retried",
        messageParams: { seq: ok },
        details: { seq: ok, kind: "install" },
        at: LATER,
      }),
    ]);
    expect(byAction("command.cancelled")).toEqual([
      expect.objectContaining({
        actor: ADMIN,
        deviceId: b.id,
        messageKey: "command.retry_license_not_live",
        messageParams: { seq: dead },
      }),
    ]);
  });
});
