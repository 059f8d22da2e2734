import { createHash } from "node:crypto";
import { sql } from "kysely";
import { expect, it } from "vitest";
import { GRACE_DAYS, type LicenseRequest } from "../../src/licensing/index.js";
import { mdmLicenseOps } from "../../src/main/mdm-bindings.js";
import {
  previewReclaim,
  RECLAIM_BATCH,
  ReclaimChangedError,
  reclaimInactive,
} from "../../src/service/reclaim.js";
import {
  createDevice,
  createUser,
  type Db,
  listActivity,
  listLicensesForApp,
  markAssigned,
  replaceInstalledApps,
  requestLicenses,
  setAppleStatus,
  setCatalogApp,
} from "../../src/store/index.js";
import { describeEachDatabase } from "../store/databases.js";
import { accountWithSeats } from "../store/fixtures.js";
import { auth, buildFixture, type Fixture, NOW } from "./harness.js";

const DAY = 86_400_000;
const daysAgo = (days: number) => new Date(NOW.getTime() - days * DAY);
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

async function age(
  db: Db,
  table: "devices" | "users",
  spaceId: string,
  id: string,
  set: Record<string, Date | null>,
) {
  await db.updateTable(table).set(set).where("space_id", "=", spaceId).where("id", "=", id).execute();
}

/**
 * In space A, an app with 4 seats held by: an iPad idle for 100 days (device license), a
 * device that never checked in since it was added 120 days ago (device license), an
 * enrolled user whose one iPad has the app and checked in 95 days ago (user license), and
 * an iPad that checked in yesterday (device license); a fifth iPad waits. In space B, an
 * iPad idle for 100 days holds a license of the same app.
 */
