import { connect } from "node:net";
import { expect, it } from "vitest";
import { describeEachDatabase, sharedDatabases } from "../store/databases.js";
import { auth, buildFixture, type Fixture, ownerSession } from "./harness.js";

// The suites share a database per engine: each test builds fixtures of its own (a space each).
const shared = sharedDatabases();

/**
 * What a careless or hostile client can send that the database or a parser cannot take:
 * each is its field's 400 problem+json, never a 500 nor a crash, and nothing is written.
 */
describeEachDatabase("input the database cannot hold", shared, (db) => {
  let f: Fixture;
  let s = "";
  const send = (method: "GET" | "POST" | "PATCH", url: string, payload?: object) =>
    f.app.inject({
      method,
      url,
      headers: auth(f.tokens.write),
      ...(payload === undefined ? {} : { payload }),
    });

  it("a NUL character in a body field, a query or a path is that field's 400 (U+0000 has no place in text)", async () => {
    f = await buildFixture(db().store);
    s = f.ids.spaceA;
    const cases: Array<[ReturnType<typeof send>, string]> = [
      [send("POST", `/api/v1/spaces/${s}/groups`, { name: "Nul\u0000Group" }), "body.name"],
      [send("POST", `/api/v1/spaces/${s}/users`, { name: "Ann", externalId: "x\u0000" }), "body.externalId"],
      [send("GET", `/api/v1/spaces/${s}/activity?action=a%00b`), "querystring.action"],
      [send("GET", `/api/v1/spaces/${s}/users/u%00x`), "params.userId"],
      [send("POST", "/api/v1/auth/login", { login: "a\u0000", password: "x" }), "body.login"],
    ];
    for (const [pending, field] of cases) {
      const r = await pending;
      expect(r.statusCode, JSON.stringify(r.json())).toBe(400);
      expect(r.headers["content-type"]).toMatch(/problem\+json/);
      expect(r.json()).toMatchObject({
        code: "validation_failed",
        errors: [{ field, message: expect.stringMatching(/NUL|control characters/) }],
      });
    }
    const listed = await send("GET", `/api/v1/spaces/${s}/groups?pageSize=200`);
    const groups = listed.json() as {
      items: Array<{ name: string }>;
    };
    expect(groups.items.some((g) => g.name.includes("Nul"))).toBe(false);
  });

  it("a lone surrogate in JSON (not Unicode text) is its field's 400, not a name stored with U+FFFD", async () => {
    const r = await f.app.inject({
      method: "POST",
      url: `/api/v1/spaces/${s}/groups`,
      headers: { ...auth(f.tokens.write), "content-type": "application/json" },
      payload: '{"name":"x\\ud800y"}',
    });
    expect(r.statusCode, r.body).toBe(400);
    expect(r.json().errors).toEqual([
      expect.objectContaining({ field: "body.name", message: expect.stringContaining("lone surrogate") }),
    ]);
  });

  it("invariant 6: an owner's space id the schema refuses (a NUL, too long) is that field's 400, not a lookup", async () => {
    const owner = await ownerSession(f);
    for (const spaceId of ["a%00b", "x".repeat(300)]) {
      const r = await f.app.inject({ url: `/api/v1/spaces/${spaceId}/users`, headers: owner });
      expect(r.statusCode, r.body).toBe(400);
      expect(r.json().errors[0].field).toBe("params.spaceId");
    }
  });

  it("an export whose filter the database refuses answers a problem and the server goes on serving", async () => {
    for (const url of [
      `/api/v1/spaces/${s}/activity.csv?action=a%00b`,
      `/api/v1/spaces/${s}/licenses/export?user=a%00b`,
      `/api/v1/spaces/${s}/usage/export?app=%00`,
    ]) {
      const r = await f.app.inject({ url, headers: auth(f.tokens.read) });
      expect(r.statusCode, `${url} ${r.body}`).toBe(400);
    }
    expect((await f.app.inject({ url: "/healthz" })).statusCode).toBe(200);
  });
});

