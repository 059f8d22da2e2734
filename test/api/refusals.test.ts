import { expect, it } from "vitest";
import { syncAccountOps } from "../../src/main/sync-bindings.js";
import { createAccount, type Store } from "../../src/store/index.js";
import { makeSyncDeps } from "../../src/sync/index.js";
import { describeEachDatabase } from "../store/databases.js";
import { auth, buildFixture, type Fixture, NOW, STOKEN } from "./harness.js";

/** The messages of a problem's `errors[]` about one field. */
function errorsOfField(
  problem: { errors?: Array<{ field: string; message: string }> },
  field: string,
): string[] {
  return (problem.errors ?? []).filter((e) => e.field === field).map((e) => e.message);
}

/** The sync engine's account operations, with an Apple that is never called (renames and moves need none). */
const syncAccounts = (store: Store) =>
  syncAccountOps(
    makeSyncDeps({
      db: store.db,
      keys: store.keys,
      appleBaseUrl: "http://127.0.0.1:9/never-called",
      mdmInfo: { id: "orchard-test", name: "Orchard", metadata: "test" },
      now: () => NOW,
      fetch: async () => {
        throw new Error("Apple is not called by these tests");
      },
    }),
  );

/**
 * What an MDM vendor's client is told when it sends what Orchard cannot use: an id that
 * does not exist (a 404 naming the field and the value, never a 409 "in use"), a field the
 * route does not take, a position past the last account, a period that ends before it starts.
 */
