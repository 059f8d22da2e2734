import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureDefaultSpace } from "../../src/main/default-space.js";
import {
  createAccount,
  createUser,
  insertLicenses,
  setCatalogApp,
  upsertAsset,
} from "../../src/store/index.js";
import { type CliHarness, expectFailure, startCli } from "./harness.js";

const APP = "3000001";
const CREATED = new Date("2026-05-04T09:00:00Z");

/** `orchard export licenses` and `orchard export usage`: the API's files, to a file or to stdout. */
describe("orchard export licenses, usage", () => {
  let cli: CliHarness;
  const ids = { account: "", ada: "", assigned: "", released: "" };

  beforeAll(async () => {
    cli = await startCli();
    await cli.withCore(async ({ store, deps }) => {
      const spaceId = await ensureDefaultSpace({ store });
      const account = await createAccount(deps.db, store.keys, {
        spaceId,
        displayName: "North campus",
        sToken: "not-a-real-token",
      });
      ids.account = account.id;
      await upsertAsset(
        deps.db,
        {
          spaceId,
          accountId: account.id,
          adamId: APP,
          pricingParam: "STDQ",
          productType: "App",
          total: 4,
          used: 1,
          deviceAssignable: true,
          platforms: ["iOS"],
        },
        CREATED,
      );
      await setCatalogApp(deps.db, { spaceId, adamId: APP, name: "Keynote" }, CREATED);
      const ada = await createUser(deps.db, {
        spaceId,
        name: "Ada Lovelace",
        managedAppleId: "ada@school.appleid.com",
      });
      ids.ada = ada.id;
      ids.assigned = "lic-1";
      ids.released = "lic-2";
      await insertLicenses(deps.db, [
        {
          id: ids.assigned,
          spaceId,
          accountId: account.id,
          adamId: APP,
          type: "user",
          userId: ada.id,
          state: "assigned",
          ruleIds: ["MA1"],
          now: CREATED,
        },
        {
          id: ids.released,
          spaceId,
          accountId: account.id,
          adamId: APP,
          type: "user",
          userId: ada.id,
          state: "released",
          now: CREATED,
        },
      ]);
    });
  }, 120_000);

  afterAll(async () => {
    await cli?.close();
  });

  it("export licenses writes the CSV to --output and says how many rows; --json reports it as JSON", async () => {
    const file = `${cli.dataDir}/licenses.csv`;
    const written = await cli.run(["export", "licenses", "--output", file]);
    expect(written).toEqual({ code: 0, stdout: `2 licenses written to ${file} (csv)\n`, stderr: "" });
    const at = CREATED.toISOString();
    const row = (id: string, state: string, rules: string) =>
      `${id},${APP},Keynote,${ids.account},North campus,user,${ids.ada},Ada Lovelace,,ada@school.appleid.com,,,${state},false,${rules},${at},,,`;
    expect((await readFile(file, "utf8")).trimEnd().split("\n")).toEqual([
      "license_id,adam_id,app_name,account_id,account_name,type,user_id,user_name,user_email,managed_apple_id," +
        "device_id,serial_number,state,reserved,rule_ids,created_at,assigned_at,released_at,grace_ends_at",
      row(ids.assigned, "assigned", "MA1"),
      row(ids.released, "released", ""),
    ]);
    const filtered = `${cli.dataDir}/assigned.json`;
    expect(
      await cli.json([
        "export",
        "licenses",
        "--state",
        "assigned",
        "--account",
        "North campus",
        "--format",
        "json",
        "--output",
        filtered,
        "--json",
      ]),
    ).toEqual({ format: "json", output: filtered, rows: 1 });
    expect(JSON.parse(await readFile(filtered, "utf8"))).toEqual([
      expect.objectContaining({
        id: ids.assigned,
        state: "assigned",
        managedAppleId: "ada@school.appleid.com",
      }),
    ]);
  });

  it("without --output, --json prints the rows themselves as one JSON document", async () => {
    const rows = await cli.json<Array<{ id: string }>>([
      "export",
      "licenses",
      "--json",
      "--search",
      "Lovelace",
    ]);
    expect(rows.map((l) => l.id)).toEqual([ids.assigned, ids.released]);
    const usage = await cli.json<unknown[]>(["export", "usage", "--json"]);
    expect(usage).toEqual([
      {
        adamId: APP,
        appName: "Keynote",
        productType: "App",
        accountId: ids.account,
        accountName: "North campus",
        total: 4,
        appleAssigned: 0,
        used: 1,
        assigned: 1,
        pendingAssign: 0,
        pendingRelease: 0,
        inGrace: 0,
        reserved: 0,
        available: 3,
        waitingUsers: 0,
        waitingDevices: 0,
        usagePercent: 25,
      },
    ]);
  });

  it("export usage writes its CSV to a file", async () => {
    const file = `${cli.dataDir}/usage.csv`;
    const written = await cli.run(["export", "usage", "--account", ids.account, "--output", file]);
    expect(written).toEqual({
      code: 0,
      stdout: `1 app and account rows written to ${file} (csv)\n`,
      stderr: "",
    });
    expect((await readFile(file, "utf8")).trimEnd().split("\n")).toEqual([
      "adam_id,app_name,product_type,account_id,account_name,total,apple_assigned,used,assigned,pending_assign," +
        "pending_release,in_grace,reserved,available,waiting_users,waiting_devices,usage_percent",
      `${APP},Keynote,App,${ids.account},North campus,4,0,1,1,0,0,0,0,3,0,0,25`,
    ]);
  });

  it("a filter the space does not have, a bad format or an unwritable file: one line, non-zero exit, no file", async () => {
    // One run at a time: embedded PGlite serves one process at a time.
    expectFailure(
      await cli.run(["export", "licenses", "--account", "Nowhere", "--output", `${cli.dataDir}/never.csv`]),
      3,
      /account "?Nowhere"? /,
    );
    expectFailure(await cli.run(["export", "usage", "--app", "999"]), 3, /app 999 /);
    expectFailure(
      await cli.run(["export", "licenses", "--serial", "NOPE"]),
      3,
      /device with serial number NOPE /,
    );
    expectFailure(
      await cli.run(["export", "usage", "--format", "xlsx"]),
      2,
      /argument 'xlsx' is invalid\. Allowed choices are csv, json\./,
    );
    expectFailure(
      await cli.run(["export", "licenses", "--output", `${cli.dataDir}/no/such/folder.csv`]),
      2,
      /cannot write .*folder\.csv: no such folder/,
    );
    await expect(readFile(`${cli.dataDir}/never.csv`, "utf8")).rejects.toMatchObject({ code: "ENOENT" });
  });
});