describeEachDatabase("directory text", shared, (db) => {
  it("DI1: a user's or a group's name, external id or Managed Apple ID with a control character is its field's 400 (a tab, an escape, a line break)", async () => {
    const f = await buildFixture(db().store);
    const post = (path: string, payload: object) =>
      f.app.inject({
        method: "POST",
        url: `/api/v1/spaces/${f.ids.spaceA}${path}`,
        headers: auth(f.tokens.write),
        payload,
      });
    for (const [path, payload, field] of [
      ["/users", { name: "Ann\u001b[2J" }, "body.name"],
      ["/users", { name: "Ann", externalId: "a\tb" }, "body.externalId"],
      ["/users", { name: "Ann", managedAppleId: "ann@x.org\n" }, "body.managedAppleId"],
      ["/groups", { name: "Line\nbreak" }, "body.name"],
    ] as const) {
      const r = await post(path, payload);
      expect(r.statusCode, r.body).toBe(400);
      expect(r.json().errors).toEqual([expect.objectContaining({ field, message: "no control characters" })]);
    }
    expect((await post("/users", { name: "  Ann Example  " })).json().name).toBe("Ann Example");
  });
});

describeEachDatabase("multipart bodies that cannot be read", shared, (db) => {
  let f: Fixture;
  const upload = (contentType: string, payload: string) =>
    f.app.inject({
      method: "POST",
      url: `/api/v1/spaces/${f.ids.spaceA}/accounts`,
      headers: { ...auth(f.tokens.write), "content-type": contentType },
      payload,
    });

  it("AC1: an upload without a boundary, cut short, or with too many files is a 400 or 413 problem, and no account is added", async () => {
    f = await buildFixture(db().store);
    const before = (
      await f.app.inject({ url: `/api/v1/spaces/${f.ids.spaceA}/accounts`, headers: auth(f.tokens.write) })
    ).json();
    const part = (name: string, file?: string) =>
      `--B\r\nContent-Disposition: form-data; name="${name}"${file ? `; filename="${file}"` : ""}\r\n\r\nvalue\r\n`;
    const cases: Array<[string, string, number]> = [
      ["multipart/form-data", part("name"), 400],
      ["multipart/form-data; boundary=B", `${part("name")}--B\r\nContent-Disposition: form-da`, 400],
      [
        "multipart/form-data; boundary=B",
        `${part("sToken", "a.vpptoken")}${part("sToken", "b.vpptoken")}--B--\r\n`,
        400,
      ],
      [
        "multipart/form-data; boundary=B",
        `--B\r\nContent-Disposition: form-data; name="sToken"; filename="a"\r\n\r\n${"x".repeat(70_000)}\r\n--B--\r\n`,
        413,
      ],
    ];
    for (const [type, body, status] of cases) {
      const r = await upload(type, body);
      expect(r.statusCode, `${type} ${r.body}`).toBe(status);
      expect(r.headers["content-type"]).toMatch(/problem\+json/);
      expect(r.json().detail, r.body).toEqual(expect.any(String)); // what to send instead
      expect(r.json().detail).not.toMatch(/1 ?MB|1048576/);
    }
    const after = (
      await f.app.inject({ url: `/api/v1/spaces/${f.ids.spaceA}/accounts`, headers: auth(f.tokens.write) })
    ).json();
    expect(after).toEqual(before);
  });
});

