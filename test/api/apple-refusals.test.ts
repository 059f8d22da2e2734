import { expect, it } from "vitest";
import { listActivity, markAssigned, releaseLicenses } from "../../src/store/index.js";
import { requeueSubjects } from "../../src/store/sync-licenses.repo.js";
import { finishOutbox } from "../../src/store/sync-outbox.repo.js";
import { describeEachDatabase } from "../store/databases.js";
import { auth, buildFixture, type Fixture, NOW } from "./harness.js";

const ADMIN_ACTOR = { kind: "system", id: "test" } as const;
const APPLE_SAID = "Unable to associate the Apple Account with the user.";

/**
 * Apple's refusals for good through the API: the waiting views and the refusals list show
 * Apple's reason (DB2, UB3), refused requests are sent again, refused releases are sent
 * again or abandoned (RV1-RV5), each a problem+json when there is nothing to act on.
 */
describeEachDatabase("API: Apple's refusals", (db) => {
  let f: Fixture;
  const post = (url: string, token: string, payload?: unknown) =>
    f.app.inject({ method: "POST", url, headers: auth(token), ...(payload ? { payload } : {}) });
  const get = (url: string, token: string) => f.app.inject({ method: "GET", url, headers: auth(token) });
  const space = () => `/api/v1/spaces/${f.ids.spaceA}`;

  it("DB2, UB3: a request Apple refused shows its reason in the app's, the device's waiting list and the refusals list", async () => {
    f = await buildFixture(db().store);
    await requeueSubjects(db().store.db, [
      {
        spaceId: f.ids.spaceA,
        adamId: f.ids.adamId,
        deviceId: f.ids.deviceA,
        why: "mandatory",
        ruleIds: ["DB2", "UB3"],
        requestedAt: NOW,
        now: NOW,
        refusal: { errorNumber: 9635, message: APPLE_SAID, accountId: f.ids.accountA },
      },
    ]);
    const refusal = {
      errorNumber: 9635,
      message: APPLE_SAID,
      accountId: f.ids.accountA,
      accountName: "Main",
      refusedAt: NOW.toISOString(),
    };
    const app = await get(`${space()}/apps/${f.ids.adamId}/waiting`, f.tokens.read);
    expect(app.statusCode, app.body).toBe(200);
    expect(app.json().items).toMatchObject([{ deviceId: f.ids.deviceA, reason: "apple_refused", refusal }]);
    const device = await get(`${space()}/devices/${f.ids.deviceA}/waiting`, f.tokens.read);
    expect(device.json().items).toMatchObject([{ adamId: f.ids.adamId, reason: "apple_refused", refusal }]);
    const list = await get(`${space()}/refusals?app=${f.ids.adamId}`, f.tokens.read);
    expect(list.statusCode, list.body).toBe(200);
    expect(list.json()).toMatchObject({
      requests: { total: 1, items: [{ deviceId: f.ids.deviceA, errorNumber: 9635, accountName: "Main" }] },
      releases: { total: 0, items: [] },
    });
    // The account's Apple work counts what waits for an administrator, beside what waits for Apple.
    const work = await get(`${space()}/accounts/${f.ids.accountA}/apple-work`, f.tokens.read);
    expect(work.json().refusals).toEqual({ requests: 1, releases: 0 });
    const unknownApp = await get(`${space()}/refusals?app=999999999`, f.tokens.read);
    expect(unknownApp.statusCode).toBe(404);
    expect(unknownApp.json().errors?.[0]?.field).toBe("querystring.app");
  });

  it("DB2: sending a refused request again: PM1 read-only is 403, an unknown device a 404 naming it, a subject Apple did not refuse a 409, nothing changed", async () => {
    const url = `${space()}/apps/${f.ids.adamId}/waiting/retry`;
    const read = await post(url, f.tokens.read, { deviceIds: [f.ids.deviceA] });
    expect(read.statusCode).toBe(403);
    const unknown = await post(url, f.tokens.write, { deviceIds: ["no-such-device"] });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.headers["content-type"]).toMatch(/application\/problem\+json/);
    expect(unknown.json().errors?.[0]?.field).toBe("body.deviceIds.0");
    const notRefused = await post(url, f.tokens.write, {
      userIds: [f.ids.userA],
      deviceIds: [f.ids.deviceA],
    });
    expect(notRefused.statusCode).toBe(409);
    expect(notRefused.json()).toMatchObject({ code: "not_refused" });
    const still = await get(`${space()}/apps/${f.ids.adamId}/waiting`, f.tokens.read);
    expect(still.json().items[0]?.reason).toBe("apple_refused");
  });

  it("DB2: sent again, the request waits as any other, its refusal gone; the log says who; a second time is a 409", async () => {
    const url = `${space()}/apps/${f.ids.adamId}/waiting/retry`;
    const r = await post(url, f.tokens.write, { deviceIds: [f.ids.deviceA] });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toEqual({ retried: [{ adamId: f.ids.adamId, deviceId: f.ids.deviceA }] });
    const waiting = await get(`${space()}/apps/${f.ids.adamId}/waiting`, f.tokens.read);
    expect(waiting.json().items).toMatchObject([{ deviceId: f.ids.deviceA, reason: "no_license" }]);
    expect(waiting.json().items[0].refusal).toBeUndefined();
    const logged = await listActivity(db().store.db, f.ids.spaceA, { action: "license.request_retried" });
    expect(logged).toHaveLength(1);
    expect(logged[0]?.message).toContain("9635");
    // Who acted: the writer's API token (an administrator's own, PM1).
    expect(logged[0]?.actor).toMatchObject({ kind: "api_token", id: expect.any(String) });
    const again = await post(url, f.tokens.write, { deviceIds: [f.ids.deviceA] });
    expect(again.statusCode).toBe(409);
  });

  it("RV2: a release Apple refused is listed with its license (Apple work, refusals), sent again, then abandoned: released here, the log naming who", async () => {
    const store = db().store.db;
    const licenseId = f.ids.licenseA;
    await markAssigned(store, {
      spaceId: f.ids.spaceA,
      licenseIds: [licenseId],
      actor: ADMIN_ACTOR,
      now: NOW,
    });
    await releaseLicenses(store, {
      spaceId: f.ids.spaceA,
      licenseIds: [licenseId],
      actor: ADMIN_ACTOR,
      now: NOW,
      because: ["RV2"],
    });
    const refuse = async () => {
      const ops = await store
        .selectFrom("outbox")
        .select("seq")
        .where("space_id", "=", f.ids.spaceA)
        .where("license_id", "=", licenseId)
        .where("kind", "=", "disassociate")
        .execute();
      await finishOutbox(store, {
        spaceId: f.ids.spaceA,
        seqs: ops.map((o) => o.seq),
        state: "failed",
        error: "9706 Asset in request is not revocable",
        now: NOW,
      });
    };
    await refuse();
    const work = await get(`${space()}/accounts/${f.ids.accountA}/apple-work`, f.tokens.read);
    expect(work.json().failures.items).toMatchObject([
      {
        kind: "disassociate",
        licenseId,
        releaseRefused: true,
        lastError: "9706 Asset in request is not revocable",
      },
    ]);
    expect(work.json().refusals).toEqual({ requests: 0, releases: 1 });
    const list = await get(`${space()}/refusals`, f.tokens.read);
    expect(list.json().releases).toMatchObject({
      total: 1,
      items: [{ licenseId, error: expect.stringContaining("9706") }],
    });

    const retry = await post(`${space()}/licenses/${licenseId}/release/retry`, f.tokens.write);
    expect(retry.statusCode, retry.body).toBe(200);
    expect(retry.json().license).toMatchObject({ id: licenseId, state: "pending_release" });
    // On its way again: nothing to abandon until Apple refuses it again.
    const early = await post(`${space()}/licenses/${licenseId}/release/abandon`, f.tokens.write, {
      confirm: true,
    });
    expect(early.statusCode).toBe(409);
    expect(early.json()).toMatchObject({ code: "not_refused" });
    await refuse();

    const unconfirmed = await post(`${space()}/licenses/${licenseId}/release/abandon`, f.tokens.write, {});
    expect(unconfirmed.statusCode).toBe(400);
    const read = await post(`${space()}/licenses/${licenseId}/release/abandon`, f.tokens.read, {
      confirm: true,
    });
    expect(read.statusCode).toBe(403);
    const abandon = await post(`${space()}/licenses/${licenseId}/release/abandon`, f.tokens.write, {
      confirm: true,
    });
    expect(abandon.statusCode, abandon.body).toBe(200);
    expect(abandon.json().license).toMatchObject({ id: licenseId, state: "released" });
    const logged = await listActivity(store, f.ids.spaceA, { action: "license.release_abandoned" });
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ licenseId, actor: { kind: "api_token", id: expect.any(String) } });
    expect(logged[0]?.message).toContain("9706");
    const after = await get(`${space()}/accounts/${f.ids.accountA}/apple-work`, f.tokens.read);
    expect(after.json().failures.items[0]).toMatchObject({ licenseId, releaseRefused: false });
    expect(after.json().refusals).toEqual({ requests: 0, releases: 0 });
    const twice = await post(`${space()}/licenses/${licenseId}/release/abandon`, f.tokens.write, {
      confirm: true,
    });
    expect(twice.statusCode).toBe(409);
    const missing = await post(`${space()}/licenses/no-such-license/release/retry`, f.tokens.write);
    expect(missing.statusCode).toBe(404);
  });
});
