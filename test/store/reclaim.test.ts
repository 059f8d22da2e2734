import { createHash, randomUUID } from "node:crypto";
import { sql } from "kysely";
import { expect, it } from "vitest";
import type { LicenseState, LicenseType } from "../../src/licensing/index.js";
import {
  createDevice,
  createUser,
  type Db,
  insertLicenses,
  recordCheckIn,
  setCatalogApp,
  upsertAsset,
} from "../../src/store/index.js";
import {
  type InactivityCriteria,
  inactiveBefore,
  inactiveSet,
  listInactiveLicenses,
} from "../../src/store/reclaim.repo.js";
import { describeEachDatabase } from "./databases.js";
import { accountWithSeats, NOW, spaceWithApp } from "./fixtures.js";

const DAY = 86_400_000;
const daysAgo = (days: number, plusMs = 0) => new Date(NOW.getTime() - days * DAY + plusMs);
const CUTOFF = inactiveBefore(NOW, 90);

/** A device created at `createdAt`, last checked in at `lastCheckInAt` (null: never). */
async function device(
  db: Db,
  spaceId: string,
  input: { createdAt: Date; lastCheckInAt: Date | null; userId?: string },
) {
  const d = await createDevice(db, {
    spaceId,
    serialNumber: `R${randomUUID().slice(0, 10).toUpperCase()}`,
    platform: "iOS",
    ...(input.userId ? { userId: input.userId } : {}),
  });
  await db
    .updateTable("devices")
    .set({ created_at: input.createdAt, last_check_in_at: input.lastCheckInAt })
    .where("space_id", "=", spaceId)
    .where("id", "=", d.id)
    .execute();
  return d;
}