describeEachDatabase("ids the space does not have", shared, (db) => {
  let f: Fixture;
  const call = (method: "GET" | "POST" | "DELETE", url: string, payload?: object) =>
    f.app.inject({
      method,
      url: `/api/v1/spaces/${f.ids.spaceA}${url}`,
      headers: auth(f.tokens.write),
      ...(payload === undefined ? {} : { payload }),
    });

  it("PB1, RV1, VU5, DI5: an app, a user or a member id that does not exist is a 404 naming it, and nothing is logged", async () => {
    f = await buildFixture(db().store);
    const { userA, adamId, accountA, groupA } = f.ids;
    const ghostApp = "99999999";
    const activityBefore = (await call("GET", "/activity?pageSize=1")).json().total;
    const cases: Array<[ReturnType<typeof call>, string, string?]> = [
      [
        call("POST", `/users/${userA}/apps/${ghostApp}/add-to-distribution`),
        `app ${ghostApp} does not exist`,
      ],
      [call("POST", `/users/nobody/apps/${adamId}/add-to-distribution`), "user nobody does not exist"],
      [
        call("POST", `/users/${userA}/apps/${ghostApp}/remove-from-distribution`),
        `app ${ghostApp} does not exist`,
      ],
      [call("DELETE", `/catalog/${ghostApp}`), `app ${ghostApp} does not exist`],
      [call("GET", `/apps/${ghostApp}/license-usage`), `app ${ghostApp} does not exist`],
      [call("GET", `/accounts/${accountA}/apps/${ghostApp}/log`), `app ${ghostApp} does not exist`],
      [
        call("DELETE", `/groups/${groupA}/members`, { userIds: [userA, "nobody"] }),
        "user nobody does not exist",
        "body.userIds.1",
      ],
    ];
    for (const [pending, detail, field] of cases) {
      const r = await pending;
      expect(r.statusCode, r.body).toBe(404);
      expect(r.json()).toMatchObject({ code: "not_found", detail });
      if (field) expect(r.json().errors).toEqual([{ field, message: detail }]);
    }
    expect((await call("GET", "/activity?pageSize=1")).json().total).toBe(activityBefore);
    // What the space does know still answers: an idempotent removal sent twice, a known app's usage.
    expect((await call("GET", `/apps/${adamId}/license-usage`)).statusCode).toBe(200);
    expect((await call("DELETE", `/groups/${groupA}/members`, { userIds: [userA] })).statusCode).toBe(204);
    expect((await call("DELETE", `/groups/${groupA}/members`, { userIds: [userA] })).statusCode).toBe(204);
  });
});

describeEachDatabase("fields named where they were sent", shared, (db) => {
  it("DI7: a what-if reserving and prohibiting one user is a 400 naming body.changes.0.reservedUserIds.0, as the rules PUT names body.reservedUserIds.0", async () => {
    const f = await buildFixture(db().store);
    const { spaceA, accountA, adamId, userA } = f.ids;
    const lists = { reservedUserIds: [userA], prohibitedUserIds: [userA] };
    const whatIf = await f.app.inject({
      method: "POST",
      url: `/api/v1/spaces/${spaceA}/what-if`,
      headers: auth(f.tokens.write),
      payload: { changes: [{ kind: "rules", accountId: accountA, adamId, ...lists }] },
    });
    const put = await f.app.inject({
      method: "PUT",
      url: `/api/v1/spaces/${spaceA}/accounts/${accountA}/apps/${adamId}/rules`,
      headers: auth(f.tokens.write),
      payload: lists,
    });
    for (const [r, field] of [
      [whatIf, "body.changes.0.reservedUserIds.0"],
      [put, "body.reservedUserIds.0"],
    ] as const) {
      expect(r.statusCode, r.body).toBe(400);
      expect(r.json()).toMatchObject({
        code: "validation_failed",
        errors: [{ field, message: `user ${userA} is also prohibited (DI7)` }],
      });
    }
  });
});