async function inactiveWorld(f: Fixture, db: Db, keys: Parameters<typeof accountWithSeats>[1]) {
  const spaceId = f.ids.spaceA;
  const adamId = "777000444";
  await setCatalogApp(db, { spaceId, adamId, name: "Numbers", installOnDevice: true }, NOW);
  const { account } = await accountWithSeats(db, keys, { spaceId, adamId, total: 4 });
  const old = daysAgo(400);
  const ipad = async (serial: string, lastCheckInAt: Date | null, createdAt = old, userId?: string) => {
    const d = await createDevice(db, {
      spaceId,
      serialNumber: `${serial}${f.ids.suffix}`.toUpperCase(),
      platform: "iOS",
      supervised: true,
      ...(userId ? { userId } : {}),
    });
    await age(db, "devices", spaceId, d.id, { created_at: createdAt, last_check_in_at: lastCheckInAt });
    return d;
  };
  const idle = await ipad("IDLE", daysAgo(100));
  const never = await ipad("NEVER", null, daysAgo(120));
  const active = await ipad("ACTIVE", daysAgo(1));
  const waiting = await ipad("WAITING", daysAgo(1));
  const gone = await createUser(db, {
    spaceId,
    name: "Gina Gone",
    appleClientUserId: `gone-${f.ids.suffix}`,
  });
  await setAppleStatus(db, spaceId, gone.id, "Associated", NOW);
  await age(db, "users", spaceId, gone.id, { created_at: old });
  const gonesIpad = await ipad("GINA", daysAgo(95), old, gone.id);
  await replaceInstalledApps(db, spaceId, gonesIpad.id, [{ bundleId: "com.apple.numbers", adamId }], NOW);
  const ask = async (subject: LicenseRequest["subject"], why: LicenseRequest["why"], minutes: number) => {
    const [r] = await requestLicenses(db, {
      spaceId,
      adamId,
      requests: [{ spaceId, adamId, subject, why }],
      actor: { kind: "mdm" },
      now: new Date(NOW.getTime() - 200 * DAY + minutes * 60_000),
    });
    return r;
  };
  for (const [i, d] of [idle, never, active].entries())
    expect((await ask({ kind: "device", deviceId: d.id }, "mandatory", i))?.decision.outcome).toBe("grant");
  expect((await ask({ kind: "user", userId: gone.id }, "requested", 3))?.decision.outcome).toBe("grant");
  expect((await ask({ kind: "device", deviceId: waiting.id }, "mandatory", 4))?.decision.outcome).toBe(
    "wait",
  );
  // Apple confirmed every assignment: a revoke now goes to Apple (RV3's grace where iOS keeps the app).
  const granted = await listLicensesForApp(db, spaceId, adamId);
  await markAssigned(db, {
    spaceId,
    licenseIds: granted.map((l) => l.id),
    actor: { kind: "apple" },
    now: NOW,
  });
  const licenseOf = (subject: { deviceId?: string; userId?: string }) =>
    granted.find((l) =>
      subject.deviceId ? l.deviceId === subject.deviceId : l.userId === subject.userId && l.type === "user",
    )?.id ?? "";

  // Space B: the same app, an idle iPad with its license.
  const otherAccount = await accountWithSeats(db, keys, { spaceId: f.ids.spaceB, adamId, total: 2 });
  await setCatalogApp(db, { spaceId: f.ids.spaceB, adamId, name: "Numbers", installOnDevice: true }, NOW);
  const far = await createDevice(db, {
    spaceId: f.ids.spaceB,
    serialNumber: `FAR${f.ids.suffix}`.toUpperCase(),
    platform: "iOS",
  });
  await age(db, "devices", f.ids.spaceB, far.id, { created_at: old, last_check_in_at: daysAgo(100) });
  const [farGrant] = await requestLicenses(db, {
    spaceId: f.ids.spaceB,
    adamId,
    requests: [
      { spaceId: f.ids.spaceB, adamId, subject: { kind: "device", deviceId: far.id }, why: "mandatory" },
    ],
    actor: { kind: "mdm" },
    now: NOW,
  });
  return {
    spaceId,
    adamId,
    accountId: account.id,
    otherAccountId: otherAccount.account.id,
    devices: { idle, never, active, waiting, gonesIpad },
    gone,
    licenses: {
      idle: licenseOf({ deviceId: idle.id }),
      never: licenseOf({ deviceId: never.id }),
      gone: licenseOf({ userId: gone.id }),
      active: licenseOf({ deviceId: active.id }),
      far: farGrant?.licenseId ?? "",
    },
  };
}