describeEachDatabase("refusals that name the field", (db) => {
  let f: Fixture;
  const s = () => `/api/v1/spaces/${f.ids.spaceA}`;
  const send = (method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE", url: string, payload?: unknown) =>
    f.app.inject({
      method,
      url,
      headers: auth(f.tokens.write),
      ...(payload !== undefined ? { payload: payload as object } : {}),
    });
  const activityOf = async (accountId: string) =>
    (await send("GET", `${s()}/activity?account=${accountId}&pageSize=100`)).json().items as Array<{
      action: string;
      message: string;
      actor: { kind: string; id?: string };
      actorName?: string;
    }>;

  it("an unknown user in a device's body is a 404 not_found naming the field and the value, not a 409 in_use", async () => {
    f = await buildFixture(db().store, { accounts: syncAccounts });
    const created = await send("POST", `${s()}/devices`, {
      serialNumber: `NEW3-${f.ids.suffix}`,
      platform: "iOS",
      userId: "nope",
    });
    expect(created.statusCode, created.body).toBe(404);
    expect(created.json()).toMatchObject({ code: "not_found", detail: "user nope does not exist" });
    expect(errorsOfField(created.json(), "body.userId")).toEqual(["user nope does not exist"]);
    // Nothing was created: the serial number is still free.
    const free = await send("POST", `${s()}/devices`, {
      serialNumber: `NEW3-${f.ids.suffix}`,
      platform: "iOS",
    });
    expect(free.statusCode, free.body).toBe(201);

    const patched = await send("PATCH", `${s()}/devices/${f.ids.deviceA}`, { userId: "nope" });
    expect(patched.statusCode, patched.body).toBe(404);
    expect(errorsOfField(patched.json(), "body.userId")).toEqual(["user nope does not exist"]);
    // Another space's user does not exist here either (invariant 6).
    const other = await send("PATCH", `${s()}/devices/${f.ids.deviceA}`, { userId: f.ids.userB });
    expect(other.statusCode).toBe(404);
    expect(errorsOfField(other.json(), "body.userId")).toHaveLength(1);

    const bulk = await send("POST", `${s()}/devices/bulk`, {
      devices: [
        { serialNumber: `B1-${f.ids.suffix}`, platform: "iOS", userId: f.ids.userA },
        { serialNumber: `B2-${f.ids.suffix}`, platform: "iOS", userId: "ghost" },
      ],
    });
    expect(bulk.statusCode, bulk.body).toBe(404);
    expect(errorsOfField(bulk.json(), "body.devices.1.userId")).toEqual(["user ghost does not exist"]);

    const listed = await send("GET", `${s()}/devices?user=nope`);
    expect(listed.statusCode).toBe(404);
    expect(errorsOfField(listed.json(), "querystring.user")).toHaveLength(1);
  });

  it("an unknown user added to a group is a 404 naming body.userIds.<i>, from the database's own refusal", async () => {
    const r = await send("POST", `${s()}/groups/${f.ids.groupA}/members`, { userIds: [f.ids.userA, "nope"] });
    expect(r.statusCode, r.body).toBe(404);
    expect(r.json()).toMatchObject({ code: "not_found", detail: "user nope does not exist" });
    expect(errorsOfField(r.json(), "body.userIds.1")).toEqual(["user nope does not exist"]);
    // As users/invite answers an unknown user: the same status, code and field.
    const invite = await send("POST", `${s()}/users/invite`, { userIds: ["nope"] });
    expect(invite.statusCode, invite.body).toBe(404);
    expect(errorsOfField(invite.json(), "body.userIds.0")).toEqual(["user nope does not exist"]);
  });

  it("DI5: a license filter naming what the space does not have is a 404 naming the parameter; a device by id or by serial number", async () => {
    const list = (query: string) => send("GET", `${s()}/licenses?${query}`);
    for (const [query, field, detail] of [
      ["account=nope", "querystring.account", "account nope does not exist"],
      ["user=not-a-user", "querystring.user", "user not-a-user does not exist"],
      [`account=${f.ids.accountB}`, "querystring.account", `account ${f.ids.accountB} does not exist`],
      ["app=999", "querystring.app", "app 999 does not exist"],
      ["device=nope", "querystring.device", "device nope does not exist"],
      ["serial=NOPE", "querystring.serial", "device with serial number NOPE does not exist"],
    ] as const) {
      const r = await list(query);
      expect(r.statusCode, query).toBe(404);
      expect(r.json().code, query).toBe("not_found");
      expect(r.json().detail, query).toMatch(new RegExp(`^${detail}`));
      expect(errorsOfField(r.json(), field), query).toHaveLength(1);
    }
    // A serial number sent as the device's id says where it goes.
    const serial = `SER${f.ids.suffix}`;
    const asId = await list(`device=${serial}`);
    expect(asId.statusCode).toBe(404);
    expect(asId.json().detail).toBe(
      `device ${serial} does not exist: it is a device's serial number: filter with serial=${serial}`,
    );
    // Known ones filter as before; a device by serial number as by id.
    const byId = await list(`device=${f.ids.deviceA}`);
    const bySerial = await list(`serial=${serial}`);
    expect(byId.statusCode).toBe(200);
    expect(bySerial.json()).toEqual(byId.json());
    const known = await list(`account=${f.ids.accountA}&user=${f.ids.userA}&app=${f.ids.adamId}`);
    expect(known.statusCode).toBe(200);
    expect(known.json().items.map((l: { id: string }) => l.id)).toEqual([f.ids.licenseA]);
  });

  it("AC2: a PATCH of an account with a field the route does not take is a 400 naming it; nothing changes", async () => {
    const url = `${s()}/accounts/${f.ids.accountA}`;
    const before = (await send("GET", url)).json();
    const logged = (await activityOf(f.ids.accountA)).length;
    const typo = await send("PATCH", url, { displayName: "Main Campus" });
    expect(typo.statusCode, typo.body).toBe(400);
    expect(typo.json().code).toBe("validation_failed");
    expect(errorsOfField(typo.json(), "body.displayName")).toEqual([
      "unknown field displayName: this route does not take it (it takes autoDistribute, clearPrevious, name, sToken, takeOver)",
    ]);
    expect((await send("GET", url)).json()).toEqual(before);
    expect(await activityOf(f.ids.accountA)).toHaveLength(logged);
    // DI1: the rules' body is as strict: a misspelt list would otherwise empty the real one.
    const rules = await send("PUT", `${s()}/accounts/${f.ids.accountA}/apps/${f.ids.adamId}/rules`, {
      reservedUsers: [f.ids.userA],
    });
    expect(rules.statusCode, rules.body).toBe(400);
    expect(errorsOfField(rules.json(), "body.reservedUsers")).toHaveLength(1);
    const priority = await send("PUT", `${url}/priority`, { position: 1, priority: 1 });
    expect(priority.statusCode).toBe(400);
    expect(errorsOfField(priority.json(), "body.priority")).toHaveLength(1);
  });

  it("AC2: an update that changes nothing answers the account as it is and writes no activity line; a rename writes one", async () => {
    const url = `${s()}/accounts/${f.ids.accountA}`;
    const before = (await send("GET", url)).json();
    const logged = (await activityOf(f.ids.accountA)).length;
    for (const body of [
      {},
      { name: before.displayName },
      { name: ` ${before.displayName} ` },
      { autoDistribute: before.autoDistribute },
      { name: before.displayName, autoDistribute: before.autoDistribute, clearPrevious: false },
    ]) {
      const r = await send("PATCH", url, body);
      expect(r.statusCode, JSON.stringify(body)).toBe(200);
      expect(r.json(), JSON.stringify(body)).toEqual(before);
    }
    expect(await activityOf(f.ids.accountA)).toHaveLength(logged);
    const renamed = await send("PATCH", url, { name: "Main Campus" });
    expect(renamed.json().displayName).toBe("Main Campus");
    const lines = await activityOf(f.ids.accountA);
    expect(lines).toHaveLength(logged + 1);
    // Invariant 4: who did it, by name (the API token "writer"), not only its kind and id.
    expect(lines[0]).toMatchObject({
      action: "account.updated",
      message: "account Main Campus updated",
      actor: { kind: "api_token", id: expect.any(String) },
      actorName: "writer",
    });
    const csv = await send("GET", `${s()}/activity.csv?account=${f.ids.accountA}`);
    const [header, newest] =
      csv.body.split("\r\n").length > 1 ? csv.body.split("\r\n") : csv.body.split("\n");
    expect(header?.split(",").slice(-2)).toEqual(["actor_name", "details"]);
    // The actor's name, then the line's details (JSON, quoted: it holds commas).
    expect(newest).toMatch(/,writer,(|"\{.*\}")$/);
  });

  it("AC4, MA6: a position past the last account is a 400 naming position and the range; the log records the position taken", async () => {
    const second = (
      await createAccount(f.deps.db, f.deps.keys, {
        spaceId: f.ids.spaceA,
        displayName: "North",
        sToken: STOKEN,
      })
    ).id;
    const move = (accountId: string, position: number) =>
      send("PUT", `${s()}/accounts/${accountId}/priority`, { position });
    const past = await move(f.ids.accountA, 5);
    expect(past.statusCode, past.body).toBe(400);
    expect(past.json().code).toBe("invalid_priority");
    expect(past.json().errors).toEqual([
      expect.objectContaining({
        field: "body.position",
        message: expect.stringMatching(/position 5 is out of range: .*2 accounts.*from 1 to 2/),
        limits: { minimum: 1, maximum: 2 },
      }),
    ]);
    expect(await activityOf(f.ids.accountA)).not.toContainEqual(
      expect.objectContaining({ action: "account.priority_changed" }),
    );

    // Where it is already: nothing changes, nothing is logged.
    const stay = await move(f.ids.accountA, 1);
    expect(stay.statusCode).toBe(200);
    expect(await activityOf(f.ids.accountA)).not.toContainEqual(
      expect.objectContaining({ action: "account.priority_changed" }),
    );

    const last = await move(f.ids.accountA, 2);
    expect(last.statusCode, last.body).toBe(200);
    expect(last.json().items.map((a: { id: string }) => a.id)).toEqual([second, f.ids.accountA]);
    const [line] = await activityOf(f.ids.accountA);
    expect(line).toMatchObject({
      action: "account.priority_changed",
      message: "priority 1 -> 2; no license moved",
    });
  });

  it("MA6: a what-if order names every account of the space exactly once: 400 naming what is missing or repeated", async () => {
    const accounts = (await send("GET", `${s()}/accounts`)).json().items as Array<{
      id: string;
      name: string;
    }>;
    expect(accounts).toHaveLength(2);
    const [a1, a2] = accounts.map((a) => a.id) as [string, string];
    const whatIf = (order: string[]) =>
      send("POST", `${s()}/what-if`, { changes: [{ kind: "priorities", order }] });

    const incomplete = await whatIf([a2]);
    expect(incomplete.statusCode, incomplete.body).toBe(400);
    expect(incomplete.json().code).toBe("invalid_priority");
    expect(errorsOfField(incomplete.json(), "body.changes.0.order")).toEqual([
      expect.stringMatching(new RegExp(`missing: .*\\(${a1}\\)`)),
    ]);

    const twice = await whatIf([a2, a2]);
    expect(twice.statusCode, twice.body).toBe(400);
    expect(errorsOfField(twice.json(), "body.changes.0.order")).toEqual([
      expect.stringMatching(new RegExp(`listed more than once: .*\\(${a2}\\).*missing: .*\\(${a1}\\)`)),
    ]);

    const unknown = await whatIf([a2, "nope"]);
    expect(unknown.statusCode).toBe(404);
    expect(errorsOfField(unknown.json(), "body.changes.0.order.1")).toEqual(["account nope does not exist"]);

    const whole = await whatIf([a2, a1]);
    expect(whole.statusCode, whole.body).toBe(200);
  });

  it("MA6, AC4: PUT accounts/order sets the whole order at once, logs each move; an incomplete or stale order moves nothing", async () => {
    const order = async () =>
      ((await send("GET", `${s()}/accounts`)).json().items as Array<{ id: string }>).map((a) => a.id);
    const [a1, a2] = (await order()) as [string, string];
    const put = (body: object) => send("PUT", `${s()}/accounts/order`, body);
    const moves = async () =>
      [...(await activityOf(a1)), ...(await activityOf(a2))].filter(
        (l: { action: string }) => l.action === "account.priority_changed",
      ).length;
    const logged = await moves();

    const incomplete = await put({ order: [a2] });
    expect(incomplete.statusCode, incomplete.body).toBe(400);
    expect(incomplete.json().code).toBe("invalid_priority");
    expect(errorsOfField(incomplete.json(), "body.order")).toEqual([
      expect.stringMatching(new RegExp(`exactly once; missing: .*\\(${a1}\\)`)),
    ]);
    const stranger = await put({ order: [a2, a1, "nope"] });
    expect(stranger.statusCode).toBe(400);
    expect(errorsOfField(stranger.json(), "body.order")).toEqual([
      expect.stringMatching(/not accounts of the space: nope/),
    ]);
    // Made from an order the accounts no longer have: a 412, nothing moves.
    const stale = await put({ order: [a2, a1], from: [a2, a1] });
    expect(stale.statusCode, stale.body).toBe(412);
    expect(stale.json().code).toBe("accounts_reordered");
    expect(await order()).toEqual([a1, a2]);
    expect(await moves()).toBe(logged);

    const swapped = await put({ order: [a2, a1], from: [a1, a2] });
    expect(swapped.statusCode, swapped.body).toBe(200);
    expect(swapped.json().items.map((a: { id: string; priority: number }) => [a.id, a.priority])).toEqual([
      [a2, 1],
      [a1, 2],
    ]);
    // Both moved, each logged with its positions (MA3: no license moved).
    expect(await moves()).toBe(logged + 2);
    const [line] = await activityOf(a2);
    expect(line).toMatchObject({
      action: "account.priority_changed",
      message: "priority 2 -> 1; no license moved",
    });
    // The same order again moves and logs nothing.
    expect((await put({ order: [a2, a1] })).statusCode).toBe(200);
    expect(await moves()).toBe(logged + 2);
  });

  it("the activity log's period takes a date (its start in UTC) or a date-time; from after to is a 400", async () => {
    const list = (query: string) => send("GET", `${s()}/activity?pageSize=100&${query}`);
    const day = await list("from=2026-03-01&to=2026-03-02");
    expect(day.statusCode, day.body).toBe(200);
    const exact = await list("from=2026-03-01T00:00:00Z&to=2026-03-02T00:00:00%2B00:00");
    expect(day.json()).toEqual(exact.json());
    // The fixture's lines are all at NOW (2026-03-01T12:00Z): in that day, not in the next.
    expect(day.json().total).toBeGreaterThan(0);
    expect((await list("from=2026-03-02")).json().total).toBe(0);
    expect((await list("to=2026-03-01")).json().total).toBe(0);
    expect((await send("GET", `${s()}/activity.csv?from=2026-12-01`)).statusCode).toBe(200);

    const reversed = await list("from=2026-12-01&to=2026-11-01");
    expect(reversed.statusCode).toBe(400);
    expect(reversed.json().code).toBe("validation_failed");
    expect(errorsOfField(reversed.json(), "querystring.from")).toEqual([
      "from (2026-12-01T00:00:00.000Z) is after to (2026-11-01T00:00:00.000Z)",
    ]);
    expect((await send("GET", `${s()}/activity.csv?from=2026-12-01&to=2026-11-01`)).statusCode).toBe(400);

    for (const bad of ["2026-13-01", "2026-12-01T08:00:00", "yesterday"]) {
      const r = await list(`from=${bad}`);
      expect(r.statusCode, bad).toBe(400);
      expect(errorsOfField(r.json(), "querystring.from"), bad).toEqual([
        "a date (2026-12-01, its start in UTC) or a date-time with its offset (2026-12-01T08:00:00Z)",
      ]);
    }
  });
});
