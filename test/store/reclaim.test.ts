import { randomUUID } from "node:crypto";
import { expect, it } from "vitest";
import type { LicenseState, LicenseType } from "../../src/licensing/index.js";
import { createDevice, createUser, type Db, insertLicenses, setCatalogApp } from "../../src/store/index.js";
import {
  countInactiveLicenses,
  type InactivityCriteria,
  inactiveBefore,
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
    expect(await countInactiveLicenses(db, space.id, criteria)).toBe(2);
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
    expect(await countInactiveLicenses(db, space.id, { inactiveBefore: CUTOFF })).toBe(2);
  });

  it("only live licenses count (a pending release is on its way out already); filters by app, account and type; another space's licenses are never found (invariant 6)", async () => {
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
    expect(await countInactiveLicenses(db, space.id, { inactiveBefore: CUTOFF, type: "device" })).toBe(2);
    expect(await countInactiveLicenses(db, elsewhere.id, { inactiveBefore: CUTOFF })).toBe(1);
  });

  it("pages by license id: each page starts after the last id, bounded by its limit, every license once; `ids` keeps those still inactive", async () => {
    const { db, space, key } = await world();
    const old = daysAgo(400);
    const all: string[] = [];
    for (let i = 0; i < 7; i++) {
      const d = await device(db, space.id, { createdAt: old, lastCheckInAt: daysAgo(100 + i) });
      all.push(await license(db, key, { type: "device", id: d.id }));
    }
    const seen: string[] = [];
    let after: string | undefined;
    for (let round = 0; round < 10; round++) {
      const page = await listInactiveLicenses(db, space.id, { inactiveBefore: CUTOFF }, { limit: 3, after });
      expect(page.length).toBeLessThanOrEqual(3);
      if (page.length === 0) break;
      seen.push(...page.map((l) => l.id));
      after = page.at(-1)?.id;
    }
    expect(seen).toEqual([...all].sort());
    // A device that checks in drops out of a batch checked again by ids.
    const [first, second] = [...all].sort();
    const back = await db
      .selectFrom("licenses")
      .select("device_id")
      .where("space_id", "=", space.id)
      .where("id", "=", first ?? "")
      .executeTakeFirstOrThrow();
    await db
      .updateTable("devices")
      .set({ last_check_in_at: NOW })
      .where("space_id", "=", space.id)
      .where("id", "=", back.device_id ?? "")
      .execute();
    const still = await listInactiveLicenses(
      db,
      space.id,
      { inactiveBefore: CUTOFF },
      { limit: 2, ids: [first ?? "", second ?? ""] },
    );
    expect(still.map((l) => l.id)).toEqual([second]);
  });
});