describeEachDatabase("reclaiming the licenses of inactive devices and users (API)", (database) => {
  async function setUp() {
    const { db, keys } = database().store;
    const f = await buildFixture(database().store);
    const w = await inactiveWorld(f, db, keys);
    const reclaim = (body: unknown, token = f.tokens.write, spaceId = w.spaceId) =>
      f.app.inject({
        method: "POST",
        url: `/api/v1/spaces/${spaceId}/licenses/reclaim`,
        headers: auth(token),
        payload: body as Record<string, unknown>,
      });
    const states = async () =>
      Object.fromEntries(
        (await listLicensesForApp(db, w.spaceId, w.adamId)).map((l) => [l.id, l.state] as const),
      );
    const reclaimLines = async (spaceId = w.spaceId) =>
      listActivity(db, spaceId, { action: "license.reclaimed", limit: 5_000 });
    const disassociations = async () =>
      (
        await db
          .selectFrom("outbox")
          .select("license_id")
          .where("space_id", "=", w.spaceId)
          .where("kind", "=", "disassociate")
          .where("adam_id", "=", w.adamId)
          .execute()
      ).map((r) => r.license_id);
    return { db, f, w, reclaim, states, reclaimLines, disassociations };
  }

  it("a request without expect is a preview: the count, the first licenses with their subject, app, account and last check-in; nothing revoked", async () => {
    const { f, w, reclaim, states, reclaimLines, disassociations } = await setUp();
    const before = await states();
    const preview = await reclaim({ inactiveDays: 90 });
    expect(preview.statusCode, preview.body).toBe(200);
    const body = preview.json();
    expect(body).toMatchObject({
      preview: true,
      inactiveDays: 90,
      inactiveBefore: daysAgo(90).toISOString(),
      count: 3,
      limit: 1_000,
      capped: false,
    });
    expect(body.reclaimed).toBeUndefined();
    expect(body.remaining).toBeUndefined();
    expect(body.next).toBeUndefined();
    // The fingerprint: sha256 of the ids in id order, joined by commas (the items come in that order).
    const listed = body.items.map((i: { id: string }) => i.id);
    expect(listed).toEqual([...listed].sort());
    expect(body.fingerprint).toBe(sha256(listed.join(",")));
    const byId = new Map(body.items.map((i: { id: string }) => [i.id, i]));
    expect([...byId.keys()].sort()).toEqual([w.licenses.idle, w.licenses.never, w.licenses.gone].sort());
    expect(byId.get(w.licenses.idle)).toMatchObject({
      type: "device",
      serialNumber: w.devices.idle.serialNumber,
      adamId: w.adamId,
      appName: "Numbers",
      accountId: w.accountId,
      state: "assigned",
      lastCheckInAt: daysAgo(100).toISOString(),
      inactiveSince: daysAgo(100).toISOString(),
    });
    expect(byId.get(w.licenses.never)).toMatchObject({ inactiveSince: daysAgo(120).toISOString() });
    expect((byId.get(w.licenses.never) as { lastCheckInAt?: string }).lastCheckInAt).toBeUndefined();
    expect(byId.get(w.licenses.gone)).toMatchObject({
      type: "user",
      userId: w.gone.id,
      userName: "Gina Gone",
      lastCheckInAt: daysAgo(95).toISOString(),
    });
    // dryRun wins over expect: still a preview.
    const dry = await reclaim({ inactiveDays: 90, dryRun: true, expect: 3 });
    expect(dry.json()).toMatchObject({ preview: true, count: 3 });
    // Filters: type, app, account.
    expect((await reclaim({ inactiveDays: 90, type: "user" })).json().count).toBe(1);
    expect((await reclaim({ inactiveDays: 90, adamId: f.ids.adamId })).json().count).toBe(0);
    expect((await reclaim({ inactiveDays: 90, accountId: f.ids.accountA })).json().count).toBe(0);
    expect((await reclaim({ inactiveDays: 90, accountId: w.accountId, type: "device" })).json().count).toBe(
      2,
    );
    expect((await reclaim({ inactiveDays: 99 })).json().count).toBe(2);
    expect(await states()).toEqual(before);
    expect(await reclaimLines()).toEqual([]);
    expect(await disassociations()).toEqual([]);
  });

  it("RV3: a reclaim with the previewed count revokes each license as a single revoke does (Apple's release queued, the 30-day grace where iOS keeps the app), logs why, and leaves active subjects and another space untouched (invariant 6)", async () => {
    const { db, f, w, reclaim, states, reclaimLines, disassociations } = await setUp();
    const preview = (await reclaim({ inactiveDays: 90 })).json();
    const done = await reclaim({ inactiveDays: 90, expect: preview.count, fingerprint: preview.fingerprint });
    expect(done.statusCode, done.body).toBe(200);
    expect(done.json()).toMatchObject({
      preview: false,
      count: 3,
      reclaimed: 3,
      remaining: 0,
      capped: false,
      fingerprint: preview.fingerprint,
    });
    // All done in one request: nothing for a next one.
    expect(done.json().next).toBeUndefined();
    const reclaimed = [w.licenses.idle, w.licenses.never, w.licenses.gone];
    expect(
      done
        .json()
        .items.map((i: { id: string }) => i.id)
        .sort(),
    ).toEqual([...reclaimed].sort());
    const after = await states();
    for (const id of reclaimed) expect(after[id], id).toBe("pending_release");
    expect(after[w.licenses.active]).toBe("assigned");
    expect((await disassociations()).sort()).toEqual([...reclaimed].sort());
    // RV3: the user's iPad keeps the app 30 days; the idle device had no install reported: no grace.
    const rows = await db
      .selectFrom("licenses")
      .select(["id", "grace_until"])
      .where("space_id", "=", w.spaceId)
      .where("adam_id", "=", w.adamId)
      .execute();
    const grace = new Map(rows.map((r) => [r.id, r.grace_until]));
    expect(grace.get(w.licenses.gone)).toEqual(new Date(NOW.getTime() + GRACE_DAYS * DAY));
    expect(grace.get(w.licenses.idle)).toBeNull();
    // RV3: revocation alone sends no remove command, as a single revoke sends none.
    const removes = await db
      .selectFrom("mdm_commands")
      .select("seq")
      .where("space_id", "=", w.spaceId)
      .where("kind", "=", "remove")
      .execute();
    expect(removes).toEqual([]);
    // One line per license, naming the reason in the catalogue's words.
    const lines = await reclaimLines();
    expect(lines.map((l) => l.licenseId).sort()).toEqual([...reclaimed].sort());
    const line = (id: string) => lines.find((l) => l.licenseId === id);
    expect(line(w.licenses.idle)).toMatchObject({
      messageKey: "license.reclaimed_device_inactive",
      messageParams: { since: daysAgo(100).toISOString().slice(0, 10) },
      message: `reclaimed: device inactive since ${daysAgo(100).toISOString().slice(0, 10)}`,
      deviceId: w.devices.idle.id,
      adamId: w.adamId,
      accountId: w.accountId,
      ruleIds: ["RV2"],
      actor: { kind: "api_token" },
    });
    expect(line(w.licenses.gone)).toMatchObject({
      messageKey: "license.reclaimed_user_inactive",
      message: `reclaimed: user inactive since ${daysAgo(95).toISOString().slice(0, 10)}`,
      userId: w.gone.id,
    });
    // The licenses list shows why as the last action.
    const list = await f.app.inject({
      url: `/api/v1/spaces/${w.spaceId}/licenses?app=${w.adamId}&pageSize=50`,
      headers: auth(f.tokens.read),
    });
    const idleRow = list.json().items.find((l: { id: string }) => l.id === w.licenses.idle);
    expect(idleRow.lastAction).toBe("license.reclaimed");
    // Space B: its idle iPad keeps its license, and its own preview still finds it.
    const far = await db
      .selectFrom("licenses")
      .select("state")
      .where("space_id", "=", f.ids.spaceB)
      .where("id", "=", w.licenses.far)
      .executeTakeFirstOrThrow();
    expect(far.state).toBe("pending_assign");
    expect(await reclaimLines(f.ids.spaceB)).toEqual([]);
    const other = await reclaim({ inactiveDays: 90 }, f.tokens.other, f.ids.spaceB);
    expect(other.json()).toMatchObject({ count: 1, items: [{ id: w.licenses.far }] });
    // Sent again, the same reclaim finds nothing left: the count it expects is no longer there.
    const again = await reclaim({ inactiveDays: 90, expect: 3, fingerprint: preview.fingerprint });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ code: "reclaim_changed" });
    const empty = (await reclaim({ inactiveDays: 90 })).json();
    expect(empty).toMatchObject({ count: 0, fingerprint: sha256("") });
    expect(
      (await reclaim({ inactiveDays: 90, expect: 0, fingerprint: empty.fingerprint })).json(),
    ).toMatchObject({ reclaimed: 0, count: 0, remaining: 0 });
  });

  it("an expect that differs from the count now is a 409 reclaim_changed naming both, and nothing is revoked", async () => {
    const { reclaim, states, reclaimLines, disassociations } = await setUp();
    const before = await states();
    const { fingerprint } = (await reclaim({ inactiveDays: 90 })).json();
    for (const expect_ of [2, 4]) {
      const refused = await reclaim({ inactiveDays: 90, expect: expect_, fingerprint });
      expect(refused.statusCode).toBe(409);
      expect(refused.headers["content-type"]).toMatch(/problem\+json/);
      expect(refused.json()).toMatchObject({
        code: "reclaim_changed",
        errors: [{ field: "body.expect", limits: { expected: expect_, count: 3 } }],
      });
      expect(refused.json().title).toMatch(/3 licenses match now, not the \d the preview showed/);
    }
    expect(await states()).toEqual(before);
    expect(await reclaimLines()).toEqual([]);
    expect(await disassociations()).toEqual([]);
  });

  it("a device that checks in between the preview and the reclaim changes the count: 409, and its license stays", async () => {
    const { db, w, reclaim, states } = await setUp();
    const preview = (await reclaim({ inactiveDays: 90 })).json();
    await age(db, "devices", w.spaceId, w.devices.idle.id, { last_check_in_at: NOW });
    const refused = await reclaim({
      inactiveDays: 90,
      expect: preview.count,
      fingerprint: preview.fingerprint,
    });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().errors[0]).toMatchObject({
      field: "body.expect",
      limits: { expected: 3, count: 2 },
    });
    expect((await states())[w.licenses.idle]).toBe("assigned");
  });

  it("one device goes idle while another comes back: the same count, another set, so a 409 reclaim_changed on the fingerprint and nothing revoked; the new preview's fingerprint reclaims the new set", async () => {
    const { db, w, reclaim, states, reclaimLines, disassociations } = await setUp();
    const preview = (await reclaim({ inactiveDays: 90 })).json();
    expect(preview.count).toBe(3);
    const before = await states();
    // The idle iPad checks in; the active one has not since 95 days after all.
    await age(db, "devices", w.spaceId, w.devices.idle.id, { last_check_in_at: NOW });
    await age(db, "devices", w.spaceId, w.devices.active.id, { last_check_in_at: daysAgo(95) });
    const refused = await reclaim({ inactiveDays: 90, expect: 3, fingerprint: preview.fingerprint });
    expect(refused.statusCode, refused.body).toBe(409);
    expect(refused.headers["content-type"]).toMatch(/problem\+json/);
    expect(refused.json()).toMatchObject({
      code: "reclaim_changed",
      errors: [{ field: "body.fingerprint", rule: "reclaim_changed", limits: { expected: 3, count: 3 } }],
    });
    expect(refused.json().title).toMatch(
      /as many, but not the same ones\): nothing was reclaimed; preview again$/,
    );
    expect(await states()).toEqual(before);
    expect(await reclaimLines()).toEqual([]);
    expect(await disassociations()).toEqual([]);

    const again = (await reclaim({ inactiveDays: 90 })).json();
    expect(again.count).toBe(3);
    expect(again.fingerprint).not.toBe(preview.fingerprint);
    const done = await reclaim({ inactiveDays: 90, expect: 3, fingerprint: again.fingerprint });
    expect(done.json()).toMatchObject({ reclaimed: 3, remaining: 0 });
    const after = await states();
    expect(after[w.licenses.idle]).toBe("assigned");
    for (const id of [w.licenses.active, w.licenses.never, w.licenses.gone])
      expect(after[id], id).toBe("pending_release");
  });

  it("bad input is the field's problem: an app or account the space does not have is a 404, days out of range or a reclaim without expect a 400", async () => {
    const { f, reclaim } = await setUp();
    const notFound = async (body: Record<string, unknown>, field: string) => {
      const r = await reclaim({ inactiveDays: 90, ...body });
      expect(r.statusCode, JSON.stringify(body)).toBe(404);
      expect(r.headers["content-type"]).toMatch(/problem\+json/);
      expect(r.json()).toMatchObject({ code: "not_found", errors: [{ field }] });
    };
    await notFound({ adamId: "999999999" }, "body.adamId");
    await notFound({ accountId: "nope" }, "body.accountId");
    // Another space's account is unknown here (invariant 6).
    await notFound({ accountId: f.ids.accountB }, "body.accountId");
    const invalid = async (body: unknown, field: string) => {
      const r = await reclaim(body);
      expect(r.statusCode, JSON.stringify(body)).toBe(400);
      expect(r.json().errors.map((e: { field: string }) => e.field)).toContain(field);
    };
    await invalid({ inactiveDays: 0 }, "body.inactiveDays");
    await invalid({ inactiveDays: 3651 }, "body.inactiveDays");
    await invalid({ inactiveDays: 1.5 }, "body.inactiveDays");
    await invalid({ inactiveDays: "90" }, "body.inactiveDays");
    await invalid({}, "body.inactiveDays");
    await invalid({ inactiveDays: 90, expect: -1 }, "body.expect");
    await invalid({ inactiveDays: 90, type: "both" }, "body.type");
    await invalid({ inactiveDays: 90, inactive: true }, "body.inactive");
    await invalid({ inactiveDays: 90, dryRun: false }, "body.expect");
    await invalid({ inactiveDays: 90, dryRun: false }, "body.fingerprint");
    await invalid({ inactiveDays: 90, expect: 3, fingerprint: "f00d" }, "body.fingerprint");
    await invalid({ inactiveDays: 90, expect: 3, fingerprint: sha256("").toUpperCase() }, "body.fingerprint");
    await invalid({ inactiveDays: 90, expect: 3, fingerprint: 42 }, "body.fingerprint");
    expect((await reclaim({ inactiveDays: 3650 })).statusCode).toBe(200);
  });

  it("a reclaim names the fingerprint its preview answered: without it, a 400 naming body.fingerprint (a client cannot reclaim a set it was not shown); a fingerprint without expect, a 400 naming body.expect; nothing revoked", async () => {
    const { reclaim, states, reclaimLines } = await setUp();
    const before = await states();
    const preview = (await reclaim({ inactiveDays: 90 })).json();
    const unnamed = await reclaim({ inactiveDays: 90, expect: preview.count });
    expect(unnamed.statusCode).toBe(400);
    expect(unnamed.headers["content-type"]).toMatch(/problem\+json/);
    expect(unnamed.json()).toMatchObject({
      code: "validation_failed",
      title:
        "fingerprint is required to reclaim: preview first (without expect), then send its count and fingerprint",
      errors: [
        { field: "body.fingerprint", message: "required to reclaim: the fingerprint the preview answered" },
      ],
    });
    const uncounted = await reclaim({ inactiveDays: 90, fingerprint: preview.fingerprint });
    expect(uncounted.statusCode).toBe(400);
    expect(uncounted.json()).toMatchObject({
      code: "validation_failed",
      errors: [{ field: "body.expect", message: "required to reclaim: the count the preview showed" }],
    });
    const neither = await reclaim({ inactiveDays: 90, dryRun: false });
    expect(neither.json().title).toMatch(/^expect and fingerprint are required to reclaim/);
    expect(neither.json().errors.map((e: { field: string }) => e.field)).toEqual([
      "body.expect",
      "body.fingerprint",
    ]);
    // dryRun: true is a preview whatever else the body says.
    const dry = await reclaim({
      inactiveDays: 90,
      dryRun: true,
      expect: 3,
      fingerprint: preview.fingerprint,
    });
    expect(dry.json()).toMatchObject({ preview: true, count: 3 });
    expect(await states()).toEqual(before);
    expect(await reclaimLines()).toEqual([]);
  });

  it("more than one batch: the preview says capped and fingerprints all of them; the reclaim goes on request after request (1,000 each) through each answer's `next`; a set changed in between is a 409 for that request, which revokes nothing, and once it is back the same `next` goes on; exact counts at the end", async () => {
    const { db, w, reclaim, states, reclaimLines, disassociations } = await setUp();
    expect(RECLAIM_BATCH).toBe(1_000);
    // 1,001 more iPads idle for 100 days, each holding a license of the app: 1,004 in all.
    const more = RECLAIM_BATCH + 1;
    await sql`insert into devices (space_id, id, serial_number, platform, last_check_in_at, created_at)
      select ${w.spaceId}, 'idle-' || g, 'IDLE' || g, 'iOS', ${daysAgo(100)}::timestamptz, ${daysAgo(400)}::timestamptz
      from generate_series(1, ${more}::int) g`.execute(db);
    await sql`insert into licenses (space_id, id, account_id, adam_id, type, device_id, state, created_at, updated_at)
      select ${w.spaceId}, gen_random_uuid()::text, ${w.accountId}, ${w.adamId}, 'device', 'idle-' || g, 'assigned',
        ${NOW}::timestamptz, ${NOW}::timestamptz
      from generate_series(1, ${more}::int) g`.execute(db);
    const total = more + 3;
    const preview = (await reclaim({ inactiveDays: 90 })).json();
    expect(preview).toMatchObject({ preview: true, count: total, limit: RECLAIM_BATCH, capped: true });
    const all = Object.entries(await states())
      .filter(([id]) => id !== w.licenses.active)
      .map(([id]) => id)
      .sort();
    expect(all).toHaveLength(total);
    expect(preview.fingerprint).toBe(sha256(all.join(",")));

    const first = await reclaim({
      inactiveDays: 90,
      expect: preview.count,
      fingerprint: preview.fingerprint,
    });
    expect(first.statusCode, first.body).toBe(200);
    const rest = all.slice(RECLAIM_BATCH);
    expect(first.json()).toMatchObject({
      preview: false,
      count: total,
      reclaimed: RECLAIM_BATCH,
      remaining: rest.length,
      next: { expect: rest.length, fingerprint: sha256(rest.join(",")) },
    });
    expect(first.json().items).toHaveLength(100);

    // Between two requests the iPad seen yesterday turns out idle too: 5 match, not the 4 left.
    await age(db, "devices", w.spaceId, w.devices.active.id, { last_check_in_at: daysAgo(95) });
    const { next } = first.json();
    const refused = await reclaim({ inactiveDays: 90, ...next });
    expect(refused.statusCode, refused.body).toBe(409);
    expect(refused.json()).toMatchObject({
      code: "reclaim_changed",
      errors: [{ field: "body.expect", limits: { expected: rest.length, count: rest.length + 1 } }],
    });
    const between = await states();
    for (const id of [...rest, w.licenses.active]) expect(between[id], id).toBe("assigned");
    expect(await reclaimLines()).toHaveLength(RECLAIM_BATCH);

    // It checks in again: the set is what `next` named, and the reclaim goes on from there.
    await age(db, "devices", w.spaceId, w.devices.active.id, { last_check_in_at: NOW });
    const last = await reclaim({ inactiveDays: 90, ...next });
    expect(last.statusCode, last.body).toBe(200);
    expect(last.json()).toMatchObject({ count: rest.length, reclaimed: rest.length, remaining: 0 });
    expect(last.json().next).toBeUndefined();
    expect(last.json().items.map((i: { id: string }) => i.id)).toEqual(rest);

    const after = await states();
    for (const id of all) expect(after[id], id).toBe("pending_release");
    expect(after[w.licenses.active]).toBe("assigned");
    expect((await reclaimLines()).map((l) => l.licenseId).sort()).toEqual([...all].sort());
    expect((await disassociations()).sort()).toEqual([...all].sort());
    expect((await reclaim({ inactiveDays: 90 })).json()).toMatchObject({ count: 0 });
  });

  it("batch after batch (the service's batch, 2 here rather than 1,000): each request revokes the next licenses by id and names the rest; as many licenses left but not the same ones is a 409 on the fingerprint and revokes nothing; a new preview goes on", async () => {
    const { db, w, states, reclaimLines } = await setUp();
    const deps = { db, licenses: mdmLicenseOps };
    const actor = { kind: "system" as const, id: "reclaim-test" };
    const filter = { inactiveDays: 90 };
    const sorted = [w.licenses.idle, w.licenses.never, w.licenses.gone].sort();
    const preview = await previewReclaim(db, { spaceId: w.spaceId, filter, now: NOW, limit: 2 });
    expect(preview).toMatchObject({
      count: 3,
      limit: 2,
      capped: true,
      fingerprint: sha256(sorted.join(",")),
    });
    const batch = { spaceId: w.spaceId, filter, actor, now: NOW, limit: 2 };
    const first = await reclaimInactive(deps, { ...batch, expect: 3, fingerprint: preview.fingerprint });
    expect(first).toMatchObject({
      count: 3,
      capped: true,
      reclaimed: 2,
      remaining: 1,
      next: { expect: 1, fingerprint: sha256(sorted[2] ?? "") },
    });
    expect(first.items.map((i) => i.id)).toEqual(sorted.slice(0, 2));
    const after = await states();
    expect([after[sorted[0] ?? ""], after[sorted[1] ?? ""], after[sorted[2] ?? ""]]).toEqual([
      "pending_release",
      "pending_release",
      "assigned",
    ]);

    // The subject of the one left comes back, the iPad seen yesterday turns out idle: one, not the same.
    const deviceOf: Record<string, string> = {
      [w.licenses.idle]: w.devices.idle.id,
      [w.licenses.never]: w.devices.never.id,
      [w.licenses.gone]: w.devices.gonesIpad.id,
    };
    await age(db, "devices", w.spaceId, deviceOf[sorted[2] ?? ""] ?? "", { last_check_in_at: NOW });
    await age(db, "devices", w.spaceId, w.devices.active.id, { last_check_in_at: daysAgo(95) });
    const next = first.next ?? { expect: -1, fingerprint: "" };
    const refused = reclaimInactive(deps, { ...batch, ...next });
    await expect(refused).rejects.toBeInstanceOf(ReclaimChangedError);
    await expect(refused).rejects.toMatchObject({ change: "set", expected: 1, count: 1 });
    expect((await states())[w.licenses.active]).toBe("assigned");
    expect(await reclaimLines()).toHaveLength(2);

    const again = await previewReclaim(db, { spaceId: w.spaceId, filter, now: NOW, limit: 2 });
    expect(again).toMatchObject({ count: 1, capped: false, fingerprint: sha256(w.licenses.active) });
    const last = await reclaimInactive(deps, { ...batch, expect: 1, fingerprint: again.fingerprint });
    expect(last).toMatchObject({ reclaimed: 1, remaining: 0 });
    expect(last.next).toBeUndefined();
    expect((await reclaimLines()).map((l) => l.licenseId).sort()).toEqual(
      [...sorted.slice(0, 2), w.licenses.active].sort(),
    );
  });

  it("PM1: a read-only token may not even preview (403); another space's administrator is not told the space exists (404)", async () => {
    const { f, w, reclaim, states } = await setUp();
    const before = await states();
    for (const body of [{ inactiveDays: 90 }, { inactiveDays: 90, expect: 3, fingerprint: sha256("x") }]) {
      expect((await reclaim(body, f.tokens.read)).statusCode).toBe(403);
      expect((await reclaim(body, f.tokens.other)).statusCode).toBe(404);
      expect((await reclaim(body, f.tokens.none)).statusCode).toBe(404);
    }
    expect(await states()).toEqual(before);
    expect(w.licenses.idle).not.toBe("");
  });
});
