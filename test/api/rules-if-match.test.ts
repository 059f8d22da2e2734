import { expect, it } from "vitest";
import { createUser, getAppRules, rulesVersion } from "../../src/store/index.js";
import { describeEachDatabase } from "../store/databases.js";
import { auth, buildFixture } from "./harness.js";

/**
 * DI1 without lost updates: the rules' GET gives their version (ETag, `version`); a PUT or a
 * reservation with If-Match naming it changes them only while they still have it, and
 * another administrator's change made meanwhile is a 412, not undone without a word.
 */
describeEachDatabase("API: an app's rules changed with If-Match", (db) => {
  it("DI1: a PUT on the version read applies; on a stale version it is a 412 and the newer rules stay", async () => {
    const f = await buildFixture(db().store);
    const { spaceA: spaceId, accountA: accountId, adamId, userA, groupA } = f.ids;
    const userB = (await createUser(db().store.db, { spaceId, name: "Bob Builder" })).id;
    const url = `/api/v1/spaces/${spaceId}/accounts/${accountId}/apps/${adamId}/rules`;
    const put = (payload: object, ifMatch?: string) =>
      f.app.inject({
        method: "PUT",
        url,
        headers: { ...auth(f.tokens.write), ...(ifMatch ? { "if-match": ifMatch } : {}) },
        payload,
      });
    const read = await f.app.inject({ method: "GET", url, headers: auth(f.tokens.read) });
    expect(read.statusCode).toBe(200);
    const etag = read.headers.etag as string;
    expect(etag).toBe(`"${read.json().version}"`);

    // Ada's edit, made on that reading: applied, with the new version.
    const ada = await put({ reservedUserIds: [userA], reservedDeviceIds: [], prohibitedUserIds: [] }, etag);
    expect(ada.statusCode).toBe(200);
    expect(ada.headers.etag).toBe(`"${ada.json().version}"`);
    expect(ada.headers.etag).not.toBe(etag);

    // Bob's edit, made on the same first reading: refused, Ada's reservation kept.
    const bob = await put({ reservedUserIds: [], reservedDeviceIds: [], prohibitedUserIds: [userB] }, etag);
    expect(bob.statusCode).toBe(412);
    expect(bob.headers["content-type"]).toMatch(/application\/problem\+json/);
    expect(bob.json().code).toBe("rules_changed");
    expect(await getAppRules(db().store.db, spaceId, accountId, adamId)).toMatchObject({
      reservedUserIds: [userA],
      prohibitedUserIds: [],
    });

    // One of several tags, or *, will do; a weak tag never matches (RFC 9110's strong comparison).
    const current = ada.headers.etag as string;
    expect(
      (await put({ reservedUserIds: [userA], reservedDeviceIds: [], prohibitedUserIds: [] }, `W/${current}`))
        .statusCode,
    ).toBe(412);
    const listed = await put(
      {
        fcfs: { groupIds: [groupA], requestedType: "user", mandatoryType: "device" },
        reservedUserIds: [userA],
        reservedDeviceIds: [],
        prohibitedUserIds: [],
      },
      `"stale", ${current}`,
    );
    expect(listed.statusCode).toBe(200);
    const any = await put({ reservedUserIds: [], reservedDeviceIds: [], prohibitedUserIds: [] }, "*");
    expect(any.statusCode).toBe(200);
    // Without If-Match, the PUT replaces as before.
    expect(
      (await put({ reservedUserIds: [userB], reservedDeviceIds: [], prohibitedUserIds: [] })).statusCode,
    ).toBe(200);

    // An If-Match that is no entity tag is a 400 naming the header, and changes nothing.
    const before = await getAppRules(db().store.db, spaceId, accountId, adamId);
    const garbled = await put(
      { reservedUserIds: [], reservedDeviceIds: [], prohibitedUserIds: [] },
      "not-a-tag",
    );
    expect(garbled.statusCode).toBe(400);
    expect(garbled.json().errors[0].field).toBe("headers.if-match");
    expect(await getAppRules(db().store.db, spaceId, accountId, adamId)).toEqual(before);
  });

  it("DI3: a reservation with a stale If-Match is a 412; the version is the same whatever the lists' order", async () => {
    const f = await buildFixture(db().store);
    const { spaceA: spaceId, accountA: accountId, adamId, userA } = f.ids;
    const userB = (await createUser(db().store.db, { spaceId, name: "Bob Builder" })).id;
    const url = `/api/v1/spaces/${spaceId}/accounts/${accountId}/apps/${adamId}/rules`;
    const stale = (await f.app.inject({ method: "GET", url, headers: auth(f.tokens.read) })).headers
      .etag as string;
    await f.app.inject({
      method: "PUT",
      url,
      headers: auth(f.tokens.write),
      payload: { reservedUserIds: [], reservedDeviceIds: [], prohibitedUserIds: [userB] },
    });
    const reserve = await f.app.inject({
      method: "POST",
      url: `${url}/reservations`,
      headers: { ...auth(f.tokens.write), "if-match": stale },
      payload: { userIds: [userA] },
    });
    expect(reserve.statusCode).toBe(412);
    expect((await getAppRules(db().store.db, spaceId, accountId, adamId)).reservedUserIds).toEqual([]);

    const lists = { reservedDeviceIds: [], prohibitedUserIds: [] };
    expect(rulesVersion({ ...lists, reservedUserIds: [userA, userB] })).toBe(
      rulesVersion({ ...lists, reservedUserIds: [userB, userA] }),
    );
    expect(rulesVersion({ ...lists, reservedUserIds: [userA] })).not.toBe(
      rulesVersion({ ...lists, reservedUserIds: [], prohibitedUserIds: [userA] }),
    );
  });

  it("DI3: with an Idempotency-Key, a 412 is not kept (the retry on the fresh version applies), the ETag is replayed, and another If-Match under the same key is another request", async () => {
    const f = await buildFixture(db().store);
    const { spaceA: spaceId, accountA: accountId, adamId, userA } = f.ids;
    const url = `/api/v1/spaces/${spaceId}/accounts/${accountId}/apps/${adamId}/rules`;
    const etagNow = async () =>
      (await f.app.inject({ method: "GET", url, headers: auth(f.tokens.read) })).headers.etag as string;
    const stale = await etagNow();
    await f.app.inject({
      method: "PUT",
      url,
      headers: auth(f.tokens.write),
      payload: {
        reservedUserIds: [],
        reservedDeviceIds: [],
        prohibitedUserIds: [],
        fcfs: { groupIds: [f.ids.groupA], requestedType: "user", mandatoryType: "user" },
      },
    });
    const fresh = await etagNow();
    const reserve = (key: string, ifMatch: string) =>
      f.app.inject({
        method: "POST",
        url: `${url}/reservations`,
        headers: { ...auth(f.tokens.write), "idempotency-key": key, "if-match": ifMatch },
        payload: { userIds: [userA] },
      });
    const refused = await reserve("k-1", stale);
    expect(refused.statusCode).toBe(412);
    // Not kept: the same key on the version now is done, not refused again.
    const applied = await reserve("k-1", fresh);
    expect(applied.statusCode, applied.body).toBe(200);
    expect(applied.json().reservedUsers).toEqual([expect.objectContaining({ id: userA })]);
    const replayed = await reserve("k-1", fresh);
    expect(replayed.statusCode).toBe(200);
    expect(replayed.headers["idempotent-replayed"]).toBe("true");
    expect(replayed.headers.etag).toBe(applied.headers.etag);
    expect(replayed.headers.etag).toBe(`"${applied.json().version}"`);
    // Another If-Match under a kept key is another request: refused, not answered with the 200.
    const other = await reserve("k-1", stale);
    expect(other.statusCode, other.body).toBe(422);
    expect(other.json().code).toBe("idempotency_key_reused");
  });
});

