import { expect, it } from "vitest";
import { MAX_RULE_LIST_IDS } from "../../src/api/limits.js";
import { describeEachDatabase } from "../store/databases.js";
import { auth, buildFixture, type Fixture, STOKEN } from "./harness.js";
import { type RouteCase, routeCases, withSpace } from "./routes.js";

/**
 * Every JSON body the API takes is strict: a field a route does not take (a typo) is a 400
 * `validation_failed` naming it, and nothing changes; never a change silently lost.
 */
type Json = Record<string, unknown>;
interface BodyCase {
  /** A body the route takes: with one field more, the only error is that field. */
  valid: (f: Fixture) => Json;
  /** Where a nested object of the body is strict too: the body with a typo there, and its field. */
  nested?: (f: Fixture) => { body: Json; field: string };
}

/**
 * Bodies read as their sender writes them, not as Orchard's: Apple adds fields to its
 * notifications without notice (src/apple/wire.ts reads them loosely).
 */
const TOLERANT = new Set(["POST /api/v1/apple/notifications/{accountId}"]);

const TYPO = "zzTypo";
const S = "/api/v1/spaces/{spaceId}";
const BODIES: Record<string, BodyCase> = {
  // Spaces
  "POST /api/v1/spaces": { valid: () => ({ name: "Campus North" }) },
  [`PATCH ${S}`]: { valid: () => ({ appsAndBooksEnabled: false }) },
  [`PUT ${S}/name`]: { valid: () => ({ name: "Renamed" }) },
  // Accounts and apps
  [`POST ${S}/accounts`]: { valid: () => ({ name: "Second", sToken: STOKEN }) },
  [`PATCH ${S}/accounts/{accountId}`]: { valid: () => ({ name: "Renamed" }) },
  [`PUT ${S}/accounts/{accountId}/priority`]: { valid: () => ({ position: 1 }) },
  [`PUT ${S}/accounts/order`]: { valid: (f) => ({ order: [f.ids.accountA] }) },
  [`POST ${S}/accounts/{accountId}/outside-assignments/release`]: {
    valid: (f) => ({ assignments: [{ adamId: f.ids.adamId, serialNumber: "OUT0001" }] }),
  },
  [`POST ${S}/accounts/{accountId}/outside-assignments/release-all`]: { valid: () => ({ dryRun: true }) },
  [`PUT ${S}/accounts/{accountId}/apps/{adamId}/rules`]: {
    valid: (f) => ({ reservedUserIds: [f.ids.userA] }),
    nested: (f) => ({
      body: { fcfs: { groupIds: [f.ids.groupA], [TYPO]: 1 } },
      field: `body.fcfs.${TYPO}`,
    }),
  },
  [`POST ${S}/accounts/{accountId}/apps/{adamId}/rules/reservations`]: {
    valid: (f) => ({ userIds: [f.ids.userA] }),
  },
  [`POST ${S}/licenses/{licenseId}/revoke`]: { valid: () => ({ from: "log" }) },
  [`POST ${S}/apps/{adamId}/revoke-all`]: { valid: () => ({ confirm: true }) },
  [`POST ${S}/licenses/reclaim`]: { valid: () => ({ inactiveDays: 90 }) },
  [`POST ${S}/apps/{adamId}/waiting/retry`]: { valid: (f) => ({ deviceIds: [f.ids.deviceA] }) },
  [`POST ${S}/licenses/{licenseId}/release/abandon`]: { valid: () => ({ confirm: true }) },
  // Decisions
  "POST /api/v1/what-if": {
    valid: (f) => ({ changes: [{ kind: "remove_account", accountId: f.ids.accountA }] }),
    nested: (f) => ({
      body: { changes: [{ kind: "remove_account", accountId: f.ids.accountA, [TYPO]: 1 }] },
      field: `body.changes.0.${TYPO}`,
    }),
  },
  [`POST ${S}/what-if`]: {
    valid: (f) => ({ changes: [{ kind: "priorities", order: [f.ids.accountA] }] }),
    nested: (f) => ({
      body: {
        changes: [
          {
            kind: "rules",
            accountId: f.ids.accountA,
            adamId: f.ids.adamId,
            fcfs: { groupIds: [f.ids.groupA], requestType: "device" },
          },
        ],
      },
      field: "body.changes.0.fcfs.requestType",
    }),
  },
  [`POST ${S}/license-requests`]: { valid: (f) => ({ app: f.ids.adamId, device: f.ids.deviceA }) },
  // Users and groups
  [`POST ${S}/users`]: { valid: () => ({ name: "Carol Campus" }) },
  [`POST ${S}/users/bulk`]: {
    valid: () => ({ users: [{ name: "Dan Bulk" }] }),
    nested: () => ({ body: { users: [{ name: "Dan Bulk", mail: "x" }] }, field: "body.users.0.mail" }),
  },
  [`PATCH ${S}/users/{userId}`]: { valid: () => ({ name: "Alice Renamed" }) },
  [`POST ${S}/users/invite`]: { valid: (f) => ({ userIds: [f.ids.userA] }) },
  [`POST ${S}/groups`]: { valid: () => ({ name: "Staff" }) },
  [`PATCH ${S}/groups/{groupId}`]: { valid: () => ({ name: "Staff" }) },
  [`POST ${S}/groups/{groupId}/members`]: { valid: (f) => ({ userIds: [f.ids.userA] }) },
  [`DELETE ${S}/groups/{groupId}/members`]: { valid: (f) => ({ userIds: [f.ids.userA] }) },
  // Devices and MDM
  [`POST ${S}/devices`]: { valid: () => ({ serialNumber: "NEW0001", platform: "iOS" }) },
  [`POST ${S}/devices/bulk`]: {
    valid: () => ({ devices: [{ serialNumber: "NEW0002", platform: "iOS" }] }),
    nested: () => ({
      body: { devices: [{ serialNumber: "NEW0002", platform: "iOS", serial: "x" }] },
      field: "body.devices.0.serial",
    }),
  },
  [`PATCH ${S}/devices/{deviceId}`]: { valid: () => ({ supervised: true }) },
  [`POST ${S}/devices/{deviceId}/events`]: { valid: () => ({ kind: "inactive" }) },
  [`POST ${S}/devices/{deviceId}/move`]: { valid: (f) => ({ toSpaceId: f.ids.spaceB }) },
  [`POST ${S}/mdm/check-in`]: {
    valid: (f) => ({ serialNumber: `SER${f.ids.suffix}`, installed: [{ bundleId: "com.apple.Pages" }] }),
    nested: (f) => ({
      body: { serialNumber: `SER${f.ids.suffix}`, installed: [{ bundleId: "com.apple.Pages", adamID: "1" }] },
      field: "body.installed.0.adamID",
    }),
  },
  [`POST ${S}/mdm/commands/ack`]: { valid: () => ({ seqs: [1] }) },
  [`POST ${S}/mdm/commands/retry`]: { valid: () => ({ seqs: [1] }) },
  [`PUT ${S}/catalog/{adamId}`]: { valid: () => ({ installOnDevice: true }) },
  [`POST ${S}/catalog/{adamId}/delegations`]: { valid: (f) => ({ spaceIds: [f.ids.spaceB] }) },
  [`DELETE ${S}/catalog/{adamId}/delegations`]: { valid: (f) => ({ spaceIds: [f.ids.spaceB] }) },
  "POST /api/v1/apps/{adamId}/versions": { valid: () => ({ version: "14.2" }) },
  // Notifications
  [`POST ${S}/notifications/acknowledge`]: { valid: (f) => ({ ids: [f.ids.notificationA] }) },
  [`POST ${S}/notifications/deliveries/retry`]: { valid: () => ({ channel: "webhook" }) },
  // Sign-in, API tokens, administrators
  "POST /api/v1/auth/login": {
    valid: (f) => ({ login: `owner-${f.ids.suffix}`, password: "correct horse battery" }),
  },
  "POST /api/v1/auth/tokens": {
    valid: (f) => ({ name: "ci", grants: [{ spaceId: f.ids.spaceA, role: "read" }] }),
    nested: (f) => ({
      body: { name: "ci", grants: [{ spaceId: f.ids.spaceA, role: "read", roles: ["read"] }] },
      field: "body.grants.0.roles",
    }),
  },
  "PATCH /api/v1/auth/me": { valid: () => ({ notifyByEmail: false }) },
  "POST /api/v1/admins": {
    valid: (f) => ({ login: `dave-${f.ids.suffix}`, password: "a long enough initial password 7" }),
  },
  "PUT /api/v1/admins/{adminId}/grants": { valid: () => ({ grants: [] }) },
  "PATCH /api/v1/admins/{adminId}": { valid: () => ({ displayName: "Dave" }) },
};

