import { randomUUID } from "node:crypto";
import { sql } from "kysely";
import { expect, it } from "vitest";
import type { LicenseState } from "../../src/licensing/index.js";
import { createAdmin } from "../../src/store/auth.repo.js";
import {
  claimIdempotencyKey,
  completeIdempotencyKey,
  IDEMPOTENCY_KEY_TTL_MS,
} from "../../src/store/idempotency.repo.js";
import type { OutboxState } from "../../src/store/license.table.js";
import type { MdmCommandState } from "../../src/store/mdm.table.js";
import {
  DEFAULT_RETENTION,
  type PruneCounts,
  type PruneCursor,
  pruneExpired,
  type RetentionPolicy,
} from "../../src/store/retention.repo.js";
import { describeEachDatabase, type TestDatabase } from "./databases.js";
import {
  accountWithSeats,
  appleNotificationAt,
  deviceLicenses,
  devices,
  NOW,
  spaceWithApp,
} from "./fixtures.js";

const DAY = 86_400_000;
/** `n` days before NOW (negative: after). */
const ago = (n: number) => new Date(NOW.getTime() - n * DAY);

/** Rows written as they would be after years of use, straight into the tables. */
function seeding(tdb: () => TestDatabase) {
  const db = () => tdb().store.db;

  async function space(): Promise<string> {
    return (await spaceWithApp(db(), "910001")).space.id;
  }

  async function session(expiresAt: Date): Promise<string> {
    const admin = await createAdmin(db(), {
      id: randomUUID(),
      login: `admin-${randomUUID().slice(0, 8)}`,
      displayName: "Admin",
      passwordHash: "x",
      isOwner: false,
      now: ago(1000),
    });
    const idHash = randomUUID();
    await sql`insert into sessions (id_hash, admin_id, created_at, expires_at)
      values (${idHash}, ${admin.id}, ${ago(1000).toISOString()}::timestamptz, ${expiresAt.toISOString()}::timestamptz)`.execute(
      db(),
    );
    return idHash;
  }

  const appleNotification = (spaceId: string, receivedAt: Date) =>
    appleNotificationAt(db(), spaceId, receivedAt);

  let thresholds = 0;
  async function notification(
    spaceId: string,
    input: {
      raisedAt: Date;
      clearedAt?: Date;
      deliveries?: Array<{ state: "pending" | "delivered" | "failed"; at: Date }>;
    },
  ): Promise<string> {
    const id = randomUUID();
    await db()
      .insertInto("notifications")
      .values({
        space_id: spaceId,
        id,
        kind: "license_usage",
        severity: "warning",
        component: "Apps and Books",
        title: "Usage",
        details: "{}",
        account_id: null,
        adam_id: null,
        // One open notification per (kind, account, app, threshold): each its own threshold.
        threshold: ++thresholds,
        raised_at: input.raisedAt,
        cleared_at: input.clearedAt ?? null,
        acknowledged_at: null,
        message_key: null,
        message_params: null,
      })
      .execute();
    const deliveries = input.deliveries ?? [];
    if (deliveries.length > 0)
      await db()
        .insertInto("notification_deliveries")
        .values(
          deliveries.map((d, i) => ({
            space_id: spaceId,
            notification_id: id,
            channel: `channel-${i}`,
            state: d.state,
            attempts: 1,
            not_before: null,
            claimed_until: null,
            last_error: d.state === "failed" ? "HTTP 401" : null,
            created_at: input.raisedAt,
            updated_at: d.at,
          })),
        )
        .execute();
    return id;
  }

  async function deliveryStates(spaceId: string, notificationId: string): Promise<string[]> {
    const rows = await db()
      .selectFrom("notification_deliveries")
      .select(["channel", "state"])
      .where("space_id", "=", spaceId)
      .where("notification_id", "=", notificationId)
      .orderBy("channel")
      .execute();
    return rows.map((r) => `${r.channel}:${r.state}`);
  }

  interface CommandInput {
    kind?: "install" | "remove";
    state: MdmCommandState;
    at: Date;
    licenseId?: string;
    appVersion?: string;
    awaitingLicense?: boolean;
    claimedUntil?: Date;
  }

  async function commands(
    spaceId: string,
    device: { id: string; serialNumber: string },
    adamId: string,
    inputs: readonly CommandInput[],
  ): Promise<string[]> {
    const ids = inputs.map(() => randomUUID());
    await db()
      .insertInto("mdm_commands")
      .values(
        inputs.map((c, i) => ({
          space_id: spaceId,
          id: ids[i] ?? "",
          kind: c.kind ?? "install",
          device_id: device.id,
          serial_number: device.serialNumber,
          adam_id: adamId,
          license_id: c.licenseId ?? null,
          app_version: c.appVersion ?? null,
          awaiting_license: c.awaitingLicense ?? false,
          state: c.state,
          last_error: null,
          not_before: null,
          claimed_until: c.claimedUntil ?? null,
          created_at: c.at,
          updated_at: c.at,
        })),
      )
      .execute();
    return ids;
  }

  async function activity(spaceId: string, ats: readonly Date[]): Promise<void> {
    for (const at of ats)
      await db()
        .insertInto("activity_log")
        .values({
          space_id: spaceId,
          at,
          actor_kind: "system",
          actor_id: null,
          action: "license.granted",
          user_id: null,
          device_id: null,
          adam_id: null,
          account_id: null,
          license_id: null,
          rule_ids: [],
          message: "granted",
          message_key: null,
          message_params: null,
          details: null,
        })
        .execute();
  }

  async function remaining(
    table: "apple_notifications" | "notifications" | "mdm_commands" | "activity_log",
    spaceId: string,
  ) {
    const row = await db()
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("space_id", "=", spaceId)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async function has(
    table: "apple_notifications" | "notifications" | "mdm_commands",
    spaceId: string,
    column: "dedupe_key" | "id",
    value: string,
  ): Promise<boolean> {
    const { rows } =
      await sql`select 1 from ${sql.table(table)} where space_id = ${spaceId} and ${sql.ref(column)} = ${value}`.execute(
        db(),
      );
    return rows.length > 0;
  }

  async function sessionExists(idHash: string): Promise<boolean> {
    const { rows } = await sql`select 1 from sessions where id_hash = ${idHash}`.execute(db());
    return rows.length > 0;
  }

  /** An Idempotency-Key first sent at `at`, its answer kept (or still in progress). */
  async function idempotencyKey(at: Date, state: "done" | "in_progress" = "done"): Promise<string> {
    const key = randomUUID();
    const owner = { kind: "api_token" as const, id: "tok_retention" };
    const claimId = randomUUID();
    const request = { method: "POST", path: "/api/v1/spaces/s/devices", bodyHash: "0".repeat(64) };
    await claimIdempotencyKey(db(), { owner, key, request, claimId, now: at });
    if (state === "done")
      await completeIdempotencyKey(db(), { owner, key, claimId, response: { status: 201, body: "{}" } });
    return key;
  }

  async function idempotencyKeyExists(key: string): Promise<boolean> {
    const { rows } = await sql`select 1 from idempotency_keys where key = ${key}`.execute(db());
    return rows.length > 0;
  }

  /** An operation for Apple in the outbox, in `state` since `at`; its seq. */
  async function operation(spaceId: string, state: OutboxState, at: Date): Promise<number> {
    const row = await db()
      .insertInto("outbox")
      .values({
        space_id: spaceId,
        account_id: "account-of-the-past",
        kind: "associate",
        adam_id: "910001",
        serial_number: "C02RETENTION",
        state,
        last_error: state === "failed" ? "9709 not enough licenses" : null,
        created_at: at,
        updated_at: at,
      })
      .returning("seq")
      .executeTakeFirstOrThrow();
    return Number(row.seq);
  }

  async function operationsLeft(spaceId: string): Promise<number[]> {
    const rows = await db()
      .selectFrom("outbox")
      .select("seq")
      .where("space_id", "=", spaceId)
      .orderBy("seq")
      .execute();
    return rows.map((r) => Number(r.seq));
  }

  /** An Apple call (Apple has not answered it), written at `at`: work, however old. */
  async function appleCall(spaceId: string, state: "sending" | "sent", at: Date): Promise<string> {
    const id = randomUUID();
    await db()
      .insertInto("apple_calls")
      .values({
        space_id: spaceId,
        id,
        account_id: "account-of-the-past",
        kind: "associate",
        assets: JSON.stringify([{ adamId: "910001", pricingParam: "STDQ" }]),
        ops: JSON.stringify([{ seq: 1, adamId: "910001", attempts: 0, createdAt: at.toISOString() }]),
        state,
        event_id: state === "sent" ? `event-${id}` : null,
        last_error: null,
        not_before: null,
        claimed_by: null,
        claimed_until: null,
        sent_at: state === "sent" ? at : null,
        created_at: at,
        updated_at: at,
      })
      .execute();
    return id;
  }

  /** An account with seats of the app, for licenses to be written in. */
  async function licensing(spaceId: string) {
    const adamId = "910001";
    const { account } = await accountWithSeats(db(), tdb().store.keys, { spaceId, adamId, total: 100 });
    return { spaceId, accountId: account.id, adamId };
  }

  /**
   * `count` device licenses in `state`, each on a device of its own (one live license per
   * device and app), released at `releasedAt` and in grace until `graceUntil` when given.
   */
  async function licenses(
    of: { spaceId: string; accountId: string; adamId: string },
    state: LicenseState,
    input: { releasedAt?: Date; graceUntil?: Date; count?: number } = {},
  ): Promise<string[]> {
    const ids = await deviceLicenses(db(), {
      ...of,
      devices: await devices(db(), of.spaceId, input.count ?? 1),
      state,
    });
    if (input.releasedAt || input.graceUntil)
      await db()
        .updateTable("licenses")
        .set({ released_at: input.releasedAt ?? null, grace_until: input.graceUntil ?? null })
        .where("space_id", "=", of.spaceId)
        .where("id", "in", ids)
        .execute();
    return ids;
  }

  async function licensesLeft(spaceId: string): Promise<string[]> {
    const rows = await db().selectFrom("licenses").select("id").where("space_id", "=", spaceId).execute();
    return rows.map((r) => r.id).sort();
  }

  return {
    space,
    session,
    appleNotification,
    notification,
    deliveryStates,
    commands,
    activity,
    remaining,
    has,
    sessionExists,
    idempotencyKey,
    idempotencyKeyExists,
    operation,
    operationsLeft,
    appleCall,
    licensing,
    licenses,
    licensesLeft,
  };
}

/**
 * History past its retention is deleted in bounded batches (the worker's hourly
 * housekeeping); what is newer, and what is still at work whatever its age, stays.
 * The tests of a block share a database: each asserts on the rows it wrote.
 */
describeEachDatabase("retention: pruning history", (tdb) => {
  const db = () => tdb().store.db;
  const {
    space,
    session,
    appleNotification,
    notification,
    deliveryStates,
    commands,
    activity,
    remaining,
    has,
    sessionExists,
    idempotencyKey,
    idempotencyKeyExists,
    operation,
    operationsLeft,
    appleCall,
    licensing,
    licenses,
    licensesLeft,
  } = seeding(tdb);

  it("deletes what is past its retention and keeps what is newer or still at work", async () => {
    const spaceId = await space();
    const adamId = "910001";

    const expiredLongAgo = await session(ago(2));
    const expiredToday = await session(ago(0.5));
    const live = await session(ago(-0.5));

    const appleOld = await appleNotification(spaceId, ago(31));
    const appleNew = await appleNotification(spaceId, ago(29));

    const deliveries = await notification(spaceId, {
      raisedAt: ago(200),
      deliveries: [
        { state: "delivered", at: ago(31) },
        { state: "delivered", at: ago(29) },
        { state: "failed", at: ago(91) },
        { state: "failed", at: ago(89) },
        { state: "pending", at: ago(400) },
      ],
    });
    const clearedOld = await notification(spaceId, { raisedAt: ago(500), clearedAt: ago(366) });
    const clearedOldDelivered = await notification(spaceId, {
      raisedAt: ago(500),
      clearedAt: ago(366),
      deliveries: [{ state: "delivered", at: ago(400) }],
    });
    const clearedOldPending = await notification(spaceId, {
      raisedAt: ago(500),
      clearedAt: ago(366),
      deliveries: [{ state: "pending", at: ago(400) }],
    });
    const clearedNew = await notification(spaceId, { raisedAt: ago(500), clearedAt: ago(364) });
    const open = await notification(spaceId, { raisedAt: ago(1000) });

    const { account } = await accountWithSeats(db(), tdb().store.keys, { spaceId, adamId, total: 10 });
    const [device] = await devices(db(), spaceId, 1);
    if (!device) throw new Error("no device");
    const [liveLicense] = await deviceLicenses(db(), {
      spaceId,
      accountId: account.id,
      adamId,
      devices: [device],
      state: "assigned",
    });
    const [releasedLicense] = await deviceLicenses(db(), {
      spaceId,
      accountId: account.id,
      adamId,
      devices: [device],
      state: "released",
    });
    await db()
      .insertInto("app_versions")
      .values({ adam_id: adamId, version: "2.0", seen_at: ago(100) })
      .execute();
    const [
      pending,
      claimed,
      awaiting,
      cancelled,
      failed,
      removed,
      installOfLiveLicense,
      installOfReleasedLicense,
      updateToNewest,
      updateToOlder,
      deliveredRecently,
    ] = await commands(spaceId, device, adamId, [
      { state: "pending", at: ago(200) },
      { state: "pending", at: ago(200), claimedUntil: ago(199) },
      { state: "pending", at: ago(200), licenseId: liveLicense, awaitingLicense: true },
      { state: "cancelled", at: ago(91) },
      { state: "failed", at: ago(91) },
      { kind: "remove", state: "delivered", at: ago(91) },
      { state: "delivered", at: ago(91), licenseId: liveLicense },
      { state: "delivered", at: ago(91), licenseId: releasedLicense },
      { state: "delivered", at: ago(91), licenseId: liveLicense, appVersion: "2.0" },
      { state: "delivered", at: ago(91), licenseId: liveLicense, appVersion: "1.0" },
      { state: "delivered", at: ago(89) },
    ]);

    await activity(spaceId, [ago(800), ago(731), ago(729), ago(1)]);

    const counts = await pruneExpired(db(), DEFAULT_RETENTION, NOW);

    expect(await sessionExists(expiredLongAgo)).toBe(false);
    expect(await sessionExists(expiredToday)).toBe(true);
    expect(await sessionExists(live)).toBe(true);

    expect(await has("apple_notifications", spaceId, "dedupe_key", appleOld)).toBe(false);
    expect(await has("apple_notifications", spaceId, "dedupe_key", appleNew)).toBe(true);

    // Delivered after 30 days, failed after 90, pending never.
    expect(await deliveryStates(spaceId, deliveries)).toEqual([
      "channel-1:delivered",
      "channel-3:failed",
      "channel-4:pending",
    ]);
    // Cleared a year ago: gone, with its deliveries pruned first; kept while one is pending.
    expect(await has("notifications", spaceId, "id", clearedOld)).toBe(false);
    expect(await has("notifications", spaceId, "id", clearedOldDelivered)).toBe(false);
    expect(await has("notifications", spaceId, "id", clearedOldPending)).toBe(true);
    expect(await deliveryStates(spaceId, clearedOldPending)).toEqual(["channel-0:pending"]);
    expect(await has("notifications", spaceId, "id", clearedNew)).toBe(true);
    expect(await has("notifications", spaceId, "id", open)).toBe(true);
    expect(await has("notifications", spaceId, "id", deliveries)).toBe(true);

    const commandLeft = async (id: string | undefined) => has("mdm_commands", spaceId, "id", id ?? "");
    // Never a command still at work, however old.
    expect(await commandLeft(pending)).toBe(true);
    expect(await commandLeft(claimed)).toBe(true);
    expect(await commandLeft(awaiting)).toBe(true);
    // Finished over 90 days ago: gone, unless it is what stops the same command going again.
    expect(await commandLeft(cancelled)).toBe(false);
    expect(await commandLeft(failed)).toBe(false);
    expect(await commandLeft(removed)).toBe(false);
    expect(await commandLeft(installOfLiveLicense)).toBe(true);
    expect(await commandLeft(installOfReleasedLicense)).toBe(false);
    expect(await commandLeft(updateToNewest)).toBe(true);
    expect(await commandLeft(updateToOlder)).toBe(false);
    expect(await commandLeft(deliveredRecently)).toBe(true);

    const lines = await db()
      .selectFrom("activity_log")
      .select("at")
      .where("space_id", "=", spaceId)
      .orderBy("seq")
      .execute();
    expect(lines.map((l) => l.at.getTime())).toEqual([ago(729).getTime(), ago(1).getTime()]);

    // The file's first test: its rows are all the database holds.
    expect(counts).toEqual({
      sessions: 1,
      apple_notifications: 1,
      notification_deliveries: 3,
      notifications: 2,
      mdm_commands: 5,
      outbox: 0,
      // The released license was never given a release time (written as is): kept.
      licenses: 0,
      activity_log: 2,
      idempotency_keys: 0,
    });
  });

  it("keeps the activity log forever at 0, and whatever else is set to 0", async () => {
    const spaceId = await space();
    await activity(spaceId, [ago(5000), ago(731)]);
    await appleNotification(spaceId, ago(400));
    const forever: RetentionPolicy = {
      expiredSessionDays: 0,
      appleNotificationDays: 0,
      deliveredDeliveryDays: 0,
      failedDeliveryDays: 0,
      clearedNotificationDays: 0,
      finishedMdmCommandDays: 0,
      finishedAppleOperationDays: 0,
      releasedLicenseDays: 0,
      activityDays: 0,
      idempotencyKeyDays: 0,
    };
    const counts = await pruneExpired(db(), forever, NOW);
    expect(Object.values(counts).every((n) => n === 0)).toBe(true);
    expect(await remaining("activity_log", spaceId)).toBe(2);
    expect(await remaining("apple_notifications", spaceId)).toBe(1);

    // The activity log alone kept: the rest goes as usual.
    await pruneExpired(db(), { ...DEFAULT_RETENTION, activityDays: 0 }, NOW);
    expect(await remaining("activity_log", spaceId)).toBe(2);
    expect(await remaining("apple_notifications", spaceId)).toBe(0);
  });

  it("an Idempotency-Key goes 24 hours after it was first sent, answered or left in progress", async () => {
    const hours = (n: number) => new Date(NOW.getTime() - n * 3_600_000);
    expect(DEFAULT_RETENTION.idempotencyKeyDays * DAY).toBe(IDEMPOTENCY_KEY_TTL_MS);
    const old = await idempotencyKey(hours(25));
    const oldInProgress = await idempotencyKey(hours(25), "in_progress");
    const recent = await idempotencyKey(hours(23));
    const counts = await pruneExpired(db(), DEFAULT_RETENTION, NOW);
    expect(counts.idempotency_keys).toBe(2);
    expect(await idempotencyKeyExists(old)).toBe(false);
    expect(await idempotencyKeyExists(oldInProgress)).toBe(false);
    expect(await idempotencyKeyExists(recent)).toBe(true);
    // At 0 they are kept (they still count as new after 24 hours: idempotency.repo.ts).
    const kept = await idempotencyKey(hours(100));
    expect(
      (await pruneExpired(db(), { ...DEFAULT_RETENTION, idempotencyKeyDays: 0 }, NOW)).idempotency_keys,
    ).toBe(0);
    expect(await idempotencyKeyExists(kept)).toBe(true);
    // Two hours later, the recent one is past its 24 hours too.
    await pruneExpired(db(), DEFAULT_RETENTION, new Date(NOW.getTime() + 2 * 3_600_000));
    expect(await idempotencyKeyExists(recent)).toBe(false);
  });

  it("operations for Apple done or failed go after their retention; pending ones and Apple calls never, and 0 keeps them", async () => {
    const spaceId = await space();
    const failedOld = await operation(spaceId, "failed", ago(91));
    const doneOld = await operation(spaceId, "done", ago(91));
    const failedRecent = await operation(spaceId, "failed", ago(89));
    const doneRecent = await operation(spaceId, "done", ago(89));
    // Work still to send, however old (an account paused for months, NT2), and calls in flight.
    const pending = await operation(spaceId, "pending", ago(1000));
    const sending = await appleCall(spaceId, "sending", ago(1000));
    const sent = await appleCall(spaceId, "sent", ago(1000));

    // At 0 (HISTORY_RETENTION_DAYS=0) every one is kept.
    expect(
      (await pruneExpired(db(), { ...DEFAULT_RETENTION, finishedAppleOperationDays: 0 }, NOW)).outbox,
    ).toBe(0);
    expect(await operationsLeft(spaceId)).toEqual([failedOld, doneOld, failedRecent, doneRecent, pending]);

    const counts = await pruneExpired(db(), DEFAULT_RETENTION, NOW);
    expect(counts.outbox).toBe(2);
    expect(await operationsLeft(spaceId)).toEqual([failedRecent, doneRecent, pending]);
    const calls = await db().selectFrom("apple_calls").select("id").where("space_id", "=", spaceId).execute();
    expect(calls.map((c) => c.id).sort()).toEqual([sending, sent].sort());
  });

  it("RV2: a release Apple refused is kept however old while its license still waits for it (pending_release)", async () => {
    const spaceId = await space();
    const of = await licensing(spaceId);
    const [releasing] = await licenses(of, "pending_release");
    const [released] = await licenses(of, "released", { releasedAt: ago(10) });
    const refusedRelease = async (licenseId: string | undefined) => {
      const seq = await operation(spaceId, "failed", ago(1000));
      await db()
        .updateTable("outbox")
        .set({ kind: "disassociate", license_id: licenseId ?? null, last_error: "9706 not revocable" })
        .where("space_id", "=", spaceId)
        .where("seq", "=", seq)
        .execute();
      return seq;
    };
    const waitedFor = await refusedRelease(String(releasing));
    const settled = await refusedRelease(String(released));
    await pruneExpired(db(), DEFAULT_RETENTION, NOW);
    expect(await operationsLeft(spaceId)).toEqual([waitedFor]);
    expect(settled).toBeGreaterThan(waitedFor);
  });

  it("released licenses go after their retention; live, releasing and in-grace ones never, and 0 keeps them", async () => {
    const spaceId = await space();
    const of = await licensing(spaceId);
    const [releasedOld] = await licenses(of, "released", { releasedAt: ago(731) });
    const [releasedRecent] = await licenses(of, "released", { releasedAt: ago(729) });
    // Held however old: assigned or asked for, being released, in its RV3 grace.
    const [assigned] = await licenses(of, "assigned");
    const [asked] = await licenses(of, "pending_assign");
    const [releasing] = await licenses(of, "pending_release");
    const [inGrace] = await licenses(of, "in_grace", { releasedAt: ago(1000), graceUntil: ago(-1) });
    await db()
      .updateTable("licenses")
      .set({ created_at: ago(3000), updated_at: ago(3000), assigned_at: ago(3000) })
      .where("space_id", "=", spaceId)
      .execute();
    const all = [releasedOld, releasedRecent, assigned, asked, releasing, inGrace].map(String).sort();

    // At 0 (RELEASED_LICENSE_RETENTION_DAYS=0) every one is kept.
    expect((await pruneExpired(db(), { ...DEFAULT_RETENTION, releasedLicenseDays: 0 }, NOW)).licenses).toBe(
      0,
    );
    expect(await licensesLeft(spaceId)).toEqual(all);

    const counts = await pruneExpired(db(), DEFAULT_RETENTION, NOW);
    expect(counts.licenses).toBe(1);
    expect(await licensesLeft(spaceId)).toEqual(all.filter((id) => id !== releasedOld));

    // A license released since is pruned once its own time has come.
    await pruneExpired(db(), DEFAULT_RETENTION, ago(-2));
    expect(await licensesLeft(spaceId)).toEqual([assigned, asked, releasing, inGrace].map(String).sort());
  });

  it("reads each space's activity in the order written: a space whose first line is within the retention waits for it", async () => {
    const [a, b] = [await space(), await space()];
    const left = async (spaceId: string) =>
      (
        await db()
          .selectFrom("activity_log")
          .select("at")
          .where("space_id", "=", spaceId)
          .orderBy("seq")
          .execute()
      ).map((l) => l.at.getTime());
    // Out of time order (two writers' clocks): old lines around a recent one go, in one window.
    await activity(a, [ago(800), ago(10), ago(800)]);
    // The space's first line is recent: its lines are not read further.
    await activity(b, [ago(10), ago(800)]);
    await pruneExpired(db(), DEFAULT_RETENTION, NOW);
    expect(await left(a)).toEqual([ago(10).getTime()]);
    expect(await left(b)).toEqual([ago(10).getTime(), ago(800).getTime()]);
    // Once the first line is past the retention too, both go.
    await pruneExpired(db(), DEFAULT_RETENTION, ago(-721));
    expect(await left(b)).toEqual([]);
  });
});

/** Its own database: the first call's counts are the rows these tests wrote. */
describeEachDatabase("retention: pruning in bounded batches", (tdb) => {
  const db = () => tdb().store.db;
  const {
    space,
    session,
    appleNotification,
    notification,
    commands,
    activity,
    remaining,
    sessionExists,
    idempotencyKey,
    idempotencyKeyExists,
    operation,
    operationsLeft,
    licensing,
    licenses,
    licensesLeft,
  } = seeding(tdb);

  it("deletes at most its batches' worth per table in one call; later calls finish", async () => {
    const limits = { batchSize: 4, maxBatches: 2 };
    const bound = limits.batchSize * limits.maxBatches;
    const old = ago(5000);
    const spaces = [await space(), await space()];
    const sessions: string[] = [];
    for (let i = 0; i < 11; i++) sessions.push(await session(old));
    const keys: string[] = [];
    for (let i = 0; i < 11; i++) keys.push(await idempotencyKey(old));
    for (const spaceId of spaces) {
      for (let i = 0; i < 11; i++) await appleNotification(spaceId, old);
      for (let i = 0; i < 11; i++)
        await notification(spaceId, {
          raisedAt: old,
          clearedAt: old,
          deliveries: [{ state: "delivered", at: old }],
        });
      const [device] = await devices(db(), spaceId, 1);
      if (!device) throw new Error("no device");
      await commands(
        spaceId,
        device,
        "910001",
        Array.from({ length: 11 }, () => ({ state: "cancelled" as const, at: old })),
      );
      await activity(
        spaceId,
        Array.from({ length: 11 }, () => old),
      );
      for (let i = 0; i < 11; i++) await operation(spaceId, i % 2 ? "done" : "failed", old);
      await licenses(await licensing(spaceId), "released", { releasedAt: old, count: 11 });
    }

    const calls: PruneCounts[] = [];
    const cursor: PruneCursor = {};
    for (let i = 0; i < 10; i++) {
      const counts = await pruneExpired(db(), DEFAULT_RETENTION, NOW, { limits, cursor });
      calls.push(counts);
      if (Object.values(counts).every((n) => n === 0)) break;
    }
    // The first call: the bound of every table (each has more than that to delete).
    expect(calls[0]).toEqual({
      sessions: bound,
      apple_notifications: bound,
      notification_deliveries: bound,
      notifications: bound,
      mdm_commands: bound,
      outbox: bound,
      licenses: bound,
      activity_log: bound,
      idempotency_keys: bound,
    });
    for (const counts of calls) for (const n of Object.values(counts)) expect(n).toBeLessThanOrEqual(bound);
    expect(calls.length).toBeGreaterThan(2);
    expect(Object.values(calls.at(-1) ?? {}).every((n) => n === 0)).toBe(true);

    for (const idHash of sessions) expect(await sessionExists(idHash)).toBe(false);
    for (const key of keys) expect(await idempotencyKeyExists(key)).toBe(false);
    for (const spaceId of spaces) {
      expect(await remaining("apple_notifications", spaceId)).toBe(0);
      expect(await remaining("notifications", spaceId)).toBe(0);
      expect(await remaining("mdm_commands", spaceId)).toBe(0);
      expect(await remaining("activity_log", spaceId)).toBe(0);
      expect(await operationsLeft(spaceId)).toEqual([]);
      expect(await licensesLeft(spaceId)).toEqual([]);
    }
  });

  it("walks on through MDM commands that must stay, from where the last call stopped", async () => {
    const spaceId = await space();
    const [device] = await devices(db(), spaceId, 1);
    if (!device) throw new Error("no device");
    const old = ago(5000);
    // The oldest commands stay (pending), more of them than one call reads.
    const pending = await commands(
      spaceId,
      device,
      "910001",
      Array.from({ length: 10 }, () => ({ state: "pending" as const, at: old })),
    );
    await commands(
      spaceId,
      device,
      "910001",
      Array.from({ length: 10 }, () => ({ state: "failed" as const, at: old })),
    );
    const limits = { batchSize: 4, maxBatches: 1 };

    // Each call on its own starts at the beginning, and reads only commands that stay.
    const alone = await pruneExpired(db(), DEFAULT_RETENTION, NOW, { limits });
    expect(alone.mdm_commands).toBe(0);

    const cursor: PruneCursor = {};
    const deleted: number[] = [];
    for (let i = 0; i < 10 && (await remaining("mdm_commands", spaceId)) > pending.length; i++)
      deleted.push((await pruneExpired(db(), DEFAULT_RETENTION, NOW, { limits, cursor })).mdm_commands);
    expect(deleted).toEqual([0, 0, 2, 4, 4]);
    expect(await remaining("mdm_commands", spaceId)).toBe(pending.length);
  });
});
