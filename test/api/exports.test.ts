import { randomUUID } from "node:crypto";
import { expect, it } from "vitest";
import { parseCsv } from "../../src/cli/csv-parse.js";
import { createUser, getLicense, insertLicenses, setAppRules, upsertAsset } from "../../src/store/index.js";
import { describeEachDatabase } from "../store/databases.js";
import { auth, buildFixture, type Fixture, NOW } from "./harness.js";

const KEYNOTE = "409183694";
const NUMBERS = "409203825";
const LICENSE_HEADER =
  "license_id,adam_id,app_name,account_id,account_name,type,user_id,user_name,user_email,managed_apple_id," +
  "device_id,serial_number,state,reserved,rule_ids,created_at,assigned_at,released_at,grace_ends_at";
const USAGE_HEADER =
  "adam_id,app_name,product_type,account_id,account_name,total,apple_assigned,used,assigned,pending_assign," +
  "pending_release,in_grace,reserved,available,waiting_users,waiting_devices,usage_percent";

function errorsOfField(problem: { errors?: Array<{ field: string; message: string }> }, field: string) {
  return (problem.errors ?? []).filter((e) => e.field === field).map((e) => e.message);
}

/**
 * The licenses and usage exports (audits, finance, true-up) on a small known data set of
 * space A: its exact columns and values, the list's filters, the list's refusals, and the
 * paging of a few thousand rows. Space B holds the same app: none of it may appear.
 */