describeEachDatabase("requests that are not what they say", shared, (db) => {
  it("a JSON body whose bytes are not UTF-8 is a 400, not text with U+FFFD stored in its place", async () => {
    const f = await buildFixture(db().store);
    const r = await f.app.inject({
      method: "POST",
      url: `/api/v1/spaces/${f.ids.spaceA}/groups`,
      headers: { ...auth(f.tokens.write), "content-type": "application/json" },
      payload: Buffer.concat([Buffer.from('{"name":"Caf'), Buffer.from([0xe9]), Buffer.from('"}')]),
    });
    expect(r.statusCode, r.body).toBe(400);
    expect(r.json()).toMatchObject({ code: "bad_request", detail: "the JSON body is not valid UTF-8" });
  });

  it("a query parameter a route does not take is a 400 naming it and the one it most likely meant (serialNumber for serial), else those it takes, or that it takes none", async () => {
    const f = await buildFixture(db().store);
    for (const [url, hint] of [
      ["/devices?serialNumber=ABC", " (did you mean serial?)"],
      ["/mdm/commands?deviceId=x", " (did you mean device?)"],
      ["/licenses?adamId=1", " (did you mean app?)"],
      ["/devices?Status=active", " (did you mean status?)"],
      ["/devices?pageSiz=2", " (did you mean pageSize?)"],
      ["/mdm/commands?color=red", " (it takes after, device, limit, ready, state)"],
      // A route that takes no parameter: a filter it does not have is not ignored.
      ["/accounts?name=Main", " (it takes none)"],
      [`/users/${f.ids.userA}?fields=name`, " (it takes none)"],
    ] as const) {
      const r = await f.app.inject({
        url: `/api/v1/spaces/${f.ids.spaceA}${url}`,
        headers: auth(f.tokens.write),
      });
      expect(r.statusCode, `${url} ${r.body}`).toBe(400);
      const name = /[?&]([A-Za-z]+)=[^&]*$/.exec(url)?.[1] ?? "";
      expect(r.json().errors).toEqual([
        {
          field: `querystring.${name}`,
          message: `unknown field ${name}: this route does not take it${hint}`,
          rule: "unrecognized_keys",
        },
      ]);
    }
    // Apple's notifications are read as Apple sends them: a parameter on the URL configured at
    // Apple is not refused (an unknown account is the same 404 as ever, which Apple retries).
    const apple = await f.app.inject({
      method: "POST",
      url: "/api/v1/apple/notifications/no-such-account?source=abm",
      payload: { notificationType: "ASSET_COUNT" },
    });
    expect(apple.statusCode, apple.body).toBe(404);
    expect((await f.app.inject({ url: "/healthz?probe=lb" })).statusCode).toBe(200);
    // In a body, at the top and inside an array's element.
    const body = await f.app.inject({
      method: "POST",
      url: `/api/v1/spaces/${f.ids.spaceA}/devices/bulk`,
      headers: auth(f.tokens.write),
      payload: {
        devices: [
          { serialNumber: "HINT0001", platform: "iOS" },
          { serial: "HINT0002", platform: "iOS" },
        ],
      },
    });
    expect(body.json().errors).toContainEqual({
      field: "body.devices.1.serial",
      message: "unknown field serial: this route does not take it (did you mean serialNumber?)",
      rule: "unrecognized_keys",
    });
  });

  it("a group's name is trimmed before its length is counted: 300 characters between spaces are taken, 301 are not", async () => {
    const f = await buildFixture(db().store);
    const create = (name: string) =>
      f.app.inject({
        method: "POST",
        url: `/api/v1/spaces/${f.ids.spaceA}/groups`,
        headers: auth(f.tokens.write),
        payload: { name },
      });
    const padded = await create(`  ${"n".repeat(300)}  \n`);
    expect(padded.statusCode, padded.body).toBe(201);
    expect(padded.json().name).toBe("n".repeat(300));
    const long = await create(` ${"m".repeat(301)} `);
    expect(long.statusCode).toBe(400);
    expect(long.json().errors[0]).toMatchObject({ field: "body.name", rule: "too_big" });
  });

  it("headers larger than the server reads are a 431 problem+json, not Node's bare answer", async () => {
    const f = await buildFixture(db().store);
    const answer = await rawExchange(
      f,
      `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`,
    );
    expect(answer.head).toMatch(/^HTTP\/1\.1 431 /);
    expect(answer.head).toContain("Content-Type: application/problem+json");
    expect(JSON.parse(answer.body)).toMatchObject({
      status: 431,
      code: "headers_too_large",
      detail: "the request line and headers are limited to 16 KiB in all",
    });
  });

  it("an Idempotency-Key sent twice is a 400 saying so, not one key of both joined by a comma", async () => {
    const f = await buildFixture(db().store);
    const body = JSON.stringify({ name: "Twice" });
    const answer = await rawExchange(
      f,
      `POST /api/v1/spaces/${f.ids.spaceA}/groups HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${f.tokens.write}\r\n` +
        `Content-Type: application/json\r\nIdempotency-Key: k1\r\nIdempotency-Key: k2\r\n` +
        `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
    );
    expect(answer.head).toMatch(/^HTTP\/1\.1 400 /);
    expect(JSON.parse(answer.body)).toMatchObject({
      code: "idempotency_key_invalid",
      errors: [
        { field: "headers.idempotency-key", message: "sent twice: a request has one Idempotency-Key" },
      ],
    });
  });
});

describeEachDatabase("values named in the words a user needs", shared, (db) => {
  it("a page number is decimal digits given once; a yes/no query says true or false; serial: alone names no device (its field's 400, not a search)", async () => {
    const f = await buildFixture(db().store);
    const get = (url: string) =>
      f.app.inject({ url: `/api/v1/spaces/${f.ids.spaceA}${url}`, headers: auth(f.tokens.write) });
    const yesNo = await get("/notifications?open=yes");
    expect(yesNo.statusCode).toBe(400);
    expect(yesNo.json().errors).toEqual([
      expect.objectContaining({ field: "querystring.open", message: "true or false" }),
    ]);
    for (const [path, query] of [
      ["/users", "page=0x10"],
      ["/users", "page=1e3"],
      ["/users", "page=1&page=2"],
      ["/users", "pageSize=5.5"],
      ["/users", "page="],
      ["/mdm/commands", "after=0x10"],
      ["/mdm/commands", "after=1&after=2"],
    ]) {
      const r = await get(`${path}?${query}`);
      expect(r.statusCode, `${query} ${r.body}`).toBe(400);
      expect(r.json().errors[0].message, query).toMatch(
        /a whole number in decimal digits, given once|expected int/,
      );
    }
    expect((await get("/users?page=1&pageSize=10")).statusCode).toBe(200);
    expect((await get("/mdm/commands?after=3")).statusCode).toBe(200);
    const huge = await get("/users?pageSize=9999999999999999");
    expect(huge.json().errors[0]).toMatchObject({ field: "querystring.pageSize", rule: "too_big" });
    for (const url of ["/devices/serial:", "/devices/SERIAL:%20%20", "/devices/serial:/installed-apps"]) {
      const r = await get(url);
      expect(r.statusCode, `${url} ${r.body}`).toBe(400);
      expect(r.json().errors[0]).toMatchObject({
        field: "params.deviceId",
        message: "serial: needs a serial number after it (serial:C02D0000)",
      });
    }
  });
});

/** One HTTP/1.1 exchange over a socket, as a client that `inject` cannot imitate would send it. */
async function rawExchange(f: Fixture, request: string): Promise<{ head: string; body: string }> {
  const address = await f.app.listen({ host: "127.0.0.1", port: 0 });
  try {
    const text = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(new URL(address).port), "127.0.0.1", () => socket.write(request));
      let received = "";
      socket.on("data", (chunk) => {
        received += chunk.toString();
      });
      socket.on("close", () => resolve(received));
      socket.on("error", reject);
    });
    const split = text.indexOf("\r\n\r\n");
    return { head: text.slice(0, split), body: text.slice(split + 4) };
  } finally {
    await f.app.close();
  }
}