/** The license's device checks in now: its subject is no longer inactive. */
async function checkInAgain(db: Db, spaceId: string, licenseId: string) {
  const { device_id } = await db
    .selectFrom("licenses")
    .select("device_id")
    .where("space_id", "=", spaceId)
    .where("id", "=", licenseId)
    .executeTakeFirstOrThrow();
  await recordCheckIn(db, spaceId, device_id ?? "", NOW);
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** How many licenses the criteria find, as a reclaim's preview counts them. */
const countInactive = async (db: Db, spaceId: string, criteria: InactivityCriteria) =>
  (await inactiveSet(db, spaceId, criteria, { take: 0 })).count;

async function user(db: Db, spaceId: string, name: string, createdAt: Date) {
  const u = await createUser(db, { spaceId, name });
  await db
    .updateTable("users")
    .set({ created_at: createdAt })
    .where("space_id", "=", spaceId)
    .where("id", "=", u.id)
    .execute();
  return u;
}

async function license(
  db: Db,
  key: { spaceId: string; accountId: string; adamId: string },
  subject: { type: LicenseType; id: string },
  state: LicenseState = "assigned",
): Promise<string> {
  const [id] = await insertLicenses(db, [
    {
      ...key,
      type: subject.type,
      ...(subject.type === "device" ? { deviceId: subject.id } : { userId: subject.id }),
      state,
      now: NOW,
    },
  ]);
  return id ?? "";
}

describeEachDatabase("licenses held by inactive subjects (reclaim)", (database) => {
  async function world() {
    const { db, keys } = database().store;
    const { space, adamId } = await spaceWithApp(db);
    const { account } = await accountWithSeats(db, keys, { spaceId: space.id, adamId, total: 50 });
    const key = { spaceId: space.id, accountId: account.id, adamId };
    return { db, keys, space, adamId, account, key };
  }

  it("a device not checked in for exactly N days is inactive, one that checked in a millisecond later is not; a device that never checked in counts from its creation", async () => {
    const { db, space, key } = await world();
    const old = daysAgo(400);
    const atBoundary = await device(db, space.id, { createdAt: old, lastCheckInAt: CUTOFF });
    const justAfter = await device(db, space.id, { createdAt: old, lastCheckInAt: daysAgo(90, 1) });
    const neverOld = await device(db, space.id, { createdAt: daysAgo(91), lastCheckInAt: null });
    const neverNew = await device(db, space.id, { createdAt: daysAgo(10), lastCheckInAt: null });
    const ids = {
      atBoundary: await license(db, key, { type: "device", id: atBoundary.id }),
      justAfter: await license(db, key, { type: "device", id: justAfter.id }),
      neverOld: await license(db, key, { type: "device", id: neverOld.id }),
      neverNew: await license(db, key, { type: "device", id: neverNew.id }),
    };
    const criteria: InactivityCriteria = { inactiveBefore: CUTOFF };
    expect(CUTOFF).toEqual(daysAgo(90));
    expect(await countInactive(db, space.id, criteria)).toBe(2);
    const found = await listInactiveLicenses(db, space.id, criteria, { limit: 10 });
    expect(found.map((l) => l.id).sort()).toEqual([ids.atBoundary, ids.neverOld].sort());
    const byId = new Map(found.map((l) => [l.id, l]));
    expect(byId.get(ids.atBoundary)).toMatchObject({
      type: "device",
      deviceId: atBoundary.id,
      serialNumber: atBoundary.serialNumber,
      lastCheckInAt: CUTOFF,
      inactiveSince: CUTOFF,
      accountId: key.accountId,
      adamId: key.adamId,
      appName: "Pages",
    });
    // Never checked in: no check-in date, inactive since its creation.
    expect(byId.get(ids.neverOld)?.lastCheckInAt).toBeUndefined();
    expect(byId.get(ids.neverOld)?.inactiveSince).toEqual(daysAgo(91));
  });

  it("a user is inactive when none of their devices checked in within N days and they were created N days ago or more; one active device keeps every license of the user", async () => {
    const { db, space, key } = await world();
    const old = daysAgo(400);
    const noDevice = await user(db, space.id, "Nadia No-Device", daysAgo(200));
    const oneActive = await user(db, space.id, "Ada Active", old);
    await device(db, space.id, { createdAt: old, lastCheckInAt: daysAgo(300), userId: oneActive.id });
    await device(db, space.id, { createdAt: old, lastCheckInAt: daysAgo(1), userId: oneActive.id });
    const allOld = await user(db, space.id, "Olga Old", old);
    await device(db, space.id, { createdAt: old, lastCheckInAt: daysAgo(120), userId: allOld.id });
    await device(db, space.id, { createdAt: old, lastCheckInAt: daysAgo(150), userId: allOld.id });
    const newcomer = await user(db, space.id, "Nico New", daysAgo(10));
    // A device enrolled yesterday that has not checked in yet: the user is there.
    const freshDevice = await user(db, space.id, "Fred Fresh-Device", old);
    await device(db, space.id, { createdAt: daysAgo(1), lastCheckInAt: null, userId: freshDevice.id });
    const ids = {
      noDevice: await license(db, key, { type: "user", id: noDevice.id }),
      oneActive: await license(db, key, { type: "user", id: oneActive.id }),
      allOld: await license(db, key, { type: "user", id: allOld.id }),
      newcomer: await license(db, key, { type: "user", id: newcomer.id }),
      freshDevice: await license(db, key, { type: "user", id: freshDevice.id }),
    };
    const found = await listInactiveLicenses(db, space.id, { inactiveBefore: CUTOFF }, { limit: 10 });
    expect(found.map((l) => l.id).sort()).toEqual([ids.noDevice, ids.allOld].sort());
    const byId = new Map(found.map((l) => [l.id, l]));
    // The latest check-in of the user's devices; a user without devices: since their creation.
    expect(byId.get(ids.allOld)).toMatchObject({
      type: "user",
      userId: allOld.id,
      userName: "Olga Old",
      lastCheckInAt: daysAgo(120),
      inactiveSince: daysAgo(120),
    });
    expect(byId.get(ids.noDevice)?.lastCheckInAt).toBeUndefined();
    expect(byId.get(ids.noDevice)?.inactiveSince).toEqual(daysAgo(200));
    expect(await countInactive(db, space.id, { inactiveBefore: CUTOFF })).toBe(2);
  });

  it("only live licenses of revocable assets count (a pending release is on its way out already, Apple never takes a book back); filters by app, account and type; another space's licenses are never found (invariant 6)", async () => {
    const { db, keys, space, key, adamId } = await world();
    const old = daysAgo(400);
    const otherApp = "409183694";
    await setCatalogApp(db, { spaceId: space.id, adamId: otherApp, name: "Keynote" }, NOW);
    const { account: second } = await accountWithSeats(db, keys, {
      spaceId: space.id,
      adamId: otherApp,
      total: 5,
    });
    const idle = await device(db, space.id, { createdAt: old, lastCheckInAt: daysAgo(100) });
    const idleUser = await user(db, space.id, "Ida Idle", old);
    const live = {
      pendingAssign: await license(db, key, { type: "device", id: idle.id }, "pending_assign"),
      otherApp: await license(
        db,
        { spaceId: space.id, accountId: second.id, adamId: otherApp },
        { type: "device", id: idle.id },
      ),
      user: await license(db, key, { type: "user", id: idleUser.id }),
    };
    // A book held by the idle iPad: no revoke releases it (event-world.ts), so no reclaim counts it.
    const book = "1000000001";
    await upsertAsset(
      db,
      {
        spaceId: space.id,
        accountId: key.accountId,
        adamId: book,
        pricingParam: "STDQ",
        productType: "Book",
        total: 5,
        deviceAssignable: true,
        revocable: false,
        platforms: ["iOS"],
      },
      NOW,
    );
    await license(db, { ...key, adamId: book }, { type: "device", id: idle.id });
    const idle2 = await device(db, space.id, { createdAt: old, lastCheckInAt: daysAgo(100) });
    const idle3 = await device(db, space.id, { createdAt: old, lastCheckInAt: daysAgo(100) });
    const idle4 = await device(db, space.id, { createdAt: old, lastCheckInAt: daysAgo(100) });
    await license(db, key, { type: "device", id: idle2.id }, "pending_release");
    await license(db, key, { type: "device", id: idle3.id }, "in_grace");
    await license(db, key, { type: "device", id: idle4.id }, "released");
    // The same inactivity in another space.
    const { space: elsewhere, key: otherKey } = await world();
    const far = await device(db, elsewhere.id, { createdAt: old, lastCheckInAt: daysAgo(100) });
    await license(db, otherKey, { type: "device", id: far.id });

    const ids = async (criteria: Omit<InactivityCriteria, "inactiveBefore">) =>
      (await listInactiveLicenses(db, space.id, { inactiveBefore: CUTOFF, ...criteria }, { limit: 10 }))
        .map((l) => l.id)
        .sort();
    expect(await ids({})).toEqual(Object.values(live).sort());
    expect(await ids({ adamId })).toEqual([live.pendingAssign, live.user].sort());
    expect(await ids({ accountId: second.id })).toEqual([live.otherApp]);
    expect(await ids({ type: "user" })).toEqual([live.user]);
    expect(await ids({ type: "device", adamId: otherApp })).toEqual([live.otherApp]);
    expect(await countInactive(db, space.id, { inactiveBefore: CUTOFF, type: "device" })).toBe(2);
    expect(await countInactive(db, elsewhere.id, { inactiveBefore: CUTOFF })).toBe(1);
  });

  it("lists the first `limit` by license id; `ids` keeps those of them still inactive", async () => {
    const { db, space, key } = await world();
    const old = daysAgo(400);
    const all: string[] = [];
    for (let i = 0; i < 7; i++) {
      const d = await device(db, space.id, { createdAt: old, lastCheckInAt: daysAgo(100 + i) });
      all.push(await license(db, key, { type: "device", id: d.id }));
    }
    const sorted = [...all].sort();
    const first = await listInactiveLicenses(db, space.id, { inactiveBefore: CUTOFF }, { limit: 3 });
    expect(first.map((l) => l.id)).toEqual(sorted.slice(0, 3));
    // A device that checks in drops out of a batch checked again by ids.
    const [one, two] = sorted;
    await checkInAgain(db, space.id, one ?? "");
    const still = await listInactiveLicenses(
      db,
      space.id,
      { inactiveBefore: CUTOFF },
      { limit: 2, ids: [one ?? "", two ?? ""] },
    );
    expect(still.map((l) => l.id)).toEqual([two]);
  });

  it("the set (a reclaim's preview and each batch's check): the count and the fingerprint of all, sha256 of their ids joined by commas in id order, the first `take` ids, and the fingerprint of the rest, the next batch's", async () => {
    const { db, space, key } = await world();
    const old = daysAgo(400);
    const all: string[] = [];
    for (let i = 0; i < 5; i++) {
      const d = await device(db, space.id, { createdAt: old, lastCheckInAt: daysAgo(100 + i) });
      all.push(await license(db, key, { type: "device", id: d.id }));
    }
    const u = await user(db, space.id, "Ulla Unseen", old);
    all.push(await license(db, key, { type: "user", id: u.id }));
    // In the database's order of ids, as the preview lists them.
    const ordered = (await listInactiveLicenses(db, space.id, { inactiveBefore: CUTOFF }, { limit: 10 })).map(
      (l) => l.id,
    );
    expect([...ordered].sort()).toEqual([...all].sort());
    const criteria = { inactiveBefore: CUTOFF };
    const fingerprint = sha256(ordered.join(","));
    expect(await inactiveSet(db, space.id, criteria, { take: 0 })).toEqual({
      count: 6,
      fingerprint,
      ids: [],
      restFingerprint: fingerprint,
    });
    expect(await inactiveSet(db, space.id, criteria, { take: 4 })).toEqual({
      count: 6,
      fingerprint,
      ids: ordered.slice(0, 4),
      restFingerprint: sha256(ordered.slice(4).join(",")),
    });
    expect(await inactiveSet(db, space.id, criteria, { take: 10 })).toEqual({
      count: 6,
      fingerprint,
      ids: ordered,
      restFingerprint: sha256(""),
    });
    expect(await inactiveSet(db, space.id, { ...criteria, type: "user" }, { take: 10 })).toEqual({
      count: 1,
      fingerprint: sha256(all[5] ?? ""),
      ids: [all[5]],
      restFingerprint: sha256(""),
    });
    // Nothing matches: the fingerprint of no id at all.
    const none = await inactiveSet(db, space.id, { inactiveBefore: daysAgo(1000) }, { take: 10 });
    expect(none).toEqual({ count: 0, fingerprint: sha256(""), ids: [], restFingerprint: sha256("") });
  });

  it("the fingerprint tells apart two sets of the same size: one device goes idle while another comes back", async () => {
    const { db, space, key } = await world();
    const old = daysAgo(400);
    const idle = await device(db, space.id, { createdAt: old, lastCheckInAt: daysAgo(100) });
    const stays = await device(db, space.id, { createdAt: old, lastCheckInAt: daysAgo(120) });
    const active = await device(db, space.id, { createdAt: old, lastCheckInAt: daysAgo(1) });
    const ids = {
      idle: await license(db, key, { type: "device", id: idle.id }),
      stays: await license(db, key, { type: "device", id: stays.id }),
      active: await license(db, key, { type: "device", id: active.id }),
    };
    const criteria = { inactiveBefore: CUTOFF };
    const before = await inactiveSet(db, space.id, criteria, { take: 10 });
    expect(before.ids.sort()).toEqual([ids.idle, ids.stays].sort());
    await checkInAgain(db, space.id, ids.idle);
    await db
      .updateTable("devices")
      .set({ last_check_in_at: daysAgo(91) })
      .where("space_id", "=", space.id)
      .where("id", "=", active.id)
      .execute();
    const after = await inactiveSet(db, space.id, criteria, { take: 10 });
    expect(after.count).toBe(before.count);
    expect(after.ids.sort()).toEqual([ids.stays, ids.active].sort());
    expect(after.fingerprint).not.toBe(before.fingerprint);
  });

  it("0028: idle devices are found through devices_last_seen, not by reading every device of the space", async () => {
    const { db, space, key } = await world();
    // 5,000 iPads with a license each, 1 in 100 idle for 100 days, the others seen yesterday.
    await sql`insert into devices (space_id, id, serial_number, platform, last_check_in_at, created_at)
      select ${space.id}, 'plan-' || g, 'PLAN-' || g, 'iOS',
        case when g % 100 = 0 then ${daysAgo(100)}::timestamptz else ${daysAgo(1)}::timestamptz end,
        ${daysAgo(400)}::timestamptz
      from generate_series(1, 5000) g`.execute(db);
    await sql`insert into licenses (space_id, id, account_id, adam_id, type, device_id, state)
      select ${space.id}, gen_random_uuid()::text, ${key.accountId}, ${key.adamId}, 'device', 'plan-' || g, 'assigned'
      from generate_series(1, 5000) g`.execute(db);
    await sql`analyze devices`.execute(db);
    await sql`analyze licenses`.execute(db);
    // The device side of the inactivity query (reclaim.repo.ts inactiveLicenseIds), parameters inlined.
    const { rows } = await sql<{ "QUERY PLAN": string }>`explain select l.id from licenses l
      join devices d on d.space_id = l.space_id and d.id = l.device_id
      where l.space_id = ${sql.lit(space.id)} and l.live and l.type = 'device'
        and d.last_seen_on <= (timezone('UTC', ${sql.lit(CUTOFF.toISOString())}::timestamptz))::date
        and coalesce(d.last_check_in_at, d.created_at) <= ${sql.lit(CUTOFF.toISOString())}::timestamptz`.execute(
      db,
    );
    const plan = rows.map((r) => r["QUERY PLAN"]).join("\n");
    expect(plan).toMatch(/(Index Scan using|Bitmap Index Scan on) devices_last_seen/);
    expect(plan).not.toMatch(/Seq Scan on devices/);
  });

  it("0028: a device's last_seen_on is the UTC day of its last check-in, else of its creation, and follows each check-in", async () => {
    const { db, space } = await world();
    const d = await device(db, space.id, {
      createdAt: new Date("2026-01-10T23:30:00-05:00"),
      lastCheckInAt: null,
    });
    const day = async () =>
      (
        await db
          .selectFrom("devices")
          .select(sql<string>`last_seen_on::text`.as("day"))
          .where("space_id", "=", space.id)
          .where("id", "=", d.id)
          .executeTakeFirstOrThrow()
      ).day;
    expect(await day()).toBe("2026-01-11");
    await recordCheckIn(db, space.id, d.id, new Date("2026-03-01T00:00:00Z"));
    expect(await day()).toBe("2026-03-01");
  });
});
