import { afterAll, expect, it } from "vitest";
import { hashOfBody } from "../../src/api/idempotency.js";
import { decodeSToken, type RunningSimulator, startSimulator } from "../../src/simulator/index.js";
import { claimIdempotencyKey } from "../../src/store/idempotency.repo.js";
import { DEFAULT_RETENTION, pruneExpired } from "../../src/store/retention.repo.js";
import { describeEachDatabase } from "../store/databases.js";
import { auth, buildFixture, type Fixture, NOW, syncAccounts } from "./harness.js";

const HOUR = 3_600_000;
type Method = "POST" | "PATCH" | "PUT";

/**
 * `Idempotency-Key` (draft-ietf-httpapi-idempotency-key-header): an MDM's job queue that
 * sends a POST or PATCH again after a timeout gets the first answer, marked
 * `Idempotent-Replayed: true`, and nothing happens twice. Accounts go through the sync
 * engine and the Apple simulator, whose injected latency and maintenance give a slow
 * request and a real 503.
 */
describeEachDatabase("Idempotency-Key on POST and PATCH", (db) => {
  let f: Fixture;
  let sim: RunningSimulator | undefined;
  let keyCount = 0;
  const s = () => `/api/v1/spaces/${f.ids.spaceA}`;
  const newKey = () => `key-${f.ids.suffix}-${++keyCount}`;
  const send = (
    method: Method,
    url: string,
    payload: unknown,
    key?: string,
    headers: Record<string, string> = auth(f.tokens.write),
  ) =>
    f.app.inject({
      method,
      url,
      headers: { ...headers, ...(key === undefined ? {} : { "idempotency-key": key }) },
      ...(payload === undefined ? {} : { payload: payload as object }),
    });
  const rowsOf = async (key: string) =>
    (
      await db()
        .store.db.withTables<{
          idempotency_keys: { key: string; state: string; body_hash: string; response_body: string | null };
        }>()
        .selectFrom("idempotency_keys")
        .selectAll()
        .where("key", "=", key)
        .execute()
    ).map((r) => r as Record<string, unknown>);
  const ageKey = async (key: string, hours: number) =>
    db()
      .store.db.withTables<{ idempotency_keys: { key: string; created_at: Date } }>()
      .updateTable("idempotency_keys")
      .set({ created_at: new Date(NOW.getTime() - hours * HOUR) })
      .where("key", "=", key)
      .execute();
  const devicesWithSerial = async (serial: string) =>
    Number(
      (
        await db()
          .store.db.selectFrom("devices")
          .select((eb) => eb.fn.countAll<number>().as("n"))
          .where("serial_number", "=", serial)
          .executeTakeFirstOrThrow()
      ).n,
    );
  const multipart = (fields: Record<string, string>, file: string) => {
    const boundary = "----orchard-idempotency";
    const parts = Object.entries(fields).map(
      ([name, value]) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}`,
    );
    parts.push(
      `--${boundary}\r\nContent-Disposition: form-data; name="sToken"; filename="t.vpptoken"\r\nContent-Type: application/octet-stream\r\n\r\n${file}`,
      `--${boundary}--\r\n`,
    );
    return { contentType: `multipart/form-data; boundary=${boundary}`, body: parts.join("\r\n") };
  };
  const addAccount = (name: string, sToken: string, key: string) => {
    const form = multipart({ name }, sToken);
    return f.app.inject({
      method: "POST",
      url: `${s()}/accounts`,
      headers: { ...auth(f.tokens.write), "content-type": form.contentType, "idempotency-key": key },
      payload: form.body,
    });
  };
  const accountsNamed = async (name: string) =>
    Number(
      (
        await db()
          .store.db.selectFrom("accounts")
          .select((eb) => eb.fn.countAll<number>().as("n"))
          .where("space_id", "=", f.ids.spaceA)
          .where("display_name", "=", name)
          .executeTakeFirstOrThrow()
      ).n,
    );

  afterAll(async () => {
    await sim?.close();
  });

  it("POST devices sent twice with one key: one device; the retry gets the same status, body and Location, marked replayed", async () => {
    sim = await startSimulator({ port: 0, now: () => NOW, enforceRateLimit: false });
    const apple = sim.url;
    f = await buildFixture(db().store, {
      accounts: syncAccounts(apple),
    });
    const key = newKey();
    const serial = `IDEM1${f.ids.suffix}`.toUpperCase();
    const body = { serialNumber: serial, platform: "iOS" };
    const first = await send("POST", `${s()}/devices`, body, key);
    expect(first.statusCode, first.body).toBe(201);
    expect(first.headers["idempotent-replayed"]).toBeUndefined();
    const again = await send("POST", `${s()}/devices`, body, key);
    expect(again.statusCode, again.body).toBe(201);
    expect(again.headers["idempotent-replayed"]).toBe("true");
    expect(again.body).toBe(first.body);
    expect(again.headers.location).toBe(first.headers.location);
    expect(again.headers["content-type"]).toBe(first.headers["content-type"]);
    // Each answer is still its own request.
    expect(again.headers["x-request-id"]).not.toBe(first.headers["x-request-id"]);
    expect(await devicesWithSerial(serial)).toBe(1);
    // The same body in another key order is the same request.
    const reordered = await send("POST", `${s()}/devices`, { platform: "iOS", serialNumber: serial }, key);
    expect(reordered.headers["idempotent-replayed"]).toBe("true");
  });

  it("the same key with another body or another route is a 422 idempotency_key_reused; nothing is done", async () => {
    const key = newKey();
    const serial = `IDEM2${f.ids.suffix}`.toUpperCase();
    expect(
      (await send("POST", `${s()}/devices`, { serialNumber: serial, platform: "iOS" }, key)).statusCode,
    ).toBe(201);
    const otherBody = await send(
      "POST",
      `${s()}/devices`,
      { serialNumber: `${serial}B`, platform: "iOS" },
      key,
    );
    expect(otherBody.statusCode).toBe(422);
    expect(otherBody.headers["content-type"]).toMatch(/^application\/problem\+json/);
    expect(otherBody.json()).toMatchObject({
      code: "idempotency_key_reused",
      errors: [{ field: "headers.idempotency-key" }],
    });
    expect(otherBody.json().errors[0].message).toContain("another body");
    const otherRoute = await send("POST", `${s()}/users`, { name: "Someone" }, key);
    expect(otherRoute.statusCode).toBe(422);
    expect(otherRoute.json().code).toBe("idempotency_key_reused");
    expect(otherRoute.json().errors[0].message).toContain(`POST ${s()}/devices`);
    expect(await devicesWithSerial(`${serial}B`)).toBe(0);
  });

  it("RV2: a revoke sent twice with one key is one revocation and one activity line; without a key the second is refused as before", async () => {
    const lines = async () =>
      Number(
        (
          await db()
            .store.db.selectFrom("activity_log")
            .select((eb) => eb.fn.countAll<number>().as("n"))
            .where("space_id", "=", f.ids.spaceA)
            .where("license_id", "=", f.ids.licenseA)
            .executeTakeFirstOrThrow()
        ).n,
      );
    const before = await lines();
    const key = newKey();
    const url = `${s()}/licenses/${f.ids.licenseA}/revoke`;
    const first = await send("POST", url, { from: "log" }, key);
    expect(first.statusCode, first.body).toBe(200);
    const afterFirst = await lines();
    expect(afterFirst).toBe(before + 1);
    const again = await send("POST", url, { from: "log" }, key);
    expect(again.statusCode).toBe(200);
    expect(again.headers["idempotent-replayed"]).toBe("true");
    expect(again.json()).toEqual(first.json());
    expect(await lines()).toBe(afterFirst);
    // No key: the route answers as it always did (the license is not live any more).
    const bare = await send("POST", url, { from: "log" });
    expect(bare.statusCode).toBe(409);
    expect(bare.json().code).toBe("invalid_transition");
    expect(bare.headers["idempotent-replayed"]).toBeUndefined();
    expect(await lines()).toBe(afterFirst);
  });

  it("a request without the header is not recorded: a device sent twice is a 409 already_exists, as before", async () => {
    const serial = `IDEM3${f.ids.suffix}`.toUpperCase();
    const count = async () =>
      Number(
        (
          await db()
            .store.db.withTables<{ idempotency_keys: { key: string } }>()
            .selectFrom("idempotency_keys")
            .select((eb) => eb.fn.countAll<number>().as("n"))
            .executeTakeFirstOrThrow()
        ).n,
      );
    const rows = await count();
    expect((await send("POST", `${s()}/devices`, { serialNumber: serial, platform: "iOS" })).statusCode).toBe(
      201,
    );
    const second = await send("POST", `${s()}/devices`, { serialNumber: serial, platform: "iOS" });
    expect(second.statusCode).toBe(409);
    expect(second.json().code).toBe("already_exists");
    expect(await count()).toBe(rows);
  });

  it("a key that is not 1 to 255 printable ASCII characters is a 400 idempotency_key_invalid, and nothing is done; a quoted key is the same key bare", async () => {
    const serial = `IDEM4${f.ids.suffix}`.toUpperCase();
    const body = { serialNumber: serial, platform: "iOS" };
    for (const bad of ["", "x".repeat(256), "clé", '"unterminated', '"a", "b"', "tab\there"]) {
      const r = await send("POST", `${s()}/devices`, body, bad);
      expect(r.statusCode, JSON.stringify(bad)).toBe(400);
      expect(r.headers["content-type"]).toMatch(/^application\/problem\+json/);
      expect(r.json(), JSON.stringify(bad)).toMatchObject({
        code: "idempotency_key_invalid",
        errors: [{ field: "headers.idempotency-key" }],
      });
    }
    expect(await devicesWithSerial(serial)).toBe(0);
    const longest = "k".repeat(255);
    expect((await send("POST", `${s()}/devices`, body, longest)).statusCode).toBe(201);
    const key = newKey();
    const quoted = await send("POST", `${s()}/devices`, { ...body, serialNumber: `${serial}Q` }, `"${key}"`);
    expect(quoted.statusCode).toBe(201);
    const bare = await send("POST", `${s()}/devices`, { ...body, serialNumber: `${serial}Q` }, key);
    expect(bare.headers["idempotent-replayed"]).toBe("true");
  });

  it("requests refused before the route runs (authentication, role, hidden space, validation) keep nothing", async () => {
    const key = newKey();
    const body = { serialNumber: `IDEM5${f.ids.suffix}`, platform: "iOS" };
    const refused = [
      await send("POST", `${s()}/devices`, body, key, auth("not-a-token")),
      await send("POST", `${s()}/devices`, body, key, auth(f.tokens.read)),
      await send("POST", `/api/v1/spaces/${f.ids.spaceB}/devices`, body, key),
      await send("POST", `${s()}/devices`, { serialNumber: "" }, key),
    ];
    expect(refused.map((r) => r.statusCode)).toEqual([401, 403, 404, 400]);
    expect(await rowsOf(key)).toEqual([]);
    // The key is still free: the request sent right runs.
    expect((await send("POST", `${s()}/devices`, body, key)).statusCode).toBe(201);
  });

  it("a 4xx the route gave is replayed; a 404 or a 409 is not kept, so a retry runs again (a check-in before its device is created passes once it is)", async () => {
    const key = newKey();
    const shared = { serialNumber: `IDEM6S${f.ids.suffix}`, platform: "iOS", sharedIpad: true };
    const created = await send("POST", `${s()}/devices`, shared);
    expect(created.statusCode).toBe(201);
    const device = `${s()}/devices/${created.json().id}`;
    const first = await send("PATCH", device, { platform: "macOS" }, key);
    expect(first.statusCode).toBe(400);
    const again = await send("PATCH", device, { platform: "macOS" }, key);
    expect(again.statusCode).toBe(400);
    expect(again.headers["idempotent-replayed"]).toBe("true");
    expect(again.body).toBe(first.body);
    expect(again.headers["content-type"]).toMatch(/^application\/problem\+json/);

    const early = newKey();
    const late = { serialNumber: `IDEM6L${f.ids.suffix}` };
    const unknown = await send("POST", `${s()}/mdm/check-in`, late, early);
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().errors).toEqual([
      { field: "body.serialNumber", message: expect.stringContaining("create it first (POST devices)") },
    ]);
    expect(await rowsOf(early)).toEqual([]);
    expect((await send("POST", `${s()}/devices`, { ...late, platform: "iOS" })).statusCode).toBe(201);
    const checkedIn = await send("POST", `${s()}/mdm/check-in`, late, early);
    expect(checkedIn.statusCode).toBe(200);
    expect(checkedIn.headers["idempotent-replayed"]).toBeUndefined();

    const taken = { serialNumber: `IDEM6T${f.ids.suffix}`, platform: "iOS" };
    expect((await send("POST", `${s()}/devices`, taken)).statusCode).toBe(201);
    const conflict = newKey();
    expect((await send("POST", `${s()}/devices`, taken, conflict)).statusCode).toBe(409);
    expect(await rowsOf(conflict)).toEqual([]);
    const retried = await send("POST", `${s()}/devices`, taken, conflict);
    expect(retried.statusCode).toBe(409);
    expect(retried.headers["idempotent-replayed"]).toBeUndefined();
  });

  it("PATCH is keyed too; PUT and the sign-in routes ignore the header", async () => {
    const key = newKey();
    const url = `${s()}/devices/${f.ids.deviceA}`;
    const first = await send("PATCH", url, { supervised: true }, key);
    expect(first.statusCode, first.body).toBe(200);
    const again = await send("PATCH", url, { supervised: true }, key);
    expect(again.headers["idempotent-replayed"]).toBe("true");
    expect(again.body).toBe(first.body);

    const put = newKey();
    for (let i = 0; i < 2; i++) {
      const r = await send("PUT", `${s()}/catalog/${f.ids.adamId}`, { installOnDevice: true }, put);
      expect(r.statusCode).toBe(200);
      expect(r.headers["idempotent-replayed"]).toBeUndefined();
    }
    // A session and a token are shown once and never kept: two requests, two of each.
    const tokenKey = newKey();
    const sessions: string[] = [];
    const tokens: string[] = [];
    for (let i = 0; i < 2; i++) {
      const login = await f.app.inject({
        method: "POST",
        url: "/api/v1/auth/login",
        headers: { "idempotency-key": tokenKey },
        payload: { login: `writer-${f.ids.suffix}`, password: "correct horse battery" },
      });
      expect(login.statusCode, login.body).toBe(200);
      const cookie = login.cookies.find((c) => c.name === "orchard_session")?.value ?? "";
      sessions.push(cookie);
      const r = await send(
        "POST",
        "/api/v1/auth/tokens",
        { name: "queue", grants: [{ spaceId: f.ids.spaceA, role: "read" }] },
        tokenKey,
        { cookie: `orchard_session=${cookie}`, "x-orchard-csrf": "1" },
      );
      expect(r.statusCode, r.body).toBe(201);
      expect(r.headers["idempotent-replayed"]).toBeUndefined();
      tokens.push(r.json().token);
    }
    expect(new Set(sessions).size).toBe(2);
    expect(new Set(tokens).size).toBe(2);
    expect(await rowsOf(put)).toEqual([]);
    expect(await rowsOf(tokenKey)).toEqual([]);
  });

  it("two principals use the same key independently: another token, and the same administrator's console session", async () => {
    const key = newKey();
    const body = { serialNumber: `IDEM7${f.ids.suffix}`, platform: "iOS" };
    const mine = await send("POST", `${s()}/devices`, body, key);
    expect(mine.statusCode).toBe(201);
    const theirs = await send(
      "POST",
      `/api/v1/spaces/${f.ids.spaceB}/devices`,
      body,
      key,
      auth(f.tokens.other),
    );
    expect(theirs.statusCode, theirs.body).toBe(201);
    expect(theirs.headers["idempotent-replayed"]).toBeUndefined();
    expect(theirs.json().id).not.toBe(mine.json().id);

    // The token's administrator, signed in to the console: the route runs (and finds the serial taken).
    const login = await f.app.inject({
      method: "POST",
      url: "/api/v1/auth/login",
      payload: { login: `writer-${f.ids.suffix}`, password: "correct horse battery" },
    });
    expect(login.statusCode, login.body).toBe(200);
    const cookie = login.cookies.find((c) => c.name === "orchard_session")?.value ?? "";
    const session = { cookie: `orchard_session=${cookie}`, "x-orchard-csrf": "1" };
    const console = await send("POST", `${s()}/devices`, body, key, session);
    expect(console.statusCode).toBe(409);
    expect(console.json().code).toBe("already_exists");
    expect(console.headers["idempotent-replayed"]).toBeUndefined();
    expect(await rowsOf(key)).toHaveLength(2);
  });

  it("two requests at once with one key: one runs, the other is answered 409 idempotency_key_in_progress or the replay", async () => {
    const key = newKey();
    const serial = `IDEM8${f.ids.suffix}`.toUpperCase();
    const body = { serialNumber: serial, platform: "iOS" };
    const answers = await Promise.all([
      send("POST", `${s()}/devices`, body, key),
      send("POST", `${s()}/devices`, body, key),
    ]);
    const ran = answers.filter((r) => r.statusCode === 201 && r.headers["idempotent-replayed"] === undefined);
    expect(ran).toHaveLength(1);
    const other = answers.find((r) => r !== ran[0]);
    if (other?.statusCode === 409) {
      expect(other.json().code).toBe("idempotency_key_in_progress");
      expect(other.headers["retry-after"]).toBe("1");
    } else {
      expect(other?.statusCode).toBe(201);
      expect(other?.headers["idempotent-replayed"]).toBe("true");
    }
    expect(await devicesWithSerial(serial)).toBe(1);
  });

  it("AC1: an account upload still running: its retry is a 409 with Retry-After, then the replay; the sToken is kept nowhere", async () => {
    const { sToken } = sim?.operator.createLocation({ orgName: "Slow School" }) ?? { sToken: "" };
    const inner = decodeSToken(sToken)?.token ?? "";
    expect(inner.length).toBeGreaterThan(8);
    const key = newKey();
    const name = `Slow ${f.ids.suffix}`;
    sim?.operator.setFaults({ latencyMs: 400 });
    const first = addAccount(name, sToken, key);
    // The first request holds the key while Apple answers slowly.
    for (let i = 0; i < 100 && (await rowsOf(key)).length === 0; i++)
      await new Promise((r) => setTimeout(r, 20));
    expect((await rowsOf(key))[0]?.state).toBe("in_progress");
    const early = await addAccount(name, sToken, key);
    expect(early.statusCode, early.body).toBe(409);
    expect(early.json().code).toBe("idempotency_key_in_progress");
    expect(early.headers["retry-after"]).toBe("1");
    const created = await first;
    sim?.operator.clearFaults();
    expect(created.statusCode, created.body).toBe(201);
    const replayed = await addAccount(name, sToken, key);
    expect(replayed.statusCode).toBe(201);
    expect(replayed.headers["idempotent-replayed"]).toBe("true");
    expect(replayed.body).toBe(created.body);
    expect(await accountsNamed(name)).toBe(1);
    // Only a hash of the upload is kept, and the answer kept never held the token.
    const [row] = await rowsOf(key);
    expect(row?.body_hash).toMatch(/^[0-9a-f]{64}$/);
    const kept = JSON.stringify(row);
    expect(kept).not.toContain(sToken);
    expect(kept).not.toContain(inner);
    for (const line of f.logs.lines) expect(line).not.toContain(inner);
    // Another file under the same key is another request.
    const other = sim?.operator.createLocation({ orgName: "Other School" }).sToken ?? "";
    expect((await addAccount(name, other, key)).statusCode).toBe(422);
  });

  it("a 5xx is not kept: an upload Apple refused in maintenance runs again under the same key", async () => {
    const { sToken } = sim?.operator.createLocation({ orgName: "Maintenance School" }) ?? { sToken: "" };
    const key = newKey();
    const name = `Maintenance ${f.ids.suffix}`;
    // Retry-After 0: the Apple client's own wait after it is over at once.
    sim?.operator.setFaults({ maintenance: true, retryAfterSeconds: 0 });
    const failed = await addAccount(name, sToken, key);
    sim?.operator.clearFaults();
    expect(failed.statusCode, failed.body).toBe(503);
    expect(failed.json().code).toBe("apple_unavailable");
    expect(await rowsOf(key)).toEqual([]);
    const created = await addAccount(name, sToken, key);
    expect(created.statusCode, created.body).toBe(201);
    expect(created.headers["idempotent-replayed"]).toBeUndefined();
    expect((await addAccount(name, sToken, key)).headers["idempotent-replayed"]).toBe("true");
    expect(await accountsNamed(name)).toBe(1);
  });

  it("a key past its 24 hours is new: the request runs again; pruned by the housekeeping, it is new as well", async () => {
    // A user without externalId sent twice is created twice: each run shows.
    const key = newKey();
    const body = { name: `Expiring ${f.ids.suffix}` };
    const first = await send("POST", `${s()}/users`, body, key);
    expect(first.statusCode).toBe(201);
    await ageKey(key, 23);
    expect((await send("POST", `${s()}/users`, body, key)).json().id).toBe(first.json().id);

    await ageKey(key, 25);
    const expired = await send("POST", `${s()}/users`, body, key);
    expect(expired.statusCode).toBe(201);
    expect(expired.headers["idempotent-replayed"]).toBeUndefined();
    expect(expired.json().id).not.toBe(first.json().id);
    expect((await send("POST", `${s()}/users`, body, key)).json().id).toBe(expired.json().id);

    await ageKey(key, 25);
    const pruned = await pruneExpired(db().store.db, DEFAULT_RETENTION, NOW);
    expect(pruned.idempotency_keys).toBeGreaterThanOrEqual(1);
    expect(await rowsOf(key)).toEqual([]);
    const afterPrune = await send("POST", `${s()}/users`, body, key);
    expect(afterPrune.statusCode).toBe(201);
    expect(afterPrune.headers["idempotent-replayed"]).toBeUndefined();
    expect(afterPrune.json().id).not.toBe(expired.json().id);
  });

  it("a key left in progress by a request that never finished is taken over after 10 minutes", async () => {
    const me = (
      await f.app.inject({ method: "GET", url: "/api/v1/auth/me", headers: auth(f.tokens.write) })
    ).json();
    const key = newKey();
    const body = { name: `Abandoned ${f.ids.suffix}` };
    // What a process killed mid-request leaves: the claim, no answer.
    await claimIdempotencyKey(db().store.db, {
      owner: { kind: me.kind, id: me.id },
      key,
      request: { method: "POST", path: `${s()}/users`, bodyHash: hashOfBody(body) },
      claimId: "killed-request",
      now: NOW,
    });
    const held = await send("POST", `${s()}/users`, body, key);
    expect(held.statusCode).toBe(409);
    expect(held.json().code).toBe("idempotency_key_in_progress");
    await ageKey(key, 11 / 60);
    const taken = await send("POST", `${s()}/users`, body, key);
    expect(taken.statusCode, taken.body).toBe(201);
    expect((await send("POST", `${s()}/users`, body, key)).headers["idempotent-replayed"]).toBe("true");
  });

  it("the OpenAPI document gives every keyed POST and PATCH the Idempotency-Key parameter, and 415 among the problems", async () => {
    const doc = f.app.swagger() as unknown as {
      components: { parameters: Record<string, { name: string; in: string }> };
      paths: Record<
        string,
        Record<string, { parameters?: Array<{ $ref?: string }>; security?: unknown[]; responses: object }>
      >;
    };
    expect(doc.components.parameters.IdempotencyKey).toMatchObject({ name: "idempotency-key", in: "header" });
    const ref = "#/components/parameters/IdempotencyKey";
    let keyed = 0;
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(operations)) {
        const has = (op.parameters ?? []).some((p) => p.$ref === ref);
        const expected =
          ["post", "patch"].includes(method) &&
          path.startsWith("/api/v1/") &&
          !path.startsWith("/api/v1/auth/") &&
          !(Array.isArray(op.security) && op.security.length === 0);
        expect(has, `${method} ${path}`).toBe(expected);
        if (has) keyed++;
      }
    }
    expect(keyed).toBeGreaterThan(30);
    expect(Object.keys(doc.paths[`/api/v1/spaces/{spaceId}/devices`]?.post?.responses ?? {})).toContain(
      "415",
    );
  });
});
