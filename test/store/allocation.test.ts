import { expect, it } from "vitest";
import type { LicenseRequest } from "../../src/licensing/index.js";
import { type AppleCall, toCall } from "../../src/store/apple-calls.repo.js";
import type { Db } from "../../src/store/database.js";
import {
  countSeatsHeld,
  createSpace,
  createUser,
  failAssignment,
  getAsset,
  getLicense,
  insertLicenses,
  listActivity,
  listOutbox,
  listWaitingRequests,
  markAssigned,
  markReleased,
  releaseLicenses,
  requestLicenses,
  withTransaction,
} from "../../src/store/index.js";
import { appendOutbox } from "../../src/store/outbox.repo.js";
import { describeEachDatabase } from "./databases.js";
import { accountWithSeats, devices, NOW, SYSTEM, spaceWithApp } from "./fixtures.js";

const LATER = new Date(NOW.getTime() + 60_000);

async function callsOf(db: Db, spaceId: string): Promise<AppleCall[]> {
  const rows = await db.selectFrom("apple_calls").selectAll().where("space_id", "=", spaceId).execute();
  return rows.map(toCall);
}

describeEachDatabase("requestLicenses", (database) => {
  const mandatory = (spaceId: string, adamId: string, deviceId: string): LicenseRequest => ({
    spaceId,
    adamId,
    subject: { kind: "device", deviceId },
    why: "mandatory",
  });

  it("invariant 3: a grant becomes a pending license, an associate entry and an activity entry with its rule ids, in one go", async () => {
    const { db, keys } = database().store;
    const { space, adamId } = await spaceWithApp(db);
    const { account } = await accountWithSeats(db, keys, { spaceId: space.id, adamId, total: 3 });
    const [device] = await devices(db, space.id, 1);
    const [result] = await requestLicenses(db, {
      spaceId: space.id,
      adamId,
      requests: [mandatory(space.id, adamId, device?.id ?? "")],
      actor: { kind: "mdm", id: "check-in" },
      now: NOW,
    });
    expect(result?.decision).toMatchObject({ outcome: "grant", accountId: account.id, type: "device" });
    const licenseId = result?.licenseId ?? "";
    const license = await getLicense(db, space.id, licenseId);
    expect(license).toMatchObject({
      state: "pending_assign",
      type: "device",
      deviceId: device?.id,
      accountId: account.id,
    });
    expect(license.ruleIds).toEqual(result?.decision.because);
    // One grant does not fill an Apple call: it waits in the outbox, grouped by the dispatcher.
    const [outbox] = await listOutbox(db, { spaceId: space.id, licenseId });
    expect(outbox).toMatchObject({
      kind: "associate",
      serialNumber: device?.serialNumber,
      pricingParam: "STDQ",
      state: "pending",
    });
    const [log] = await listActivity(db, space.id, { licenseId });
    expect(log).toMatchObject({
      action: "license.granted",
      actor: { kind: "mdm", id: "check-in" },
      deviceId: device?.id,
    });
    expect(log?.ruleIds).toEqual(result?.decision.because);
    expect((await getAsset(db, space.id, account.id, adamId)).used).toBe(1);
  });

  it("invariant 3: device grants that fill an Apple call (1,000 serials) are written as that call, each operation with its own seq; the rest waits in the outbox", async () => {
    const { db, keys } = database().store;
    const { space, adamId } = await spaceWithApp(db);
    await accountWithSeats(db, keys, { spaceId: space.id, adamId, total: 2500 });
    const fleet = await devices(db, space.id, 2100);
    const results = await requestLicenses(db, {
      spaceId: space.id,
      adamId,
      requests: fleet.map((d) => mandatory(space.id, adamId, d.id)),
      actor: SYSTEM,
      now: NOW,
    });
    expect(results.every((r) => r.decision.outcome === "grant")).toBe(true);
    const calls = await callsOf(db, space.id);
    expect(calls.map((c) => c.ops.length)).toEqual([1000, 1000]);
    const rest = await listOutbox(db, { spaceId: space.id, kind: "associate" });
    expect(rest).toHaveLength(100);
    const ops = [...calls.flatMap((c) => c.ops), ...rest];
    expect(new Set(ops.map((o) => o.seq)).size).toBe(2100);
    expect(new Set(ops.map((o) => o.licenseId))).toEqual(new Set(results.map((r) => r.licenseId)));
    expect(new Set(ops.map((o) => o.serialNumber))).toEqual(new Set(fleet.map((d) => d.serialNumber)));
  });

  it("invariant 3: a grant waits in the outbox, for the dispatcher to hold, while a release of its serial is pending or any release is in a call", async () => {
    const { db, keys } = database().store;
    const { space, adamId } = await spaceWithApp(db);
    const { account } = await accountWithSeats(db, keys, { spaceId: space.id, adamId, total: 3000 });
    const fleet = await devices(db, space.id, 2001);
    const [releasing] = fleet;
    const grant = async (batch: typeof fleet) =>
      (
        await requestLicenses(db, {
          spaceId: space.id,
          adamId,
          requests: batch.map((d) => mandatory(space.id, adamId, d.id)),
          actor: SYSTEM,
          now: NOW,
        })
      ).map((r) => r.licenseId ?? "");
    const inOutbox = async () =>
      new Set((await listOutbox(db, { spaceId: space.id, kind: "associate" })).map((o) => o.licenseId));
    const inCalls = async () =>
      new Set(
        (await callsOf(db, space.id))
          .filter((c) => c.kind === "associate")
          .flatMap((c) => c.ops.map((o) => o.licenseId)),
      );

    // A release of the first device's serial still waits in the outbox (any app: a revoke would do too).
    await appendOutbox(db, [
      {
        spaceId: space.id,
        accountId: account.id,
        kind: "disassociate",
        adamId,
        pricingParam: "STDQ",
        serialNumber: releasing?.serialNumber,
        now: NOW,
      },
    ]);
    // 1,001 grants: the held one waits in the outbox, the 1,000 others fill a call.
    const [held, ...sent] = await grant(fleet.slice(0, 1001));
    expect(await inOutbox()).toEqual(new Set([held]));
    expect(await inCalls()).toEqual(new Set(sent));

    // A revoke is in a call Apple has not answered yet: every grant goes through the outbox
    // (the dispatcher compares subjects; the grant does not read the calls' operations).
    await db
      .insertInto("apple_calls")
      .values({
        space_id: space.id,
        id: "revoke-in-flight",
        account_id: account.id,
        kind: "revoke",
        assets: "[]",
        ops: JSON.stringify([
          { seq: 1, serialNumber: fleet[1001]?.serialNumber, attempts: 0, createdAt: NOW.toISOString() },
        ]),
        state: "sent",
        event_id: "event-1",
        created_at: NOW,
        updated_at: NOW,
      })
      .execute();
    const waiting = await grant(fleet.slice(1001));
    expect(await inOutbox()).toEqual(new Set([held, ...waiting]));
    expect(await inCalls()).toEqual(new Set(sent));
  });

  it("LT4: the same subject twice in a batch gets one license, then keeps it", async () => {
    const { db, keys } = database().store;
    const { space, adamId } = await spaceWithApp(db);
    await accountWithSeats(db, keys, { spaceId: space.id, adamId, total: 3 });
    const [device] = await devices(db, space.id, 1);
    const request = mandatory(space.id, adamId, device?.id ?? "");
    const results = await requestLicenses(db, {
      spaceId: space.id,
      adamId,
      requests: [request, request],
      actor: SYSTEM,
      now: NOW,
    });
    expect(results.map((r) => r.decision.outcome)).toEqual(["grant", "keep"]);
    const again = await requestLicenses(db, {
      spaceId: space.id,
      adamId,
      requests: [request],
      actor: SYSTEM,
      now: NOW,
    });
    expect(again[0]?.decision).toMatchObject({ outcome: "keep", licenseId: results[0]?.licenseId });
  });

  it("invariant 2 by the schema: a second live license for the same device is refused and rolls back cleanly", async () => {
    const { db, keys } = database().store;
    const { space, adamId } = await spaceWithApp(db);
    const { account } = await accountWithSeats(db, keys, { spaceId: space.id, adamId, total: 3 });
    const [device] = await devices(db, space.id, 1);
    const row = {
      spaceId: space.id,
      accountId: account.id,
      adamId,
      type: "device" as const,
      deviceId: device?.id,
      now: NOW,
    };
    await insertLicenses(db, [{ ...row, state: "assigned" }]);
    await expect(
      withTransaction(db, async (trx) => {
        await insertLicenses(trx, [{ ...row, state: "in_grace" }]); // not live: allowed
        await insertLicenses(trx, [{ ...row, state: "pending_assign" }]);
      }),
    ).rejects.toMatchObject({ code: "23505" });
    expect(await countSeatsHeld(db, space.id, adamId)).toEqual(new Map([[account.id, 1]]));
    const user = await createUser(db, { spaceId: space.id, name: "u", appleStatus: "Associated" });
    const userRow = {
      spaceId: space.id,
      accountId: account.id,
      adamId,
      type: "user" as const,
      userId: user.id,
      now: NOW,
    };
    await insertLicenses(db, [{ ...userRow, state: "pending_assign" }]);
    await expect(insertLicenses(db, [{ ...userRow, state: "assigned" }])).rejects.toMatchObject({
      code: "23505",
    });
  });

  it("DB2: with no seat left, a mandatory install waits in the queue in order of request; a grant leaves it", async () => {
    const { db, keys } = database().store;
    const { space, adamId } = await spaceWithApp(db);
    await accountWithSeats(db, keys, { spaceId: space.id, adamId, total: 2, used: 1 });
    const ds = await devices(db, space.id, 3);
    const requests = ds.map((d) => mandatory(space.id, adamId, d.id));
    const results = await requestLicenses(db, {
      spaceId: space.id,
      adamId,
      requests,
      actor: SYSTEM,
      now: NOW,
    });
    expect(results.map((r) => r.decision.outcome)).toEqual(["grant", "wait", "wait"]);
    expect(results[1]?.decision).toMatchObject({ reason: "no_license", because: ["DB2"] });
    const waiting = await listWaitingRequests(db, space.id, adamId);
    expect(waiting.map((w) => w.subject)).toEqual([requests[1]?.subject, requests[2]?.subject]);
    // Deciding them again keeps their place in the queue.
    await requestLicenses(db, {
      spaceId: space.id,
      adamId,
      requests: [requests[2], requests[1]].flatMap((r) => (r ? [r] : [])),
      actor: SYSTEM,
      now: LATER,
    });
    expect((await listWaitingRequests(db, space.id, adamId)).map((w) => w.subject)).toEqual(
      waiting.map((w) => w.subject),
    );
  });

  it("invariant 4: release, Apple's confirmations and failures each change state, seats and the log", async () => {
    const { db, keys } = database().store;
    const { space, adamId } = await spaceWithApp(db);
    const { account } = await accountWithSeats(db, keys, { spaceId: space.id, adamId, total: 5 });
    const ds = await devices(db, space.id, 3);
    const results = await requestLicenses(db, {
      spaceId: space.id,
      adamId,
      requests: ds.map((d) => mandatory(space.id, adamId, d.id)),
      actor: SYSTEM,
      now: NOW,
    });
    const [l1, l2, l3] = results.map((r) => r.licenseId ?? "");
    const used = async () => (await getAsset(db, space.id, account.id, adamId)).used;
    expect(await used()).toBe(3);

    const apple = { kind: "apple" } as const;
    expect(
      (
        await markAssigned(db, {
          spaceId: space.id,
          licenseIds: [l1 ?? "", l2 ?? ""],
          actor: apple,
          now: LATER,
        })
      ).length,
    ).toBe(2);
    await failAssignment(db, {
      spaceId: space.id,
      licenseIds: [l3 ?? ""],
      actor: apple,
      reason: "9632",
      now: LATER,
    });
    expect((await getLicense(db, space.id, l3 ?? "")).state).toBe("released");
    expect(await used()).toBe(2);

    const grace = new Date(LATER.getTime() + 30 * 86_400_000);
    const admin = { kind: "admin", id: "root" } as const;
    await releaseLicenses(db, {
      spaceId: space.id,
      licenseIds: [l1 ?? "", l2 ?? ""],
      actor: admin,
      because: ["RV2"],
      graceUntil: grace,
      now: LATER,
    });
    expect(await used()).toBe(2); // still held until Apple confirms
    const disassociate = await listOutbox(db, { spaceId: space.id, kind: "disassociate" });
    expect(disassociate.map((o) => o.licenseId).sort()).toEqual([l1, l2].sort());
    await markReleased(db, { spaceId: space.id, licenseIds: [l1 ?? ""], actor: apple, now: LATER });
    expect(await getLicense(db, space.id, l1 ?? "")).toMatchObject({ state: "in_grace", graceUntil: grace });
    expect(await used()).toBe(1);
    // Idempotent: confirming twice frees nothing more.
    await markReleased(db, { spaceId: space.id, licenseIds: [l1 ?? ""], actor: apple, now: LATER });
    expect(await used()).toBe(1);

    const log = await listActivity(db, space.id, { licenseId: l1 ?? "" });
    expect(log.map((e) => [e.action, e.actor.kind]).reverse()).toEqual([
      ["license.granted", "system"],
      ["license.assigned", "apple"],
      ["license.release_requested", "admin"],
      ["license.released", "apple"],
    ]);
    for (const entry of log) expect(entry.ruleIds.length).toBeGreaterThan(0);
    expect(log.find((e) => e.action === "license.release_requested")?.ruleIds).toEqual(["RV2"]);
    await expect(
      markAssigned(db, { spaceId: space.id, licenseIds: ["nope"], actor: apple, now: LATER }),
    ).rejects.toMatchObject({ code: "not_found", entity: "license" });
  });

  it("bad input is a typed error, never a grant: unknown space, unknown app, subject of another space, mixed batch", async () => {
    const { db, keys } = database().store;
    const { space, adamId } = await spaceWithApp(db);
    const { account } = await accountWithSeats(db, keys, { spaceId: space.id, adamId, total: 5 });
    const other = await createSpace(db, { name: "other" });
    const [foreign] = await devices(db, other.id, 1);
    const [mine] = await devices(db, space.id, 1);
    const call = (spaceId: string, app: string, deviceIds: string[]) =>
      requestLicenses(db, {
        spaceId,
        adamId: app,
        requests: deviceIds.map((d) => mandatory(spaceId, app, d)),
        actor: SYSTEM,
        now: NOW,
      });
    await expect(call("nowhere", adamId, [mine?.id ?? ""])).rejects.toMatchObject({
      code: "not_found",
      entity: "space",
    });
    await expect(call(space.id, "123", [mine?.id ?? ""])).rejects.toMatchObject({
      code: "not_found",
      entity: "app",
    });
    await expect(call(space.id, adamId, [mine?.id ?? "", foreign?.id ?? ""])).rejects.toMatchObject({
      entity: "device",
    });
    await expect(
      requestLicenses(db, {
        spaceId: space.id,
        adamId,
        requests: [mandatory(other.id, adamId, foreign?.id ?? "")],
        actor: SYSTEM,
        now: NOW,
      }),
    ).rejects.toMatchObject({ code: "invalid_request" });
    expect(await countSeatsHeld(db, space.id, adamId)).toEqual(new Map());
    expect((await getAsset(db, space.id, account.id, adamId)).used).toBe(0);
  });
});
