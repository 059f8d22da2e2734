import { expect, it } from "vitest";
import { listActivity, listOutbox } from "../../src/store/index.js";
import { completeOutsideSnapshot, writeOutsidePage } from "../../src/store/outside-assignments.repo.js";
import { describeEachDatabase } from "../store/databases.js";
import { auth, buildFixture, type Fixture, NOW } from "./harness.js";

/**
 * AC7 through the API: an account's assignments made outside Orchard (GET …/outside-assignments)
 * and their release at Apple (POST …/outside-assignments/release); users given their Apple
 * clientUserId (POST and PATCH users). PM1: read-only administrators read, never release;
 * invariant 6: another space's account is a 404; bad input is a 400 problem+json.
 */
describeEachDatabase("API: assignments made outside Orchard", (tdb) => {
  let f: Fixture;
  const list = (query = "", token = f.tokens.read, spaceId = f.ids.spaceA, accountId = f.ids.accountA) =>
    f.app.inject({
      method: "GET",
      url: `/api/v1/spaces/${spaceId}/accounts/${accountId}/outside-assignments${query}`,
      headers: auth(token),
    });
  const release = (body: unknown, token = f.tokens.write, spaceId = f.ids.spaceA) =>
    f.app.inject({
      method: "POST",
      url: `/api/v1/spaces/${spaceId}/accounts/${f.ids.accountA}/outside-assignments/release`,
      headers: auth(token),
      payload: body as object,
    });
  /** As the fixture's device has it (mixed case); Apple's list spells it upper-case. */
  const deviceSerial = () => `SER${f.ids.suffix}`;
  const appleSerial = () => deviceSerial().toUpperCase();

  it("AC7: before any full sync the list is empty, and says it was never read", async () => {
    f = await buildFixture(tdb().store);
    const r = await list();
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toEqual({ items: [], total: 0, page: 1, pageSize: 50 });
  });

  it("AC7, PM1: lists the last full sync's outside assignments, paged, each with the device or user it names now and why it was not adopted", async () => {
    const db = tdb().store.db;
    const generation = 1_000_000 + Math.floor(Math.random() * 1_000_000);
    await writeOutsidePage(db, {
      spaceId: f.ids.spaceA,
      accountId: f.ids.accountA,
      generation,
      page: 0,
      assignments: [
        // Apple spells the device's serial number in another case.
        { adamId: f.ids.adamId, pricingParam: "STDQ", serialNumber: appleSerial() },
        { adamId: f.ids.adamId, pricingParam: "STDQ", serialNumber: "GONE0001" },
        // The fixture's user already holds a license of the app (invariant 2).
        { adamId: f.ids.adamId, pricingParam: "STDQ", clientUserId: `c-${f.ids.suffix}` },
      ],
    });
    await completeOutsideSnapshot(db, {
      spaceId: f.ids.spaceA,
      accountId: f.ids.accountA,
      generation,
      now: NOW,
    });
    const r = await list();
    expect(r.statusCode, r.body).toBe(200);
    const body = r.json();
    expect(body).toMatchObject({ total: 3, page: 1, pageSize: 50, syncedAt: NOW.toISOString() });
    expect(body.items).toEqual([
      {
        adamId: f.ids.adamId,
        appName: "Pages",
        pricingParam: "STDQ",
        serialNumber: appleSerial(),
        device: { id: f.ids.deviceA, serialNumber: deviceSerial(), status: "active" },
        status: "adoptable",
      },
      {
        adamId: f.ids.adamId,
        appName: "Pages",
        pricingParam: "STDQ",
        serialNumber: "GONE0001",
        status: "unmatched",
      },
      {
        adamId: f.ids.adamId,
        appName: "Pages",
        pricingParam: "STDQ",
        clientUserId: `c-${f.ids.suffix}`,
        user: { id: f.ids.userA, name: "Alice Apple", deleted: false },
        status: "holds_license",
      },
    ]);
    const second = (await list("?pageSize=2&page=2")).json();
    expect(second).toMatchObject({ total: 3, page: 2, pageSize: 2 });
    expect(second.items.map((i: { clientUserId?: string }) => i.clientUserId)).toEqual([`c-${f.ids.suffix}`]);
    expect((await list("?adamId=999")).json()).toMatchObject({ items: [], total: 0 });
  });

  it("AC7, invariant 3, invariant 4: a release goes to Apple through the outbox with a log line naming who asked; asked again, it is not queued twice; one Orchard holds now is never released", async () => {
    const r = await release({
      assignments: [
        { adamId: f.ids.adamId, serialNumber: deviceSerial() },
        { adamId: f.ids.adamId, serialNumber: "NEVER-LISTED" },
        // Listed, but the user holds the app from this account: Apple's one assignment is Orchard's.
        { adamId: f.ids.adamId, clientUserId: `c-${f.ids.suffix}` },
      ],
    });
    expect(r.statusCode, r.body).toBe(202);
    expect(r.json()).toEqual({
      requested: [{ adamId: f.ids.adamId, pricingParam: "STDQ", serialNumber: appleSerial() }],
      alreadyReleasing: [],
      notListed: [{ adamId: f.ids.adamId, serialNumber: "NEVER-LISTED" }],
      heldByOrchard: [{ adamId: f.ids.adamId, pricingParam: "STDQ", clientUserId: `c-${f.ids.suffix}` }],
    });
    const db = tdb().store.db;
    const outbox = await listOutbox(db, { spaceId: f.ids.spaceA, kind: "disassociate" });
    expect(outbox).toEqual([
      expect.objectContaining({
        accountId: f.ids.accountA,
        adamId: f.ids.adamId,
        pricingParam: "STDQ",
        // Apple's spelling: the assignment Apple holds.
        serialNumber: appleSerial(),
        state: "pending",
      }),
    ]);
    expect(outbox[0]?.licenseId).toBeUndefined();
    const [line] = await listActivity(db, f.ids.spaceA, { action: "outside.release_requested" });
    expect(line).toMatchObject({
      actor: { kind: "api_token" },
      accountId: f.ids.accountA,
      adamId: f.ids.adamId,
      deviceId: f.ids.deviceA,
      ruleIds: ["AC7"],
      messageKey: "outside.release_queued",
    });
    const again = await release({ assignments: [{ adamId: f.ids.adamId, serialNumber: deviceSerial() }] });
    expect(again.json()).toMatchObject({
      requested: [],
      alreadyReleasing: [{ serialNumber: appleSerial() }],
    });
    expect(await listOutbox(db, { spaceId: f.ids.spaceA, kind: "disassociate" })).toHaveLength(1);
    const listed = (await list()).json();
    expect(listed.items[0].release).toEqual({ state: "pending", at: NOW.toISOString() });
  });

  it("PM1, invariant 6: a read-only administrator cannot release; another space's account is a 404", async () => {
    const body = { assignments: [{ adamId: f.ids.adamId, serialNumber: "GONE0001" }] };
    const readOnly = await release(body, f.tokens.read);
    expect(readOnly.statusCode).toBe(403);
    expect(readOnly.headers["content-type"]).toMatch(/application\/problem\+json/);
    const other = await release(body, f.tokens.other, f.ids.spaceB);
    expect(other.statusCode).toBe(404);
    const otherList = await list("", f.tokens.other, f.ids.spaceB, f.ids.accountA);
    expect(otherList.statusCode).toBe(404);
    expect(otherList.body).not.toContain("GONE0001");
    expect((await list("", f.tokens.read, f.ids.spaceA, "no-such-account")).statusCode).toBe(404);
  });

  it("AC7: release all: a preview counts the list (of an app) and fingerprints it; a release naming another count or set is a 409 that queues nothing; sent again nothing is queued twice; PM1, invariant 6", async () => {
    const releaseAll = (body: object, token = f.tokens.write, spaceId = f.ids.spaceA) =>
      f.app.inject({
        method: "POST",
        url: `/api/v1/spaces/${spaceId}/accounts/${f.ids.accountA}/outside-assignments/release-all`,
        headers: auth(token),
        payload: body,
      });
    const db = tdb().store.db;
    const queued = async () => (await listOutbox(db, { spaceId: f.ids.spaceA, kind: "disassociate" })).length;
    const preview = await releaseAll({});
    expect(preview.statusCode, preview.body).toBe(200);
    const shown = preview.json();
    expect(shown).toMatchObject({ preview: true, count: 3, syncedAt: NOW.toISOString() });
    expect(shown.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect((await releaseAll({ adamId: "999" })).json()).toMatchObject({ preview: true, count: 0 });
    expect(
      (await releaseAll({ dryRun: true, expect: 3, fingerprint: shown.fingerprint })).json(),
    ).toMatchObject({
      preview: true,
    });
    const before = await queued();
    const half = await releaseAll({ expect: 3 });
    expect(half.statusCode).toBe(400);
    expect(half.json()).toMatchObject({ code: "validation_failed", errors: [{ field: "body.fingerprint" }] });
    const stale = await releaseAll({ expect: 2, fingerprint: shown.fingerprint });
    expect(stale.statusCode).toBe(409);
    expect(stale.headers["content-type"]).toMatch(/application\/problem\+json/);
    expect(stale.json()).toMatchObject({
      code: "outside_changed",
      errors: [{ field: "body.expect", limits: { expected: 2, count: 3 } }],
    });
    const otherSet = await releaseAll({ expect: 3, fingerprint: "0".repeat(64) });
    expect(otherSet.json()).toMatchObject({
      code: "outside_changed",
      errors: [{ field: "body.fingerprint" }],
    });
    expect(await queued()).toBe(before);
    for (const bad of [
      { expect: -1, fingerprint: shown.fingerprint },
      { fingerprint: "XYZ" },
      { adamId: "x" },
    ]) {
      const r = await releaseAll(bad);
      expect(r.statusCode, JSON.stringify(bad)).toBe(400);
    }
    expect((await releaseAll({}, f.tokens.read)).statusCode).toBe(403);
    expect((await releaseAll({}, f.tokens.other, f.ids.spaceB)).statusCode).toBe(404);

    // The device's release was asked before: not queued twice. The user holds the app from this
    // account: Apple's one assignment of theirs is Orchard's license, never released. GONE0001 is queued.
    const done = await releaseAll({ expect: 3, fingerprint: shown.fingerprint });
    expect(done.statusCode, done.body).toBe(202);
    expect(done.json()).toMatchObject({
      preview: false,
      count: 3,
      requested: 1,
      alreadyReleasing: 1,
      heldByOrchard: 1,
    });
    expect(await queued()).toBe(before + 1);
    expect((await listOutbox(db, { spaceId: f.ids.spaceA, kind: "disassociate" })).at(-1)).toMatchObject({
      serialNumber: "GONE0001",
    });
    const [line] = await listActivity(db, f.ids.spaceA, { action: "outside.release_requested" });
    expect(line).toMatchObject({
      actor: { kind: "api_token" },
      accountId: f.ids.accountA,
      ruleIds: ["AC7"],
      messageKey: "outside.release_all_queued",
      messageParams: { requested: 1, already: 1 },
    });
    const again = await releaseAll({ expect: 3, fingerprint: shown.fingerprint });
    expect(again.json()).toMatchObject({ requested: 0, alreadyReleasing: 2, heldByOrchard: 1 });
    expect(await queued()).toBe(before + 1);
  });

  it("bad input is a 400 problem+json naming the field, never a 500", async () => {
    const bad = [
      {},
      { assignments: [] },
      { assignments: [{ adamId: f.ids.adamId }] },
      { assignments: [{ adamId: f.ids.adamId, serialNumber: "A", clientUserId: "b" }] },
      { assignments: [{ adamId: "not-digits", serialNumber: "A" }] },
      { assignments: [{ adamId: f.ids.adamId, clientUserId: "has space" }] },
      { assignments: [{ adamId: f.ids.adamId, serialNumber: "A\nB" }] },
      {
        assignments: Array.from({ length: 1001 }, (_, i) => ({
          adamId: f.ids.adamId,
          serialNumber: `S${i}`,
        })),
      },
    ];
    for (const body of bad) {
      const r = await release(body);
      expect(r.statusCode, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(r.headers["content-type"]).toMatch(/application\/problem\+json/);
    }
    for (const query of ["?page=0", "?pageSize=501", "?adamId=x"]) {
      const r = await list(query);
      expect(r.statusCode, query).toBe(400);
    }
  });

  it("AC7: a user is created with their Apple clientUserId, unique in the space; PATCH sets it once", async () => {
    const post = (body: object) =>
      f.app.inject({
        method: "POST",
        url: `/api/v1/spaces/${f.ids.spaceA}/users`,
        headers: auth(f.tokens.write),
        payload: body,
      });
    const created = await post({ name: "Known at Apple", clientUserId: ` jamf-${f.ids.suffix} ` });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json()).toMatchObject({ name: "Known at Apple", clientUserId: `jamf-${f.ids.suffix}` });
    const taken = await post({ name: "Twin", clientUserId: `jamf-${f.ids.suffix}` });
    expect(taken.statusCode).toBe(409);
    expect(taken.json()).toMatchObject({
      code: "already_exists",
      errors: [{ field: "body.clientUserId" }],
    });
    expect(taken.json().detail).toContain(`jamf-${f.ids.suffix}`);
    for (const clientUserId of ["", "   ", "two words", "a\u0000b", "x".repeat(257)]) {
      const r = await post({ name: "Bad", clientUserId });
      expect(r.statusCode, JSON.stringify(clientUserId)).toBe(400);
      expect(r.json().errors?.[0]?.field).toBe("body.clientUserId");
    }
    const patch = (userId: string, body: object) =>
      f.app.inject({
        method: "PATCH",
        url: `/api/v1/spaces/${f.ids.spaceA}/users/${userId}`,
        headers: auth(f.tokens.write),
        payload: body,
      });
    const plain = (await post({ name: "Not yet" })).json();
    expect(plain.clientUserId).toBeUndefined();
    const set = await patch(plain.id, { clientUserId: `intune-${f.ids.suffix}` });
    expect(set.statusCode, set.body).toBe(200);
    expect(set.json().clientUserId).toBe(`intune-${f.ids.suffix}`);
    expect(
      (await patch(plain.id, { clientUserId: `intune-${f.ids.suffix}`, name: "Now known" })).json(),
    ).toMatchObject({ name: "Now known", clientUserId: `intune-${f.ids.suffix}` });
    const changed = await patch(plain.id, { clientUserId: "another-id", name: "Renamed" });
    expect(changed.statusCode).toBe(409);
    expect(changed.json()).toMatchObject({ code: "client_user_id_set" });
    const after = await f.app.inject({
      method: "GET",
      url: `/api/v1/spaces/${f.ids.spaceA}/users/${plain.id}`,
      headers: auth(f.tokens.read),
    });
    expect(after.json()).toMatchObject({ name: "Now known", clientUserId: `intune-${f.ids.suffix}` });
    // Another user's id is taken: a 409 naming the field, not a 500.
    const twin = await patch(f.ids.userA, { clientUserId: `intune-${f.ids.suffix}` });
    expect(twin.statusCode).toBe(409);
    const fresh = (await post({ name: "Fresh" })).json();
    const clash = await patch(fresh.id, { clientUserId: `intune-${f.ids.suffix}` });
    expect(clash.statusCode).toBe(409);
    expect(clash.json()).toMatchObject({ code: "already_exists", errors: [{ field: "body.clientUserId" }] });
  });
});