describeEachDatabase("exports API", (db) => {
  let f: Fixture;
  let s = "";
  const ids = { bea: "", assigned: "", released: "", grace: "" };
  const get = (url: string, token = f.tokens.read) => f.app.inject({ url, headers: auth(token) });
  const csvOf = async (url: string) => {
    const r = await get(url);
    expect(r.statusCode, r.body).toBe(200);
    return r.body;
  };
  /** The CSV's rows as objects keyed by its header (the project's RFC 4180 parser). */
  const rowsOf = async (url: string) => {
    const [header, ...rows] = parseCsv(await csvOf(url)).map((r) => r.cells);
    return rows.map((cells) => Object.fromEntries((header ?? []).map((name, i) => [name, cells[i] ?? ""])));
  };

  it("the licenses export writes every license of the space, one row each, in the documented columns", async () => {
    f = await buildFixture(db().store);
    s = `/api/v1/spaces/${f.ids.spaceA}`;
    const store = db().store.db;
    const spaceId = f.ids.spaceA;
    const accountId = f.ids.accountA;
    ids.bea = (
      await createUser(store, {
        spaceId,
        name: "Béa, Managed",
        email: "bea@example.com",
        managedAppleId: "bea@school.appleid.com",
      })
    ).id;
    // Keynote: bought by account A alone, not in the catalog (its asset's name), one seat used.
    await upsertAsset(
      store,
      {
        spaceId,
        accountId,
        adamId: KEYNOTE,
        pricingParam: "STDQ",
        productType: "App",
        name: "Keynote",
        total: 3,
        used: 1,
        deviceAssignable: true,
        platforms: ["iOS"],
      },
      NOW,
    );
    const at = (iso: string) => new Date(iso);
    const [assigned, released, grace] = [randomUUID(), randomUUID(), randomUUID()];
    await insertLicenses(store, [
      {
        id: assigned,
        spaceId,
        accountId,
        adamId: KEYNOTE,
        type: "device",
        deviceId: f.ids.deviceA,
        state: "assigned",
        ruleIds: ["MA1", "LT3"],
        now: NOW,
      },
      {
        id: released,
        spaceId,
        accountId,
        adamId: f.ids.adamId,
        type: "user",
        userId: ids.bea,
        state: "released",
        now: NOW,
      },
      {
        id: grace,
        spaceId,
        accountId,
        adamId: f.ids.adamId,
        type: "user",
        userId: ids.bea,
        state: "in_grace",
        reserved: true,
        ruleIds: ["RV3"],
        now: NOW,
      },
    ]);
    const dates = async (id: string, set: Record<string, Date>) =>
      store.updateTable("licenses").set(set).where("space_id", "=", spaceId).where("id", "=", id).execute();
    await dates(assigned, { assigned_at: at("2026-03-01T12:05:00Z") });
    await dates(released, {
      assigned_at: at("2026-02-01T08:00:00Z"),
      released_at: at("2026-02-20T09:30:00Z"),
    });
    await dates(grace, {
      assigned_at: at("2026-01-10T08:00:00Z"),
      released_at: at("2026-02-28T10:00:00Z"),
      grace_until: at("2026-03-30T10:00:00Z"),
    });
    Object.assign(ids, { assigned, released, grace });

    const r = await get(`${s}/licenses/export`);
    expect(r.statusCode, r.body).toBe(200);
    expect(r.headers["content-type"]).toBe("text/csv; charset=utf-8");
    expect(r.headers["content-disposition"]).toBe('attachment; filename="orchard-licenses.csv"');
    const a = await getLicense(store, spaceId, f.ids.licenseA);
    const serial = `SER${f.ids.suffix}`;
    const pages = `${f.ids.adamId},Pages,${accountId},Main`;
    const expected = new Map([
      [
        f.ids.licenseA,
        `${f.ids.licenseA},${pages},user,${f.ids.userA},Alice Apple,alice@example.com,,,,pending_assign,false,` +
          `${a.ruleIds.join(" ")},${NOW.toISOString()},,,`,
      ],
      [
        assigned,
        `${assigned},${KEYNOTE},Keynote,${accountId},Main,device,,,,,${f.ids.deviceA},${serial},assigned,false,` +
          `MA1 LT3,${NOW.toISOString()},2026-03-01T12:05:00.000Z,,`,
      ],
      [
        released,
        `${released},${pages},user,${ids.bea},"Béa, Managed",bea@example.com,bea@school.appleid.com,,,released,false,,` +
          `${NOW.toISOString()},2026-02-01T08:00:00.000Z,2026-02-20T09:30:00.000Z,`,
      ],
      [
        grace,
        `${grace},${pages},user,${ids.bea},"Béa, Managed",bea@example.com,bea@school.appleid.com,,,in_grace,true,RV3,` +
          `${NOW.toISOString()},2026-01-10T08:00:00.000Z,2026-02-28T10:00:00.000Z,2026-03-30T10:00:00.000Z`,
      ],
    ]);
    const lines = r.body.trimEnd().split("\n");
    expect(lines[0]).toBe(LICENSE_HEADER);
    // By license id: the order of the primary key each batch is read on.
    const byId = [...expected.keys()].sort();
    expect(lines.slice(1)).toEqual(byId.map((id) => expected.get(id)));
    expect(r.body).not.toContain(f.ids.accountB);
  });

  it("the JSON licenses export holds the same rows as objects, absent values left out", async () => {
    const r = await get(`${s}/licenses/export?format=json&state=in_grace`);
    expect(r.statusCode, r.body).toBe(200);
    expect(r.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(r.headers["content-disposition"]).toBe('attachment; filename="orchard-licenses.json"');
    expect(r.json()).toEqual([
      {
        id: ids.grace,
        adamId: f.ids.adamId,
        appName: "Pages",
        accountId: f.ids.accountA,
        accountName: "Main",
        type: "user",
        userId: ids.bea,
        userName: "Béa, Managed",
        userEmail: "bea@example.com",
        managedAppleId: "bea@school.appleid.com",
        state: "in_grace",
        reserved: true,
        ruleIds: ["RV3"],
        createdAt: NOW.toISOString(),
        assignedAt: "2026-01-10T08:00:00.000Z",
        releasedAt: "2026-02-28T10:00:00.000Z",
        graceEndsAt: "2026-03-30T10:00:00.000Z",
      },
    ]);
    const empty = await get(`${s}/licenses/export?format=json&state=pending_release`);
    expect(empty.json()).toEqual([]);
  });

  it("DI5: the export filters as the list does (state, app, account, user, device, serial, type, search)", async () => {
    const exported = async (query: string) =>
      (await rowsOf(`${s}/licenses/export?${query}`)).map((row) => row.license_id).sort();
    const listed = async (query: string) => {
      const r = await get(`${s}/licenses?pageSize=500&${query}`);
      expect(r.statusCode, r.body).toBe(200);
      return (r.json().items as Array<{ id: string }>).map((l) => l.id).sort();
    };
    const cases: Array<[string, string[]]> = [
      ["state=in_grace", [ids.grace]],
      [`app=${KEYNOTE}`, [ids.assigned]],
      [`account=${f.ids.accountA}`, [f.ids.licenseA, ids.assigned, ids.released, ids.grace]],
      [`user=${ids.bea}`, [ids.released, ids.grace]],
      [`device=${f.ids.deviceA}`, [ids.assigned]],
      [`serial=SER${f.ids.suffix}`, [ids.assigned]],
      ["type=device", [ids.assigned]],
      [`app=${f.ids.adamId}&state=released`, [ids.released]],
      ["q=B%C3%A9a", [ids.released, ids.grace]],
    ];
    for (const [query, expected] of cases) {
      expect(await exported(query), query).toEqual([...expected].sort());
      expect(await listed(query), query).toEqual([...expected].sort());
    }
  });

  it("DI5, invariant 6: a filter naming what the space does not have is a 404 problem naming the parameter, as on the list", async () => {
    for (const [path, query, field, detail] of [
      ["licenses", "account=nope", "querystring.account", "account nope does not exist"],
      [
        "licenses",
        `account=${f.ids.accountB}`,
        "querystring.account",
        `account ${f.ids.accountB} does not exist`,
      ],
      ["licenses", `user=${f.ids.userB}`, "querystring.user", `user ${f.ids.userB} does not exist`],
      ["licenses", "app=999", "querystring.app", "app 999 does not exist"],
      ["licenses", "device=nope", "querystring.device", "device nope does not exist"],
      ["licenses", "serial=NOPE", "querystring.serial", "device with serial number NOPE does not exist"],
      [
        "usage",
        `account=${f.ids.accountB}`,
        "querystring.account",
        `account ${f.ids.accountB} does not exist`,
      ],
      ["usage", "app=999", "querystring.app", "app 999 does not exist"],
    ] as const) {
      const r = await get(`${s}/${path}/export?${query}`);
      expect(r.statusCode, query).toBe(404);
      expect(r.headers["content-type"], query).toContain("application/problem+json");
      expect(r.json().code, query).toBe("not_found");
      expect(r.json().detail, query).toMatch(new RegExp(`^${detail}`));
      expect(errorsOfField(r.json(), field), query).toHaveLength(1);
      expect(r.headers["content-disposition"], query).toBeUndefined();
    }
    const asId = await get(`${s}/licenses/export?device=SER${f.ids.suffix}`);
    expect(asId.json().detail).toBe(
      `device SER${f.ids.suffix} does not exist: it is a device's serial number: filter with serial=SER${f.ids.suffix}`,
    );
  });

  it("a format other than csv or json is a 400 problem naming querystring.format", async () => {
    for (const path of ["licenses", "usage"])
      for (const format of ["xlsx", "CSV", ""]) {
        const r = await get(`${s}/${path}/export?format=${format}`);
        expect(r.statusCode, `${path} ${format}`).toBe(400);
        expect(r.headers["content-type"]).toContain("application/problem+json");
        expect(r.json().code).toBe("validation_failed");
        expect(r.json().errors.map((e: { field: string }) => e.field)).toEqual(["querystring.format"]);
      }
    const badState = await get(`${s}/licenses/export?state=expired`);
    expect(badState.statusCode).toBe(400);
    expect(badState.json().errors.map((e: { field: string }) => e.field)).toEqual(["querystring.state"]);
  });

  it("the usage export writes one row per app and account: Apple's total, licenses by state, reservations, queue, usage", async () => {
    const store = db().store.db;
    const spaceId = f.ids.spaceA;
    // DI6: Alice holds a seat of Pages (not counted), Béa holds none (released, in grace), the device none of Pages.
    await setAppRules(
      store,
      {
        spaceId,
        accountId: f.ids.accountA,
        adamId: f.ids.adamId,
        reservedUserIds: [f.ids.userA, ids.bea],
        reservedDeviceIds: [f.ids.deviceA],
        prohibitedUserIds: [],
      },
      { kind: "system" },
      NOW,
    );
    // DB2: a user and a device wait for Pages.
    const waiter = await createUser(store, { spaceId, name: "Wendy Waiting" });
    await store
      .insertInto("license_queue")
      .values([
        {
          space_id: spaceId,
          adam_id: f.ids.adamId,
          user_id: waiter.id,
          why: "requested",
          reason: "no_license",
        },
        {
          space_id: spaceId,
          adam_id: f.ids.adamId,
          device_id: f.ids.deviceA,
          why: "check_in",
          reason: "no_license",
        },
      ])
      .execute();
    const r = await get(`${s}/usage/export`);
    expect(r.statusCode, r.body).toBe(200);
    expect(r.headers["content-type"]).toBe("text/csv; charset=utf-8");
    expect(r.headers["content-disposition"]).toBe('attachment; filename="orchard-usage.csv"');
    const a = f.ids.accountA;
    // Pages: 10 bought, Alice's pending license holds the one seat used, two more held for Bea's
    // and the device's reservations (DI6): 7 free; Keynote: 3 bought, 1 assigned.
    expect(r.body.trimEnd().split("\n")).toEqual([
      USAGE_HEADER,
      `${f.ids.adamId},Pages,App,${a},Main,10,0,1,0,1,0,1,2,7,1,1,10`,
      `${KEYNOTE},Keynote,App,${a},Main,3,0,1,1,0,0,0,0,2,0,0,33`,
    ]);
    const json = await get(`${s}/usage/export?format=json&app=${KEYNOTE}`);
    expect(json.headers["content-disposition"]).toBe('attachment; filename="orchard-usage.json"');
    expect(json.json()).toEqual([
      {
        adamId: KEYNOTE,
        appName: "Keynote",
        productType: "App",
        accountId: a,
        accountName: "Main",
        total: 3,
        appleAssigned: 0,
        used: 1,
        assigned: 1,
        pendingAssign: 0,
        pendingRelease: 0,
        inGrace: 0,
        reserved: 0,
        available: 2,
        waitingUsers: 0,
        waitingDevices: 0,
        usagePercent: 33,
      },
    ]);
    expect((await rowsOf(`${s}/usage/export?account=${a}`)).map((u) => u.adam_id)).toEqual([
      f.ids.adamId,
      KEYNOTE,
    ]);
  });

  it("PM1, invariant 6: a read-only token exports; another space's administrator gets a 404 and only their own space's rows", async () => {
    for (const path of ["licenses", "usage"]) {
      expect((await get(`${s}/${path}/export`, f.tokens.read)).statusCode).toBe(200);
      expect((await get(`${s}/${path}/export`, f.tokens.write)).statusCode).toBe(200);
      for (const token of [f.tokens.other, f.tokens.none]) {
        const refused = await get(`${s}/${path}/export`, token);
        expect(refused.statusCode, path).toBe(404);
        expect(refused.headers["content-type"]).toContain("application/problem+json");
        expect(refused.body).not.toContain(f.ids.accountA);
      }
    }
    const b = `/api/v1/spaces/${f.ids.spaceB}`;
    const theirs = await get(`${b}/usage/export`, f.tokens.other);
    expect(theirs.body.trimEnd().split("\n")).toEqual([
      USAGE_HEADER,
      `${f.ids.adamId},Pages,App,${f.ids.accountB},Other,10,0,0,0,0,0,0,0,10,0,0,0`,
    ]);
    const licenses = await get(`${b}/licenses/export`, f.tokens.other);
    expect(licenses.body).toBe(`${LICENSE_HEADER}\n`);
  });

  it("a few thousand licenses export whole, by id, each once, across the store's batches (CSV and JSON alike)", async () => {
    const store = db().store.db;
    const spaceId = f.ids.spaceA;
    await upsertAsset(
      store,
      {
        spaceId,
        accountId: f.ids.accountA,
        adamId: NUMBERS,
        pricingParam: "STDQ",
        productType: "App",
        name: "Numbers",
        total: 3000,
        deviceAssignable: true,
        platforms: ["iOS"],
      },
      NOW,
    );
    // 2,500 rows: the store reads 1,000 per query, so three batches make the file.
    const n = 2500;
    const made = Array.from({ length: n }, (_, i) => `bulk-${String(i).padStart(5, "0")}`);
    for (let i = 0; i < n; i += 500)
      await insertLicenses(
        store,
        made.slice(i, i + 500).map((id) => ({
          id,
          spaceId,
          accountId: f.ids.accountA,
          adamId: NUMBERS,
          type: "user" as const,
          userId: ids.bea,
          state: "released" as const,
          now: NOW,
        })),
      );
    const rows = await rowsOf(`${s}/licenses/export?app=${NUMBERS}`);
    expect(rows.map((row) => row.license_id)).toEqual(made);
    expect(new Set(rows.map((row) => row.license_id)).size).toBe(n);
    expect(rows.every((row) => row.app_name === "Numbers" && row.user_name === "Béa, Managed")).toBe(true);
    const json = await get(`${s}/licenses/export?format=json&app=${NUMBERS}`);
    expect((json.json() as Array<{ id: string }>).map((l) => l.id)).toEqual(made);
    // Unfiltered, the space's other licenses come along, still each once.
    const all = (await rowsOf(`${s}/licenses/export`)).map((row) => row.license_id);
    expect(all).toHaveLength(n + 4);
    expect(new Set(all).size).toBe(n + 4);
  });
});
