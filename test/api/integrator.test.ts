import { sql } from "kysely";
import { expect, it } from "vitest";
import { adminPrincipal, createAdministrator, issueApiToken } from "../../src/auth/auth.service.js";
import { toMdmCommandMessage } from "../../src/mdm/index.js";
import { updateDevice } from "../../src/store/directory.repo.js";
import { createDevices, createUser } from "../../src/store/index.js";
import { listMdmCommands, queueMdmCommands, settleMdmCommands } from "../../src/store/mdm-command.repo.js";
import { describeEachDatabase } from "../store/databases.js";
import { auth, buildFixture, type Fixture, NOW } from "./harness.js";

type Operation = {
  operationId?: string;
  summary?: string;
  requestBody?: { required?: boolean };
  tags?: string[];
  security?: unknown[];
  responses: Record<string, { content?: Record<string, unknown>; headers?: Record<string, unknown> }>;
};
type Doc = {
  openapi: string;
  tags?: Array<{ name: string }>;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown> };
  webhooks?: Record<string, unknown>;
};

/** What an MDM vendor scripting against the API meets: the document, HTTP semantics, retries. */
describeEachDatabase("the API as an integrator sees it", (db) => {
  let f: Fixture;
  const s = () => `/api/v1/spaces/${f.ids.spaceA}`;
  const send = (
    method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE",
    url: string,
    payload?: object,
    token?: string,
  ) => f.app.inject({ method, url, headers: auth(token ?? f.tokens.write), ...(payload ? { payload } : {}) });
  const activityTotal = async (query: string) =>
    (await send("GET", `${s()}/activity?pageSize=1&${query}`)).json().total as number;

  it("the OpenAPI 3.1 document: an operationId each, declared tags, problem+json errors, $refs that resolve, the webhook", async () => {
    f = await buildFixture(db().store);
    const doc = (await f.app.inject({ url: "/openapi.json" })).json() as Doc;
    expect(doc.openapi).toBe("3.1.0");
    const tags = new Set((doc.tags ?? []).map((t) => t.name));
    const ids = new Set<string>();
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        const where = `${method.toUpperCase()} ${path}`;
        expect(op.operationId, where).toMatch(/^[a-z][A-Za-z0-9]+$/);
        expect(op.summary, `${where}: a summary`).toBeTruthy();
        expect(ids.has(op.operationId ?? ""), `${where}: operationId ${op.operationId} twice`).toBe(false);
        ids.add(op.operationId ?? "");
        for (const tag of op.tags ?? []) expect(tags.has(tag), `${where}: tag ${tag}`).toBe(true);
        for (const [status, response] of Object.entries(op.responses)) {
          if (Number(status) >= 400 && response.content)
            expect(Object.keys(response.content), `${where} ${status}`).toEqual(["application/problem+json"]);
        }
        expect(op.responses["503"]?.headers?.["retry-after"], where).toBeDefined();
      }
    }
    const csv = doc.paths["/api/v1/spaces/{spaceId}/activity.csv"]?.get?.responses;
    expect(csv?.["200"]?.content).toEqual({ "text/csv": { schema: { type: "string" } } });
    expect(JSON.stringify(csv?.["404"]?.content)).toContain("#/components/schemas/Problem");
    // RV2: a revocation's body is optional (it has a default); a license request's is not.
    expect(
      doc.paths["/api/v1/spaces/{spaceId}/licenses/{licenseId}/revoke"]?.post?.requestBody?.required,
    ).toBe(false);
    expect(doc.paths["/api/v1/spaces/{spaceId}/license-requests"]?.post?.requestBody?.required).toBe(true);
    // Public routes need no credentials; the others inherit bearer or session.
    expect(doc.paths["/api/v1/auth/login"]?.post?.security).toEqual([]);
    expect(doc.paths["/healthz"]?.get?.security).toEqual([]);
    expect(doc.paths["/api/v1/spaces"]?.get?.security).toBeUndefined();
    // Every reference names a component that exists.
    const text = JSON.stringify(doc);
    for (const [, name] of text.matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g))
      expect(doc.components.schemas, `$ref ${name}`).toHaveProperty([name ?? ""]);
    expect(doc.webhooks).toHaveProperty("mdmCommands.post.requestBody");
    expect(doc.webhooks).toHaveProperty("notification.post.requestBody");
    expect(text).toContain("X-Orchard-Signature");
    // Every webhook documents the headers a receiver routes and de-duplicates by.
    const headersOf = (hook: string) =>
      (
        (
          doc.webhooks as Record<
            string,
            { post: { parameters: Array<{ name: string; schema: { enum?: string[] } }> } }
          >
        )[hook]?.post.parameters ?? []
      ).map((p) => (p.schema.enum ? `${p.name}=${p.schema.enum.join()}` : p.name));
    expect(headersOf("mdmCommands")).toEqual([
      "x-orchard-signature",
      "x-orchard-event=mdm_commands",
      "x-orchard-delivery",
    ]);
    expect(headersOf("mdmWebhookTest")).toContain("x-orchard-event=mdm_test");
    expect(headersOf("notification")).toContain("x-orchard-event=notification");
  });

  it("an MDM command, pushed or polled, documents the same target: platform, productType, bundleId, licenseType", async () => {
    const doc = (await f.app.inject({ url: "/openapi.json" })).json() as Doc;
    type Properties = { properties: Record<string, { enum?: string[] }>; required?: string[] };
    const polled = doc.components.schemas.MdmCommand as Properties;
    const pushed = (
      doc.webhooks as {
        mdmCommands: {
          post: {
            requestBody: {
              content: {
                "application/json": { schema: { properties: { commands: { items: Properties } } } };
              };
            };
          };
        };
      }
    ).mdmCommands.post.requestBody.content["application/json"].schema.properties.commands.items;
    for (const command of [polled, pushed]) {
      expect(command.properties.productType?.enum).toEqual(["App", "Book"]);
      expect(command.properties.licenseType?.enum).toEqual(["user", "device"]);
      expect(command.properties.platform?.enum).toContain("macOS");
      expect(command.properties).toHaveProperty("bundleId");
      expect(command.required).toContain("platform");
      expect(command.required).not.toContain("bundleId");
    }
  });

  it("enums an integrator switches on are documented as enums", async () => {
    const doc = (await f.app.inject({ url: "/openapi.json" })).json() as Doc;
    const device = doc.components.schemas.Device as { properties: { status: { enum?: string[] } } };
    expect(device.properties.status.enum).toEqual(["active", "retired", "wiped", "inactive", "unenrolled"]);
    const account = doc.components.schemas.Account as { properties: { health: { enum?: string[] } } };
    expect(account.properties.health.enum).toContain("ok");
    const checkIn = JSON.stringify(
      doc.paths["/api/v1/spaces/{spaceId}/mdm/check-in"]?.post?.responses["200"],
    );
    expect(checkIn).toContain('"enum":["grant","keep","wait","refuse"]');
  });

  it("a path asked with a method it does not take is a 405 with Allow, OPTIONS answers Allow, an unknown path stays 404", async () => {
    const get = await send("GET", `${s()}/mdm/check-in`);
    expect(get.statusCode).toBe(405);
    expect(get.headers.allow).toBe("OPTIONS, POST");
    expect(get.headers["content-type"]).toMatch(/problem\+json/);
    expect(get.json().code).toBe("method_not_allowed");
    const del = await send("DELETE", `${s()}/licenses`);
    expect(del.statusCode).toBe(405);
    expect(del.headers.allow).toBe("GET, HEAD, OPTIONS");
    const options = await f.app.inject({ method: "OPTIONS", url: `${s()}/devices/${f.ids.deviceA}` });
    expect(options.statusCode).toBe(204);
    expect(options.headers.allow).toBe("DELETE, GET, HEAD, OPTIONS, PATCH");
    const unknown = await send("POST", `${s()}/no-such-thing`);
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().code).toBe("route_not_found");
    const head = await f.app.inject({ method: "HEAD", url: `${s()}/devices`, headers: auth(f.tokens.read) });
    expect(head.statusCode).toBe(200);
  });

  it("every answer names its request (X-Request-Id, the problem's requestId); a 401 says how to authenticate", async () => {
    const ok = await send("GET", `${s()}/devices`);
    // A UUID: unique across processes and restarts, not Fastify's req-1, req-2…
    expect(ok.headers["x-request-id"]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-/);
    const none = await f.app.inject({ url: `${s()}/devices` });
    expect(none.statusCode).toBe(401);
    expect(none.headers["www-authenticate"]).toMatch(/^Bearer/);
    expect(none.json().requestId).toBe(none.headers["x-request-id"]);
    // A problem a route answers itself is like every other one.
    const missing = await send("GET", `${s()}/catalog/123456`);
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ code: "not_found", requestId: missing.headers["x-request-id"] });

    // RFC 6750: what was wrong with the credentials sent, and how to send them.
    const challenge = async (authorization: string) => {
      const r = await f.app.inject({ url: `${s()}/devices`, headers: { authorization } });
      return [r.statusCode, r.headers["www-authenticate"], r.json().detail];
    };
    expect(await challenge("Bearer not-a-token")).toEqual([
      401,
      'Bearer realm="orchard", error="invalid_token"',
      "the API token is not valid",
    ]);
    expect(await challenge(`Basic ${Buffer.from("alice:secret").toString("base64")}`)).toEqual([
      401,
      'Bearer realm="orchard", error="invalid_request"',
      "the Authorization header takes an API token: Authorization: Bearer <token>",
    ]);

    // A caller's own request id (a proxy's) names the request, when it is a plain token.
    const mine = await f.app.inject({
      url: `${s()}/catalog/123456`,
      headers: { ...auth(f.tokens.write), "x-request-id": "proxy-7f3a.1:2" },
    });
    expect([mine.headers["x-request-id"], mine.json().requestId]).toEqual([
      "proxy-7f3a.1:2",
      "proxy-7f3a.1:2",
    ]);
    const forged = await f.app.inject({
      url: `${s()}/devices`,
      headers: { ...auth(f.tokens.write), "x-request-id": 'x" fake=1' },
    });
    expect(forged.headers["x-request-id"]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-/);
  });

  it("a body past the limit is a 413 payload_too_large, one that is not JSON a 415, each with a stable code; a check-in's limit fits its 5,000 installed apps", async () => {
    const checkIn = (payload: string) =>
      f.app.inject({
        method: "POST",
        url: `${s()}/mdm/check-in`,
        headers: { ...auth(f.tokens.write), "content-type": "application/json" },
        payload,
      });
    // 2 MiB (a Mac's 5,000 apps with their names and versions): past the 1 MiB of other bodies, read.
    const mac = await checkIn(
      `{"serialNumber":"NOSUCH${f.ids.suffix.toUpperCase()}"${" ".repeat(2 * 1024 * 1024)}}`,
    );
    expect(mac.statusCode, mac.body.slice(0, 200)).toBe(404);
    const big = await checkIn(
      JSON.stringify({ serialNumber: "X", installed: [{ bundleId: "a".repeat(5 * 1024 * 1024) }] }),
    );
    expect(big.statusCode).toBe(413);
    expect(big.headers["content-type"]).toMatch(/problem\+json/);
    expect(big.json().code).toBe("payload_too_large");
    const xml = await f.app.inject({
      method: "POST",
      url: `${s()}/mdm/check-in`,
      headers: { ...auth(f.tokens.write), "content-type": "application/xml" },
      payload: "<checkIn/>",
    });
    expect(xml.statusCode).toBe(415);
    expect(xml.json().code).toBe("unsupported_media_type");
  });

  it("a 201 says where the new resource is (Location), and it is there", async () => {
    const device = await send("POST", `${s()}/devices`, {
      serialNumber: `LOC${f.ids.suffix}`,
      platform: "iOS",
    });
    expect(device.statusCode).toBe(201);
    expect(device.headers.location).toBe(`${s()}/devices/${device.json().id}`);
    // Kept upper-case, as Apple's serial numbers are (the suffix is lower-case).
    expect((await send("GET", String(device.headers.location))).json().serialNumber).toBe(
      `LOC${f.ids.suffix}`.toUpperCase(),
    );
    const user = await send("POST", `${s()}/users`, { name: "Loc" });
    expect(user.headers.location).toBe(`${s()}/users/${user.json().id}`);
    const group = await send("POST", `${s()}/groups`, { name: "Loc" });
    expect(group.headers.location).toBe(`${s()}/groups/${group.json().id}`);
  });

  it("devices and users carry when Orchard made and last changed them; updatedSince with sort=updatedAt reads only what changed since a previous read", async () => {
    const store = db().store.db;
    const at = (minutes: number) => new Date(NOW.getTime() + minutes * 60_000);
    const [early, late] = await createDevices(store, [
      { spaceId: f.ids.spaceA, serialNumber: `TIME1${f.ids.suffix}`, platform: "iOS", createdAt: at(-60) },
      { spaceId: f.ids.spaceA, serialNumber: `TIME2${f.ids.suffix}`, platform: "iOS", createdAt: at(-50) },
    ]);
    if (!early || !late) throw new Error("no devices");
    // The early one changes after the late one was made: it is read again, after it.
    await updateDevice(store, f.ids.spaceA, early.id, { supervised: true }, at(-40));
    const read = await send(
      "GET",
      `${s()}/devices?updatedSince=${at(-55).toISOString()}&sort=updatedAt&q=TIME`,
    );
    expect(read.statusCode, read.body).toBe(200);
    expect(read.json().items.map((d: { id: string }) => d.id)).toEqual([late.id, early.id]);
    expect(read.json().items[1]).toMatchObject({
      createdAt: at(-60).toISOString(),
      updatedAt: at(-40).toISOString(),
    });
    // A date is its start in UTC; an unreadable moment is a 400 naming it.
    expect((await send("GET", `${s()}/devices?updatedSince=2999-01-01&q=TIME`)).json().total).toBe(0);
    const bad = await send("GET", `${s()}/devices?updatedSince=yesterday`);
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].field).toBe("querystring.updatedSince");

    const user = await createUser(store, { spaceId: f.ids.spaceA, name: "Timed", createdAt: at(-30) });
    const users = await send(
      "GET",
      `${s()}/users?updatedSince=${at(-31).toISOString()}&sort=updatedAt&q=Timed`,
    );
    expect(users.json().items).toEqual([
      expect.objectContaining({
        id: user.id,
        createdAt: at(-30).toISOString(),
        updatedAt: at(-30).toISOString(),
      }),
    ]);
    const after = await send("GET", `${s()}/users?updatedSince=${at(-29).toISOString()}&q=Timed`);
    expect(after.json().items).toEqual([]);

    // A change that changes nothing (sent again, or the values it has) is not a change: not read again.
    for (const body of [{}, { supervised: true }]) {
      const same = await send("PATCH", `${s()}/devices/${early.id}`, body);
      expect(same.statusCode, same.body).toBe(200);
      expect(same.json()).toMatchObject({ supervised: true, updatedAt: at(-40).toISOString() });
    }
    const sameUser = await send("PATCH", `${s()}/users/${user.id}`, { name: "Timed" });
    expect(sameUser.json().updatedAt).toBe(at(-30).toISOString());
    // A real change is.
    const changed = await send("PATCH", `${s()}/devices/${early.id}`, { supervised: false });
    expect(changed.json().updatedAt).toBe(NOW.toISOString());
  });

  it("a device or a user created twice (a retry after a timeout) is a 409 naming the field and the value taken", async () => {
    const body = { serialNumber: `DUP${f.ids.suffix}`, platform: "iOS" };
    expect((await send("POST", `${s()}/devices`, body)).statusCode).toBe(201);
    const again = await send("POST", `${s()}/devices`, body);
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({
      code: "already_exists",
      errors: [
        {
          field: "body.serialNumber",
          message: `serialNumber DUP${f.ids.suffix.toUpperCase()} is taken in this space`,
        },
      ],
    });
    const user = { name: "Dup", externalId: `ext-${f.ids.suffix}` };
    const created = await send("POST", `${s()}/users`, user);
    expect(created.statusCode).toBe(201);
    const twice = await send("POST", `${s()}/users`, user);
    expect(twice.statusCode).toBe(409);
    expect(twice.json().errors).toEqual([expect.objectContaining({ field: "body.externalId" })]);
    // The user the first create made, found by the MDM's own id, exactly.
    const found = await send("GET", `${s()}/users?externalId=${encodeURIComponent(user.externalId)}`);
    expect(found.json()).toMatchObject({
      total: 1,
      items: [{ id: created.json().id, externalId: user.externalId }],
    });
    const other = await send("GET", `${s()}/users?externalId=${encodeURIComponent(`${user.externalId}x`)}`);
    expect(other.json()).toMatchObject({ total: 0, items: [] });

    // A user created without one is given an externalId later (PATCH), then found by it;
    // another user's is a 409 naming the field; null clears it.
    const bare = await send("POST", `${s()}/users`, { name: "Bare" });
    const later = `${user.externalId}-later`;
    const patch = (externalId: string | null) =>
      f.app.inject({
        method: "PATCH",
        url: `${s()}/users/${bare.json().id}`,
        headers: auth(f.tokens.write),
        payload: { externalId },
      });
    expect((await patch(later)).json()).toMatchObject({ id: bare.json().id, externalId: later });
    expect(
      (await send("GET", `${s()}/users?externalId=${encodeURIComponent(later)}`)).json().items,
    ).toMatchObject([{ id: bare.json().id }]);
    const taken = await patch(user.externalId);
    expect(taken.statusCode).toBe(409);
    expect(taken.json().errors).toEqual([expect.objectContaining({ field: "body.externalId" })]);
    const cleared = await patch(null);
    expect(cleared.statusCode).toBe(200);
    expect(cleared.json().externalId).toBeUndefined();
    // "" is what many MDMs send for none: none, never a key two users or groups would share.
    expect((await patch(later)).json().externalId).toBe(later);
    expect((await patch("")).json().externalId).toBeUndefined();
    for (const name of ["Empty one", "Empty two"]) {
      const made = await send("POST", `${s()}/users`, { name, externalId: "" });
      expect(made.statusCode, made.body).toBe(201);
      expect(made.json().externalId).toBeUndefined();
      const group = await send("POST", `${s()}/groups`, { name: `${name} ${f.ids.suffix}`, externalId: "" });
      expect(group.statusCode, group.body).toBe(201);
      expect(group.json().externalId).toBeUndefined();
    }
    // A group's externalId is one group's too, and finds it, exactly.
    const groupKey = `grp-${f.ids.suffix}`;
    const grade = await send("POST", `${s()}/groups`, {
      name: `Grade 5 ${f.ids.suffix}`,
      externalId: groupKey,
    });
    expect(grade.statusCode, grade.body).toBe(201);
    const sameKey = await send("POST", `${s()}/groups`, {
      name: `Grade Five ${f.ids.suffix}`,
      externalId: groupKey,
    });
    expect(sameKey.statusCode).toBe(409);
    expect(sameKey.json()).toMatchObject({
      code: "already_exists",
      errors: [{ field: "body.externalId", message: `externalId ${groupKey} is taken in this space` }],
    });
    const byKey = await send("GET", `${s()}/groups?externalId=${encodeURIComponent(groupKey)}`);
    expect(byKey.json()).toMatchObject({ total: 1, items: [{ id: grade.json().id, externalId: groupKey }] });
    expect((await send("GET", `${s()}/groups?externalId=${groupKey}x`)).json().total).toBe(0);
  });

  it("LT2 LT4: a license request sent twice (a retry after a timeout) keeps the same license and queues one install", async () => {
    const device = await send("POST", `${s()}/devices`, {
      serialNumber: `LR${f.ids.suffix}`,
      platform: "iOS",
    });
    const deviceId = device.json().id as string;
    const body = { app: f.ids.adamId, device: deviceId, why: "mandatory" };
    const first = await send("POST", `${s()}/license-requests`, body);
    const again = await send("POST", `${s()}/license-requests`, body);
    expect(first.json()).toMatchObject({ decision: { outcome: "grant" } });
    expect(again.json()).toMatchObject({ decision: { outcome: "keep" }, licenseId: first.json().licenseId });
    expect(await listMdmCommands(db().store.db, f.ids.spaceA, { deviceId })).toHaveLength(1);
    expect(await activityTotal(`device=${deviceId}`)).toBe(1);
  });

  it("DB2: a check-in sent twice takes one license, queues one install, and says which license the device keeps", async () => {
    await send("POST", `${s()}/devices`, { serialNumber: `CI${f.ids.suffix}`, platform: "iOS" });
    await send("PUT", `${s()}/catalog/${f.ids.adamId}`, { installOnDevice: true });
    const first = await send("POST", `${s()}/mdm/check-in`, { serialNumber: `CI${f.ids.suffix}` });
    const again = await send("POST", `${s()}/mdm/check-in`, { serialNumber: `CI${f.ids.suffix}` });
    const [granted] = first.json().decisions;
    expect(granted).toMatchObject({ outcome: "grant", installQueued: true });
    expect(again.json().decisions).toEqual([
      expect.objectContaining({ outcome: "keep", licenseId: granted.licenseId, installQueued: false }),
    ]);
    const deviceId = first.json().deviceId as string;
    expect(await listMdmCommands(db().store.db, f.ids.spaceA, { deviceId })).toHaveLength(1);
    await send("PUT", `${s()}/catalog/${f.ids.adamId}`, { installOnDevice: false });
  });

  it("RV1: a device event sent twice releases and logs once; a device of no such id is a 404, not a line in the log", async () => {
    const device = await send("POST", `${s()}/devices`, {
      serialNumber: `EV${f.ids.suffix}`,
      platform: "iOS",
    });
    const deviceId = device.json().id as string;
    await send("POST", `${s()}/license-requests`, { app: f.ids.adamId, device: deviceId, why: "mandatory" });
    const url = `${s()}/devices/${deviceId}/events`;
    const first = await send("POST", url, { kind: "retired" });
    expect(first.json().releases).toHaveLength(1);
    // The status the event left, beside the one it found: what an MDM mirrors.
    expect(first.json()).toMatchObject({ status: "retired", previousStatus: "active" });
    const lines = await activityTotal(`device=${deviceId}`);
    const again = await send("POST", url, { kind: "retired" });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual({
      releases: [],
      commands: [],
      status: "retired",
      previousStatus: "retired",
    });
    expect(await activityTotal(`device=${deviceId}`)).toBe(lines);
    const ghost = await send("POST", `${s()}/devices/no-such-device/events`, { kind: "wiped" });
    expect(ghost.statusCode).toBe(404);
    expect(await activityTotal("device=no-such-device")).toBe(0);
  });

  it("PB1: a removal from distribution sent twice queues its removes and logs once; a user of no such id is a 404", async () => {
    const device = await send("POST", `${s()}/devices`, {
      serialNumber: `PB${f.ids.suffix}`,
      platform: "iOS",
      userId: f.ids.userA,
    });
    const deviceId = device.json().id as string;
    await send("POST", `${s()}/mdm/check-in`, {
      serialNumber: `PB${f.ids.suffix}`,
      installed: [{ bundleId: "com.apple.pages", adamId: f.ids.adamId }],
    });
    const url = `${s()}/users/${f.ids.userA}/apps/${f.ids.adamId}/remove-from-distribution`;
    const first = await send("POST", url);
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json().commands).toEqual([expect.objectContaining({ kind: "remove", deviceId })]);
    const lines = await activityTotal(`user=${f.ids.userA}`);
    const commands = await listMdmCommands(db().store.db, f.ids.spaceA, { deviceId });
    const again = await send("POST", url);
    expect(again.json()).toEqual({ releases: [], commands: [] });
    expect(await activityTotal(`user=${f.ids.userA}`)).toBe(lines);
    expect(await listMdmCommands(db().store.db, f.ids.spaceA, { deviceId })).toEqual(commands);
    const ghost = await send(
      "POST",
      `${s()}/users/no-such-user/apps/${f.ids.adamId}/remove-from-distribution`,
    );
    expect(ghost.statusCode).toBe(404);
    expect(ghost.json().code).toBe("not_found");
    await send("POST", `${s()}/users/${f.ids.userA}/apps/${f.ids.adamId}/add-to-distribution`);
  });

  it("commands are paged by seq (after, hasMore), oldest first", async () => {
    const store = db().store.db;
    const remove = {
      spaceId: f.ids.spaceA,
      kind: "remove" as const,
      deviceId: f.ids.deviceA,
      ruleIds: ["PB1"],
    };
    const serialNumber = `SER${f.ids.suffix}`;
    // The second remove of the same device and app supersedes the first: it is cancelled.
    await queueMdmCommands(store, [{ ...remove, serialNumber, adamId: "111", now: NOW }]);
    await queueMdmCommands(store, [{ ...remove, serialNumber, adamId: "111", now: NOW }]);
    await queueMdmCommands(store, [{ ...remove, serialNumber, adamId: "222", now: NOW }]);
    const all = (await send("GET", `${s()}/mdm/commands?limit=1000`)).json();
    expect(all.hasMore).toBe(false);
    expect(all.items.length).toBeGreaterThan(2);
    const first = (await send("GET", `${s()}/mdm/commands?limit=2`)).json();
    expect(first.hasMore).toBe(true);
    const next = (await send("GET", `${s()}/mdm/commands?limit=2&after=${first.items[1].seq}`)).json();
    expect([...first.items, ...next.items].map((c: { seq: number }) => c.seq)).toEqual(
      all.items.slice(0, first.items.length + next.items.length).map((c: { seq: number }) => c.seq),
    );
    // A polled command carries every field of the webhook's message, under the same name.
    for (const record of await listMdmCommands(store, f.ids.spaceA, { deviceId: f.ids.deviceA })) {
      const polled = all.items.find((c: { seq: number }) => c.seq === record.seq);
      expect(polled).toMatchObject(toMdmCommandMessage(record));
    }
  });

  it("an acknowledgement sent twice, or of a command superseded, changes nothing; one Orchard gave up delivering is delivered", async () => {
    const store = db().store.db;
    const commands = await listMdmCommands(store, f.ids.spaceA, { deviceId: f.ids.deviceA });
    const mine = commands.filter((c) => c.adamId === "111");
    expect(mine.map((c) => c.state)).toEqual(["cancelled", "pending"]);
    // The webhook refused it for good, and the MDM took it by polling after all.
    const given = commands.filter((c) => c.adamId === "222");
    await settleMdmCommands(store, { commands: given, state: "failed", fromStates: ["pending"], now: NOW });
    const seqs = [...mine, ...given].map((c) => c.seq);
    const [cancelled, pending] = mine.map((c) => c.seq) as [number, number];
    const once = await send("POST", `${s()}/mdm/commands/ack`, { seqs });
    expect(once.statusCode).toBe(200);
    expect(once.json()).toEqual({
      acknowledged: 1 + given.length,
      seqs: [pending, ...given.map((c) => c.seq)].sort((a, b) => a - b),
      skipped: [{ seq: cancelled, reason: "not_open", state: "cancelled" }],
    });
    // Sent again: nothing changes, and it says so, seq by seq.
    const again = await send("POST", `${s()}/mdm/commands/ack`, { seqs: [...seqs, 999_999_999] });
    expect(again.json()).toMatchObject({ acknowledged: 0, seqs: [] });
    expect(again.json().skipped).toContainEqual({ seq: pending, reason: "not_open", state: "delivered" });
    expect(again.json().skipped).toContainEqual({ seq: 999_999_999, reason: "not_found" });
    const after = await listMdmCommands(store, f.ids.spaceA, { deviceId: f.ids.deviceA });
    expect(after.filter((c) => c.adamId === "111").map((c) => c.state)).toEqual(["cancelled", "delivered"]);
    expect(after.filter((c) => c.adamId === "222").map((c) => c.state)).toEqual(["delivered"]);
  });

  it("LT2: an install Orchard gave up on that the MDM took after all cancels its twin queued since, unless a command came between", async () => {
    const store = db().store.db;
    const deviceId = f.ids.deviceA;
    const serialNumber = `SER${f.ids.suffix}`;
    const install = (adamId: string) =>
      queueMdmCommands(store, [
        {
          spaceId: f.ids.spaceA,
          kind: "install",
          deviceId,
          serialNumber,
          adamId,
          ruleIds: ["LT2"],
          now: NOW,
        },
      ]);
    const commandsOf = async (adamId: string) =>
      (await listMdmCommands(store, f.ids.spaceA, { deviceId })).filter((c) => c.adamId === adamId);
    const giveUp = async (adamId: string) =>
      settleMdmCommands(store, {
        commands: await commandsOf(adamId),
        state: "failed",
        fromStates: ["pending"],
        now: NOW,
      });
    // 333: given up, asked again by a later check-in, then acknowledged: one install reaches the MDM.
    await install("333");
    await giveUp("333");
    await install("333");
    // 444: given up, then a remove the MDM took, then the install asked again: both installs stand.
    await install("444");
    await giveUp("444");
    await queueMdmCommands(store, [
      {
        spaceId: f.ids.spaceA,
        kind: "remove",
        deviceId,
        serialNumber,
        adamId: "444",
        ruleIds: ["RV1"],
        now: NOW,
      },
    ]);
    const remove = (await commandsOf("444")).filter((c) => c.kind === "remove");
    await settleMdmCommands(store, {
      commands: remove,
      state: "delivered",
      fromStates: ["pending"],
      now: NOW,
    });
    await install("444");
    // 555: given up, asked again, and that twin is being delivered right now: it stands.
    await install("555");
    await giveUp("555");
    await install("555");
    await sql`update mdm_commands set claimed_until = now() + interval '1 minute'
      where space_id = ${f.ids.spaceA} and adam_id = '555' and state = 'pending'`.execute(store);
    const first = [
      ...(await commandsOf("333")),
      ...(await commandsOf("444")),
      ...(await commandsOf("555")),
    ].filter((c) => c.state === "failed");
    const seqs = first.map((c) => c.seq);
    expect((await send("POST", `${s()}/mdm/commands/ack`, { seqs })).json()).toMatchObject({
      acknowledged: seqs.length,
      skipped: [],
    });
    const twin = await commandsOf("333");
    expect(twin.map((c) => c.state)).toEqual(["delivered", "cancelled"]);
    expect(twin[1]?.lastError).toContain("the MDM took the same command");
    expect((await commandsOf("555")).map((c) => c.state)).toEqual(["delivered", "pending"]);
    expect((await commandsOf("444")).map((c) => [c.kind, c.state])).toEqual([
      ["install", "delivered"],
      ["remove", "delivered"],
      ["install", "pending"],
    ]);
  });

  it("TR1: a move sent twice (a retry after a timeout) moves once; the second answers no steps, one with another user a 409", async () => {
    const store = db().store.db;
    const grants = [
      { spaceId: f.ids.spaceA, role: "manage" as const },
      { spaceId: f.ids.spaceB, role: "manage" as const },
    ];
    const admin = await createAdministrator(store, {
      login: `both-${f.ids.suffix}`,
      password: "correct horse battery",
      isOwner: false,
      grants,
      now: NOW,
    });
    const principal = await adminPrincipal(store, admin, "token");
    const token = (
      await issueApiToken(store, { ...principal, isOwner: true }, { name: "both", grants, now: NOW })
    ).token;
    const device = await send("POST", `${s()}/devices`, {
      serialNumber: `MV${f.ids.suffix}`,
      platform: "iOS",
    });
    const url = `${s()}/devices/${device.json().id}/move`;
    const first = await send("POST", url, { toSpaceId: f.ids.spaceB }, token);
    expect(first.statusCode, first.body).toBe(200);
    const again = await send("POST", url, { toSpaceId: f.ids.spaceB }, token);
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json()).toEqual({ steps: [] });
    // The same move with a user is another request, not a retry: refused, not ignored.
    const otherwise = await send("POST", url, { toSpaceId: f.ids.spaceB, userId: "someone" }, token);
    expect(otherwise.statusCode, otherwise.body).toBe(409);
    expect(otherwise.json()).toMatchObject({ code: "moved_already", errors: [{ field: "body.userId" }] });
  });

  it("UB2: an invitation sent twice before Apple answered registers the user at Apple once", async () => {
    const user = (await send("POST", `${s()}/users`, { name: "Invitee", email: "i@example.com" })).json();
    const lines = await activityTotal(`user=${user.id}`);
    const first = await send("POST", `${s()}/users/invite`, { userIds: [user.id] });
    expect(first.json()).toEqual({ invited: 1, accounts: 1 });
    const again = await send("POST", `${s()}/users/invite`, { userIds: [user.id] });
    expect(again.json()).toEqual({ invited: 0, accounts: 1 });
    const work = await send("GET", `${s()}/accounts/${f.ids.accountA}/apple-work`);
    const createUser = work.json().pending.byKind.find((k: { kind: string }) => k.kind === "create_user");
    expect(createUser?.count).toBe(1);
    expect(await activityTotal(`user=${user.id}`)).toBe(lines + 1);
  });

  it("CA1: deleting an app from the catalog twice logs it once", async () => {
    await send("PUT", `${s()}/catalog/${f.ids.adamId}`, {});
    const lines = await activityTotal("action=mdm.app_deleted");
    expect((await send("DELETE", `${s()}/catalog/${f.ids.adamId}`)).statusCode).toBe(200);
    const again = await send("DELETE", `${s()}/catalog/${f.ids.adamId}`);
    expect(again.json()).toEqual({ releases: [], commands: [] });
    expect(await activityTotal("action=mdm.app_deleted")).toBe(lines + 1);
  });
});