describeEachDatabase("API: If-Match where nothing has a version, If-None-Match on the rules", (db) => {
  it("DI1: If-Match on a change of a resource without a version (a device, a user, the catalog) is a 412 naming the header, and nothing changes; `*` goes on", async () => {
    const f = await buildFixture(db().store);
    const s = `/api/v1/spaces/${f.ids.spaceA}`;
    const send = (method: "PATCH" | "PUT", url: string, payload: object, ifMatch: string) =>
      f.app.inject({ method, url, headers: { ...auth(f.tokens.write), "if-match": ifMatch }, payload });
    for (const [method, url, payload] of [
      ["PATCH", `${s}/devices/${f.ids.deviceA}`, { supervised: true }],
      ["PATCH", `${s}/users/${f.ids.userA}`, { name: "Renamed" }],
      ["PUT", `${s}/catalog/${f.ids.adamId}`, { installOnDevice: true }],
    ] as const) {
      const refused = await send(method, url, payload, '"nope"');
      expect(refused.statusCode, `${method} ${url}`).toBe(412);
      expect(refused.headers["content-type"]).toMatch(/application\/problem\+json/);
      expect(refused.json()).toMatchObject({
        code: "precondition_failed",
        errors: [{ field: "headers.if-match" }],
      });
    }
    const device = await f.app.inject({
      method: "GET",
      url: `${s}/devices/${f.ids.deviceA}`,
      headers: auth(f.tokens.read),
    });
    expect(device.json().supervised).toBe(false);
    expect((await send("PATCH", `${s}/devices/${f.ids.deviceA}`, { supervised: true }, "*")).statusCode).toBe(
      200,
    );
  });

  it("DI1: a GET of the rules with If-None-Match naming their version is a 304 without a body; once they change, a 200", async () => {
    const f = await buildFixture(db().store);
    const url = `/api/v1/spaces/${f.ids.spaceA}/accounts/${f.ids.accountA}/apps/${f.ids.adamId}/rules`;
    const get = (ifNoneMatch?: string) =>
      f.app.inject({
        method: "GET",
        url,
        headers: { ...auth(f.tokens.read), ...(ifNoneMatch ? { "if-none-match": ifNoneMatch } : {}) },
      });
    const first = await get();
    const etag = first.headers.etag as string;
    const same = await get(etag);
    expect(same.statusCode).toBe(304);
    expect(same.body).toBe("");
    expect(same.headers.etag).toBe(etag);
    expect((await get(`W/${etag}`)).statusCode).toBe(304);
    await f.app.inject({
      method: "PUT",
      url,
      headers: auth(f.tokens.write),
      payload: { reservedUserIds: [f.ids.userA], reservedDeviceIds: [], prohibitedUserIds: [] },
    });
    const changed = await get(etag);
    expect(changed.statusCode).toBe(200);
    expect(changed.headers.etag).not.toBe(etag);
  });
});