const key = (c: Pick<RouteCase, "method" | "path">) => `${c.method} ${c.path}`;

interface OpenApiOperation {
  requestBody?: { content?: Record<string, { schema?: unknown }> };
}

describeEachDatabase("strict request bodies", (db) => {
  let f: Fixture;
  let owner: Record<string, string>;
  const signIn = async () => {
    const r = await f.app.inject({
      method: "POST",
      url: "/api/v1/auth/login",
      payload: { login: `owner-${f.ids.suffix}`, password: "correct horse battery" },
    });
    expect(r.statusCode, r.body).toBe(200);
    const cookie = r.cookies.find((c) => c.name === "orchard_session")?.value ?? "";
    return { cookie: `orchard_session=${cookie}`, "x-orchard-csrf": "1" };
  };
  const headersOf = (c: RouteCase): Record<string, string> =>
    c.kind === "public"
      ? {}
      : c.kind === "owner"
        ? owner
        : auth(c.kind === "read" ? f.tokens.read : f.tokens.write);
  const operations = () => {
    const doc = f.app.swagger() as {
      paths: Record<string, Record<string, OpenApiOperation>>;
      components?: { schemas?: Record<string, unknown> };
    };
    return doc;
  };
  /** Routes that take a body, as the OpenAPI document lists them. */
  const bodyRoutes = () =>
    routeCases(f.app, f).filter(
      (c) => operations().paths[c.path]?.[c.method.toLowerCase()]?.requestBody !== undefined,
    );
  /** What every GET route answers the owner: the data, all of it that the API shows. */
  const snapshot = async () => {
    const reads = routeCases(f.app, f).filter((c) => c.method === "GET");
    const out: Record<string, string> = {};
    for (const c of reads) {
      const r = await f.app.inject({ url: withSpace(c, f.ids.spaceA), headers: owner });
      // Not data: each answer's own id, and when a token was last used (the calls here use them).
      out[key(c)] = `${r.statusCode} ${r.body}`.replace(/"(requestId|lastUsedAt)":"[^"]*",?/g, "");
    }
    return out;
  };

  it("every route that takes a body is in the table (a new one must be added), and Apple's notifications only are tolerant", async () => {
    f = await buildFixture(db().store);
    owner = await signIn();
    const routes = bodyRoutes().map(key);
    const untested = routes.filter((k) => !(k in BODIES) && !TOLERANT.has(k));
    expect(untested, "routes with a body but no case in BODIES").toEqual([]);
    expect(Object.keys(BODIES).filter((k) => !routes.includes(k))).toEqual([]);
  });

  it("the OpenAPI document says so: every object of every JSON body is additionalProperties: false", () => {
    const doc = operations();
    const resolve = (node: unknown): Json => {
      const ref = (node as { $ref?: string }).$ref;
      return (ref ? doc.components?.schemas?.[ref.replace("#/components/schemas/", "")] : node) as Json;
    };
    const loose: string[] = [];
    const walk = (raw: unknown, where: string, depth: number): void => {
      if (typeof raw !== "object" || raw === null || depth > 12) return;
      const node = resolve(raw);
      if (node.type === "object" && node.properties && node.additionalProperties !== false) loose.push(where);
      for (const [name, child] of Object.entries((node.properties ?? {}) as Json))
        walk(child, `${where}.${name}`, depth + 1);
      if (node.items) walk(node.items, `${where}.items`, depth + 1);
      for (const k of ["anyOf", "oneOf", "allOf"] as const)
        for (const [i, child] of ((node[k] ?? []) as unknown[]).entries())
          walk(child, `${where}.${k}.${i}`, depth + 1);
    };
    for (const c of bodyRoutes()) {
      if (TOLERANT.has(key(c))) continue;
      const content = doc.paths[c.path]?.[c.method.toLowerCase()]?.requestBody?.content ?? {};
      expect(Object.keys(content), key(c)).toContain("application/json");
      for (const [type, media] of Object.entries(content)) walk(media.schema, `${key(c)} ${type}`, 0);
    }
    expect(loose).toEqual([]);
  });

  it("a field a route does not take is a 400 naming it, at the top and in nested objects; nothing changes", async () => {
    const before = await snapshot();
    for (const c of bodyRoutes()) {
      const body = BODIES[key(c)];
      if (!body) continue;
      const sent: Array<{ body: Json; field: string }> = [
        { body: { ...body.valid(f), [TYPO]: "x" }, field: `body.${TYPO}` },
      ];
      if (body.nested) sent.push(body.nested(f));
      for (const { body: payload, field } of sent) {
        const r = await f.app.inject({
          method: c.method as "POST",
          url: withSpace(c, f.ids.spaceA),
          headers: headersOf(c),
          payload,
        });
        const label = `${key(c)} ${JSON.stringify(payload)}`;
        expect(r.statusCode, `${label}: ${r.body}`).toBe(400);
        expect(r.headers["content-type"], label).toMatch(/application\/problem\+json/);
        const name = field.split(".").at(-1);
        // What it takes follows in brackets (unknown-field.ts), where the schema says.
        const message = expect.stringMatching(
          new RegExp(`^unknown field ${name}: this route does not take it( \\(.+\\))?$`),
        );
        expect(r.json(), label).toMatchObject({
          code: "validation_failed",
          detail: expect.stringMatching(
            new RegExp(`^${field.replaceAll(".", "\\.")}: unknown field ${name}: `),
          ),
        });
        // The only error: the rest of the body is one the route takes.
        expect(r.json().errors, label).toEqual([{ field, message, rule: "unrecognized_keys" }]);
      }
    }
    expect(await snapshot()).toEqual(before);
  });

  it("a text/plain, XML or form body on a JSON route is a 415 problem saying JSON is expected; multipart stays where an sToken is uploaded", async () => {
    const before = await snapshot();
    const boundary = "----orchard";
    const form = (fields: Record<string, string>) =>
      [
        ...Object.entries(fields).map(
          ([name, value]) =>
            `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}`,
        ),
        `--${boundary}--\r\n`,
      ].join("\r\n");
    const bodies = [
      ["text/plain", JSON.stringify({ name: "Carol" })],
      ["text/plain; charset=utf-8", "Carol"],
      ["application/xml", "<user><name>Carol</name></user>"],
      ["application/x-www-form-urlencoded", "name=Carol"],
      [`multipart/form-data; boundary=${boundary}`, form({ name: "Carol" })],
    ] as const;
    for (const c of bodyRoutes()) {
      if (TOLERANT.has(key(c))) continue;
      for (const [type, payload] of bodies) {
        if (type.startsWith("multipart") && c.path === `${S}/accounts`) continue;
        if (type.startsWith("multipart") && c.path === `${S}/accounts/{accountId}`) continue;
        const r = await f.app.inject({
          method: c.method as "POST",
          url: withSpace(c, f.ids.spaceA),
          headers: { ...headersOf(c), "content-type": type },
          payload,
        });
        const label = `${key(c)} ${type}`;
        expect(r.statusCode, `${label}: ${r.body}`).toBe(415);
        expect(r.headers["content-type"], label).toMatch(/application\/problem\+json/);
        expect(r.json(), label).toMatchObject({
          code: "unsupported_media_type",
          title: "Send JSON (application/json), or multipart/form-data where a file is taken",
        });
        expect(r.json().detail, label).toMatch(
          /^this route takes (multipart\/form-data or )?application\/json, not /,
        );
      }
    }
    expect(await snapshot()).toEqual(before);

    // The account routes take the sToken file as multipart, strict there too; JSON with a charset is JSON.
    const accounts = `/api/v1/spaces/${f.ids.spaceA}/accounts`;
    const upload = (fields: Record<string, string>) =>
      f.app.inject({
        method: "POST",
        url: accounts,
        headers: { ...auth(f.tokens.write), "content-type": `multipart/form-data; boundary=${boundary}` },
        payload: form(fields),
      });
    const typo = await upload({ name: "Second", sToken: STOKEN, autoDistrib: "true" });
    expect(typo.statusCode, typo.body).toBe(400);
    expect(typo.json().errors).toEqual([expect.objectContaining({ field: "body.autoDistrib" })]);
    const added = await upload({ name: "Second", sToken: STOKEN });
    expect(added.statusCode, added.body).toBe(201);
    const plain = await f.app.inject({
      method: "POST",
      url: accounts,
      headers: { ...auth(f.tokens.write), "content-type": "text/plain" },
      payload: "x",
    });
    expect(plain.statusCode).toBe(415);
    expect(plain.json().detail).toBe(
      "this route takes multipart/form-data or application/json, not text/plain",
    );
    const charset = await f.app.inject({
      method: "POST",
      url: `/api/v1/spaces/${f.ids.spaceA}/groups`,
      headers: { ...auth(f.tokens.write), "content-type": "application/json; charset=utf-8" },
      payload: JSON.stringify({ name: "Charset" }),
    });
    expect(charset.statusCode, charset.body).toBe(201);
    // A read sent with a Content-Type header (no body) is not refused for it.
    const read = await f.app.inject({
      url: `/api/v1/spaces/${f.ids.spaceA}/users`,
      headers: { ...auth(f.tokens.read), "content-type": "text/plain" },
    });
    expect(read.statusCode).toBe(200);
  });

  it(`DI1: a what-if takes as many ids per list as the rules PUT (${MAX_RULE_LIST_IDS}), and one more is a 400 on both`, async () => {
    expect(MAX_RULE_LIST_IDS).toBe(10_000);
    const ids = (n: number) => Array.from({ length: n }, (_, i) => `user-${i}`);
    const whatIf = (list: string[]) =>
      f.app.inject({
        method: "POST",
        url: `/api/v1/spaces/${f.ids.spaceA}/what-if`,
        headers: auth(f.tokens.read),
        payload: {
          changes: [
            { kind: "rules", accountId: f.ids.accountA, adamId: f.ids.adamId, prohibitedUserIds: list },
          ],
        },
      });
    const atLimit = await whatIf(ids(MAX_RULE_LIST_IDS));
    expect(atLimit.statusCode, atLimit.body.slice(0, 500)).toBe(200);
    const past = await whatIf(ids(MAX_RULE_LIST_IDS + 1));
    expect(past.statusCode).toBe(400);
    expect(past.json().errors).toEqual([
      expect.objectContaining({
        field: "body.changes.0.prohibitedUserIds",
        rule: "too_big",
        limits: { maximum: MAX_RULE_LIST_IDS, origin: "array" },
      }),
    ]);
    const rules = await f.app.inject({
      method: "PUT",
      url: `/api/v1/spaces/${f.ids.spaceA}/accounts/${f.ids.accountA}/apps/${f.ids.adamId}/rules`,
      headers: auth(f.tokens.write),
      payload: { prohibitedUserIds: ids(MAX_RULE_LIST_IDS + 1) },
    });
    expect(rules.statusCode).toBe(400);
    expect(rules.json().errors).toEqual([
      expect.objectContaining({
        field: "body.prohibitedUserIds",
        rule: "too_big",
        limits: { maximum: MAX_RULE_LIST_IDS, origin: "array" },
      }),
    ]);
  });

  it("a PATCH of a user or a space that changes nothing answers it as it is and writes no activity line", async () => {
    const activity = async () =>
      (
        await f.app.inject({
          url: `/api/v1/spaces/${f.ids.spaceA}/activity?pageSize=500`,
          headers: auth(f.tokens.read),
        })
      ).json().total;
    const logged = await activity();
    const userUrl = `/api/v1/spaces/${f.ids.spaceA}/users/${f.ids.userA}`;
    const user = (await f.app.inject({ url: userUrl, headers: auth(f.tokens.read) })).json();
    for (const body of [{}, { name: user.name }, { name: ` ${user.name} `, email: user.email }]) {
      const r = await f.app.inject({
        method: "PATCH",
        url: userUrl,
        headers: auth(f.tokens.write),
        payload: body,
      });
      expect(r.statusCode, r.body).toBe(200);
      expect(r.json()).toEqual(user);
    }
    const spaceUrl = `/api/v1/spaces/${f.ids.spaceA}`;
    const space = (await f.app.inject({ url: spaceUrl, headers: auth(f.tokens.read) })).json();
    const same = await f.app.inject({
      method: "PATCH",
      url: spaceUrl,
      headers: auth(f.tokens.write),
      payload: { appsAndBooksEnabled: space.appsAndBooksEnabled },
    });
    expect(same.json()).toEqual(space);
    const renamed = await f.app.inject({
      method: "PUT",
      url: `${spaceUrl}/name`,
      headers: owner,
      payload: { name: space.name },
    });
    expect(renamed.json()).toEqual(space);
    expect(await activity()).toBe(logged);
  });
});
