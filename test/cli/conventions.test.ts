import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAdministratorFromGroups, login, principalOfSession } from "../../src/auth/auth.service.js";
import { resolveSpace } from "../../src/cli/resolve.js";
import { ensureDefaultSpace } from "../../src/main/default-space.js";
import { delegateApp } from "../../src/mdm/catalog.js";
import { createDevices, createSpace, listActivity, setCatalogApp } from "../../src/store/index.js";
import { compiledCli } from "./compiled.js";
import { type CliHarness, type CliRun, expectFailure, startCli } from "./harness.js";

const APP = "3000001";
const SYSTEM = { kind: "system" as const, id: "cli-test" };

/**
 * `npm start`'s path: embedded PGlite in the data folder, created by the first command, and
 * one process at a time (the other suites run `orchard` over PostgreSQL when it is there: a
 * command opening a PGlite folder spends seconds starting PGlite).
 */
describe("orchard on embedded PGlite", () => {
  let cli: CliHarness;
  beforeAll(async () => {
    cli = await startCli({ engine: "pglite" });
  });
  afterAll(async () => {
    await cli?.close();
  });

  it("the first command creates the database in the data folder; another process holding it is refused (exit 4): writes beside it would be lost", async () => {
    const first = await cli.run(["token", "list"]);
    expect(first).toMatchObject({ code: 0, stderr: expect.stringContaining("no account yet") });
    await cli.withCore(async () => {
      expectFailure(
        await cli.run(["token", "list"]),
        4,
        new RegExp(
          `^orchard: the data folder ${cli.dataDir} is in use by process ${process.pid}: embedded PGlite serves one process at a time; .*DATABASE_URL`,
        ),
      );
    });
    // Closed there, the folder is free again.
    expect((await cli.run(["token", "list"])).code).toBe(0);
  });
});

/**
 * What an administrator scripting `orchard` at 2 a.m. relies on: --version, one-line usage
 * errors with a way out, names wherever ids are asked, pipes that close early, data on
 * stdout and remarks on stderr.
 */
describe("orchard, as scripts and people use it", () => {
  let cli: CliHarness;
  let spaceId = "";
  beforeAll(async () => {
    cli = await startCli();
    const main = cli.sim.operator.createLocation({ orgName: "Orchard School", locationName: "Main" });
    const north = cli.sim.operator.createLocation({ orgName: "Orchard School", locationName: "North" });
    cli.sim.operator.addAsset(main.uId, { adamId: APP, totalCount: 2, supportedPlatforms: ["iOS"] });
    cli.sim.operator.addAsset(north.uId, { adamId: APP, totalCount: 3, supportedPlatforms: ["iOS"] });
    cli.sim.operator.addAsset(north.uId, { adamId: "3000002", totalCount: 50, supportedPlatforms: ["iOS"] });
    await cli.withCore(async ({ store, deps }) => {
      spaceId = await ensureDefaultSpace({ store });
      for (const [sTokenFile, name] of [
        [main.sToken, "Main campus"],
        [north.sToken, "North campus"],
      ] as const) {
        await deps.accounts.add({
          spaceId,
          name,
          sTokenFile,
          autoDistribute: true,
          clearPrevious: false,
          takeOver: false,
          actor: SYSTEM,
        });
      }
      await setCatalogApp(deps.db, { spaceId, adamId: APP, name: "Keynote" }, deps.now());
      const devices = await createDevices(
        deps.db,
        ["SER-1", "SER-2", "SER-3"].map((serialNumber) => ({
          spaceId,
          serialNumber,
          platform: "iOS" as const,
        })),
      );
      for (const d of devices)
        await deps.licenses.request(deps.db, {
          spaceId,
          adamId: APP,
          subject: { kind: "device", deviceId: d.id },
          why: "mandatory",
          actor: SYSTEM,
          now: deps.now(),
        });
      // Two spaces share a name; one has a name of its own.
      await createSpace(deps.db, { name: "Sciences" });
      await createSpace(deps.db, { name: "Twin" });
      await createSpace(deps.db, { name: "twin " });
    });
  });
  afterAll(async () => {
    await cli?.close();
  });

  it("--version prints the package's version; a typo in a command is one line with a suggestion (exit 2); help names a command it does not know", async () => {
    const pkg = JSON.parse(await readFile(new URL("../../package.json", import.meta.url), "utf8")) as {
      version: string;
    };
    // All refused or answered before the database opens: side by side.
    const [version, typo, option, missing, help, helpTypo] = await Promise.all([
      cli.run(["--version"]),
      cli.run(["tokn", "list"]),
      cli.run(["token", "list", "--jsno"]),
      cli.run(["token", "rm", "Main campus"]),
      cli.run(["help", "token", "add"]),
      cli.run(["help", "token", "nope"]),
    ]);
    expect(help).toMatchObject({ code: 0, stderr: "" });
    expect(help.stdout).toMatch(/^Usage: orchard token add \[options\] <file>\n/);
    expectFailure(helpTypo, 2, /^orchard: unknown command 'token nope' \(see 'orchard --help'\)\n$/);
    expect(version).toEqual({ code: 0, stdout: `${pkg.version}\n`, stderr: "" });
    expectFailure(typo, 2, /^orchard: unknown command 'tokn' \(Did you mean token\?\)\n$/);
    expectFailure(option, 2, /^orchard: unknown option '--jsno' \(Did you mean --json\?\)\n$/);
    expectFailure(
      missing,
      2,
      /^orchard: required option '--confirm <name>' not specified \(see 'orchard token rm --help'\)\n$/,
    );
  });

  it("bad numbers are refused before the database opens, one line, exit 2", async () => {
    const [idle, delay, port] = await Promise.all([
      cli.run(["worker", "--idle-ms", "soon"]),
      cli.run(["simulator", "--event-delay", "-1"]),
      cli.run(["simulator", "--port", ""]),
    ]);
    expectFailure(idle, 2, /option '--idle-ms <ms>' argument 'soon' is invalid\. expected a whole number/);
    expectFailure(delay, 2, /argument '-1' is invalid\. expected milliseconds, a whole number from 0/);
    expectFailure(port, 2, /argument '' is invalid\. expected a number from 0 to 65535/);
  });

  it("--space by name as well as id; an unknown one says where to look (exit 3), a shared name asks for the id (exit 2)", async () => {
    const spaces = await cli.json<{ items: Array<{ id: string; name: string; isDefault: boolean }> }>([
      "space",
      "list",
      "--json",
    ]);
    expect(spaces.items.map((s) => [s.name, s.isDefault])).toEqual([
      ["Default", true],
      ["Sciences", false],
      ["Twin", false],
      ["twin ", false],
    ]);
    const sciences = spaces.items[1]?.id ?? "";

    // The default space by name, and an empty space by name or id; a shared name, an unknown one.
    const [byName, byLowerName, byId, twin, nowhere] = await cli.runAll([
      ["token", "list", "--space", "default", "--json"],
      ["token", "list", "--space", "sciences", "--json"],
      ["token", "list", "--space", sciences, "--json"],
      ["token", "list", "--space", "Twin"],
      ["licenses", "--space", "Nowhere"],
    ]);
    expect(jsonOf<{ items: Array<{ name: string }> }>(byName).items.map((a) => a.name)).toEqual([
      "Main campus",
      "North campus",
    ]);
    for (const empty of [byLowerName, byId]) expect(jsonOf(empty)).toEqual({ items: [] });
    expectFailure(
      twin,
      2,
      /^orchard: 2 spaces are named "Twin": give its id \([0-9a-f-]{36}, [0-9a-f-]{36}\)\n$/,
    );
    expectFailure(
      nowhere,
      3,
      /^orchard: space Nowhere not found \(orchard space list shows every space\)\n$/,
    );
  });

  it("AC4, AC3, MA6: token priority and resync take an account's name, whatever its case", async () => {
    const moved = await cli.json<{ items: Array<{ name: string; priority: number }> }>([
      "token",
      "priority",
      "north CAMPUS",
      "1",
      "--json",
    ]);
    expect(moved.items.map((a) => [a.priority, a.name])).toEqual([
      [1, "North campus"],
      [2, "Main campus"],
    ]);
    const resync = await cli.run(["token", "resync", "Main campus"]);
    expect(resync).toMatchObject({ code: 0, stderr: "" });
    expect(resync.stdout).toMatch(/^account "Main campus" resynced \(AC3\)/);
  });

  it("AC5, MA3: licenses --account, what-if --remove-account and --priority take names; an unknown one is exit 3", async () => {
    // Reads and refusals: side by side.
    const [licensesRun, removedRun, order, twice, south] = await cli.runAll([
      ["licenses", "--account", "Main campus", "--json"],
      ["what-if", "--remove-account", "Main campus", "--json"],
      ["what-if", "--priority", "Main campus, north campus"],
      ["what-if", "--priority", "Main campus,main CAMPUS"],
      ["token", "rm", "South campus", "--confirm", "South campus"],
    ]);
    const licenses = jsonOf<{ items: Array<{ accountName: string }> }>(licensesRun);
    expect(licenses.items.length).toBeGreaterThan(0);
    expect(new Set(licenses.items.map((l) => l.accountName))).toEqual(new Set(["Main campus"]));

    const removed = jsonOf<{ totals: { lose: number } }>(removedRun);
    expect(removed.totals.lose).toBe(2);
    expect(order).toMatchObject({ code: 0, stderr: "" });
    expectFailure(twice, 2, /--priority: an account is listed twice/);
    expectFailure(
      south,
      3,
      /^orchard: account South campus not found \(orchard token list shows the space's accounts\)\n$/,
    );
  });

  it("CA2: token list shows when each token expires, in days", async () => {
    const list = await cli.run(["token", "list"]);
    expect(list).toMatchObject({ code: 0, stderr: "" });
    const rows = list.stdout.trimEnd().split("\n").slice(1);
    expect(rows).toHaveLength(2);
    for (const row of rows) expect(row).toMatch(/\d{4}-\d{2}-\d{2} \(in \d+ days\)/);
  });

  it("VU4, CA1: apps lists each app's licenses, the fewest available first with --sort available; an app delegated to the space is marked", async () => {
    const [appsRun, table] = await cli.runAll([
      ["apps", "--sort", "available", "--json"],
      ["apps", "--account", "North campus"],
    ]);
    const apps = jsonOf<{
      total: number;
      items: Array<{ adamId: string; total: number; used: number; available: number; waiting: number }>;
    }>(appsRun);
    expect(apps.items.map((a) => [a.adamId, a.total, a.available])).toEqual([
      [APP, 5, 2],
      ["3000002", 50, 50],
    ]);
    expect(table).toMatchObject({ code: 0, stderr: "" });
    const [header, ...rows] = table.stdout.trimEnd().split("\n");
    expect(header).toMatch(/^APP\s+TYPE\s+TOTAL\s+USED\s+AVAILABLE\s+USAGE\s+WAITING\s+ACCOUNTS$/);
    expect(rows[0]).toMatch(/^Keynote \(3000001\)\s+App\s+3\s+\d\s+\d\s+\d+%\s+0\s+1$/);
    // CA1: delegated to a space none of whose accounts bought it: listed there, marked, no licenses.
    await cli.withCore(async ({ store }) => {
      const sciences = await resolveSpace(store.db, "Sciences");
      await delegateApp(
        { db: store.db, now: () => new Date() },
        {
          fromSpaceId: await ensureDefaultSpace({ store }),
          adamId: APP,
          toSpaceIds: [sciences.id],
          actor: SYSTEM,
        },
      );
    });
    const delegated = await cli.run(["apps", "--space", "Sciences"]);
    expect(delegated.stdout.trimEnd().split("\n")[1]).toMatch(
      /^Keynote \(3000001\) \[delegated\]\s+App\s+0\s+0\s+0\s+-\s+0\s+0$/,
    );
  });

  it("DI5: a list cut by --limit says so on stderr: stdout is the table alone", async () => {
    const [cut, none] = await cli.runAll([
      ["licenses", "--limit", "1"],
      // An app the space bought and nobody holds: an empty list, said on stderr.
      ["licenses", "--app", "3000002"],
    ]);
    expect(cut.code).toBe(0);
    expect(cut.stdout.trimEnd().split("\n")).toHaveLength(2);
    expect(cut.stderr).toBe("1 of 3 licenses shown: use --limit or filters for the others\n");
    expect(none).toEqual({ code: 0, stdout: "", stderr: "no license matches\n" });
  });

  it("DI5: a licenses filter naming what the space does not have is exit 3, one line; a device by id or --serial", async () => {
    const [app, user, account, device, serial, bySerialRun] = await cli.runAll([
      ["licenses", "--app", "999"],
      ["licenses", "--user", "nope"],
      ["licenses", "--account", "nope"],
      ["licenses", "--device", "SER-1"],
      ["licenses", "--serial", "C02D0000"],
      ["licenses", "--serial", "SER-1", "--json"],
    ]);
    expectFailure(
      app,
      3,
      /^orchard: app 999 not found: it is not in this space's catalog and no account of the space bought it\n$/,
    );
    expectFailure(user, 3, /^orchard: user nope not found\n$/);
    expectFailure(
      account,
      3,
      /^orchard: account nope not found \(orchard token list shows the space's accounts\)\n$/,
    );
    // A serial number is not an id: the message says which option takes it.
    expectFailure(
      device,
      3,
      /^orchard: device SER-1 not found: it is a device's serial number: filter with --serial SER-1\n$/,
    );
    expectFailure(serial, 3, /^orchard: device with serial number C02D0000 not found\n$/);
    const bySerial = jsonOf<{ items: Array<{ serialNumber?: string; deviceId?: string }> }>(bySerialRun);
    expect(bySerial.items.map((l) => l.serialNumber)).toEqual(["SER-1"]);
    const byId = await cli.json(["licenses", "--device", bySerial.items[0]?.deviceId ?? "", "--json"]);
    expect(byId).toEqual(bySerial);
  });

  it("AC4, MA6: a position past the last account is exit 2, one line with the range; nothing moves or is logged", async () => {
    const before = await cli.json<{ items: Array<{ id: string }> }>(["token", "list", "--json"]);
    expectFailure(
      await cli.run(["token", "priority", "Main campus", "99"]),
      2,
      /^orchard: position 99 is out of range: the space has 2 accounts, so a position is from 1 to 2\n$/,
    );
    expect(await cli.json(["token", "list", "--json"])).toEqual(before);
    const moves = await cli.withCore(({ deps }) =>
      listActivity(deps.db, spaceId, { action: "account.priority_changed", limit: 100 }),
    );
    // The moves so far recorded where the account went, never a position it could not take.
    for (const line of moves) expect(line.message).toMatch(/^priority [12] -> [12]; no license moved$/);
  });

  it("MA6: what-if --priority names every account once: one missing is exit 2 naming it", async () => {
    expectFailure(
      await cli.run(["what-if", "--priority", "Main campus"]),
      2,
      /^orchard: --priority: a priority order names each of the space's 2 accounts exactly once; missing: North campus \([0-9a-f-]{36}\)\n$/,
    );
  });

  it("AC2: token update to the name and options the account has says so and logs nothing", async () => {
    const count = () =>
      cli.withCore(
        async ({ deps }) =>
          (await listActivity(deps.db, spaceId, { action: "account.updated", limit: 1000 })).length,
      );
    const logged = await count();
    const same = await cli.run([
      "token",
      "update",
      "north campus",
      "--name",
      "North campus",
      "--auto-distribute",
    ]);
    expect(same).toEqual({
      code: 0,
      stdout: 'account "North campus" unchanged: it already has this name and these options\n',
      stderr: "",
    });
    expect(await count()).toBe(logged);
  });

  it("explain names the app and the device, not only their ids", async () => {
    const human = await cli.run(["explain", "--app", APP, "--serial", "SER-1", "--why", "check_in"]);
    expect(human).toMatchObject({ code: 0, stderr: "" });
    expect(human.stdout.split("\n")[0]).toBe(`KEEP: Keynote (${APP}) for device SER-1 (check_in)`);
  });

  it("a reader that goes away (| head) ends the command quietly: no stack trace, exit 0", async () => {
    const commands = [["token", "list"], ["licenses"], ["export", "activity"], ["--help"]];
    // Reads: side by side over PostgreSQL (on PGlite, one process at a time holds the folder).
    const runs = cli.env.DATABASE_URL
      ? await Promise.all(commands.map((args) => runWithClosedStdout(cli, args)))
      : await commands.reduce<Promise<CliRun[]>>(
          async (done, args) => [...(await done), await runWithClosedStdout(cli, args)],
          Promise.resolve([]),
        );
    for (const [i, args] of commands.entries()) {
      const r = runs[i];
      expect({ args, code: r?.code, stderr: r?.stderr }).toEqual({ args, code: 0, stderr: "" });
    }
  });

  it("admin create: PM1 grants by space name; the password comes from stdin", async () => {
    const created = await cli.run(
      [
        "admin",
        "create",
        "--login",
        "bob",
        "--grant",
        "Sciences:manage",
        "--grant",
        "default:read",
        "--json",
      ],
      "correct horse battery staple\n",
    );
    expect(created).toMatchObject({ code: 0, stderr: "" });
    expect(JSON.parse(created.stdout)).toMatchObject({ login: "bob", isOwner: false });
    const [grant, empty, arts] = await cli.runAll([
      [["admin", "create", "--login", "eve", "--grant", "Sciences"], "whatever-password\n"],
      [["admin", "create", "--login", "eve"], ""],
      [["admin", "create", "--login", "eve", "--grant", "Arts:read"], "whatever-password\n"],
    ]);
    expectFailure(grant, 2, /--grant Sciences: expected <space>:manage or <space>:read/);
    expectFailure(empty, 2, /^orchard: no password on standard input: pipe it in/);
    expectFailure(arts, 3, /^orchard: space Arts not found/);
  });

  it("admin create --sso-only: no password asked, only when single sign-on is configured", async () => {
    expectFailure(
      await cli.run(["admin", "create", "--login", "sso@example.org", "--sso-only"]),
      2,
      /^orchard: --sso-only needs single sign-on: set OIDC_ISSUER/,
    );
    const oidc = {
      OIDC_ISSUER: "https://login.example.org",
      OIDC_CLIENT_ID: "orchard",
      OIDC_CLIENT_SECRET: "client-secret",
      PUBLIC_BASE_URL: "https://orchard.example.org",
    };
    Object.assign(cli.env, oidc);
    try {
      const created = await cli.run(["admin", "create", "--login", "sso@example.org", "--sso-only"]);
      expect(created).toMatchObject({ code: 0, stderr: "" });
      expect(created.stdout).toBe(
        "administrator sso@example.org created, signing in with single sign-on only\n",
      );
    } finally {
      for (const name of Object.keys(oidc)) delete cli.env[name];
    }
  });
  it("admin list: PM1 roles per space by name, how each signs in; admin reset-password: a new password from the server, their sessions ended", async () => {
    const listed = await cli.json<{ items: Array<Record<string, unknown>> }>(["admin", "list", "--json"]);
    const bob = listed.items.find((a) => a.login === "bob");
    expect(bob).toMatchObject({
      isOwner: false,
      password: true,
      ssoLinked: false,
      ssoManaged: false,
      disabled: false,
    });
    expect(bob?.grants).toHaveLength(2);
    expect(listed.items.find((a) => a.login === "sso@example.org")).toMatchObject({ password: false });
    const table = await cli.run(["admin", "list"]);
    expect(table).toMatchObject({ code: 0, stderr: "" });
    expect(table.stdout).toMatch(/^LOGIN +NAME +ACCESS +SIGNS IN WITH +STATUS +LAST SIGN-IN +CREATED/);
    expect(table.stdout.split("\n").find((l) => l.startsWith("bob "))).toMatch(
      /Sciences:manage.*password +active/,
    );
    expect(table.stdout.split("\n").find((l) => l.startsWith("sso@example.org"))).toMatch(
      /single sign-on \(not yet\) +active +never /,
    );

    const opened = await cli.withCore(({ store }) =>
      login(store.db, { login: "bob", password: "correct horse battery staple", now: new Date() }),
    );
    const reset = await cli.run(["admin", "reset-password", "--login", "bob"], "a brand new password\n");
    expect(reset).toMatchObject({ code: 0, stderr: "" });
    expect(reset.stdout).toBe("password of bob replaced; their sessions are ended\n");
    await cli.withCore(async ({ store }) => {
      expect(await principalOfSession(store.db, opened.sessionId, new Date())).toBeUndefined();
      await expect(
        login(store.db, { login: "bob", password: "correct horse battery staple", now: new Date() }),
      ).rejects.toThrow(/wrong login or password/);
      expect(
        (await login(store.db, { login: "bob", password: "a brand new password", now: new Date() })).admin
          .login,
      ).toBe("bob");
    });
    expectFailure(
      await cli.run(["admin", "reset-password", "--login", "nobody"], "a brand new password\n"),
      3,
      /^orchard: administrator nobody not found \(orchard admin list\)/,
    );
    await cli.withCore(({ store }) =>
      createAdministratorFromGroups(store.db, {
        login: "grouped@example.org",
        subject: "https://idp.example grouped",
        isOwner: false,
        grants: [],
        now: new Date(),
      }),
    );
    expectFailure(
      await cli.run(["admin", "reset-password", "--login", "grouped@example.org"], "a brand new password\n"),
      4,
      /^orchard: grouped@example.org gets their roles from the identity provider's groups: a password would let them in whatever their groups/,
    );
    // Disabled from the server: no sign-in, listed so; enabled again, the password works.
    const off = await cli.run(["admin", "disable", "--login", "bob"]);
    expect(off).toMatchObject({ code: 0, stderr: "" });
    expect(off.stdout).toBe("bob disabled: their sessions are ended and their API tokens stopped\n");
    expect(
      (await cli.json<{ items: Array<Record<string, unknown>> }>(["admin", "list", "--json"])).items,
    ).toContainEqual(expect.objectContaining({ login: "bob", disabled: true }));
    await cli.withCore(({ store }) =>
      expect(
        login(store.db, { login: "bob", password: "a brand new password", now: new Date() }),
      ).rejects.toThrow(/wrong login or password/),
    );
    expect(await cli.json(["admin", "enable", "--login", "bob", "--json"])).toMatchObject({
      login: "bob",
      disabled: false,
    });
    // The only owner is never disabled: Orchard keeps one.
    expect(
      (await cli.run(["admin", "create", "--login", "olga", "--owner"], "correct horse battery staple\n"))
        .code,
    ).toBe(0);
    const [lastOwner, nobody] = await cli.runAll([
      ["admin", "disable", "--login", "olga"],
      ["admin", "enable", "--login", "nobody"],
    ]);
    expectFailure(lastOwner, 4, /^orchard: olga is the last enabled owner: make another owner first/);
    expectFailure(nobody, 3, /^orchard: administrator nobody not found/);
    // Roles per space from the server (PM1): replaced as given, by space name.
    const granted = await cli.json([
      "admin",
      "grant",
      "--login",
      "bob",
      "--grant",
      "Sciences:read",
      "--json",
    ]);
    expect(granted).toMatchObject({ login: "bob", grants: [{ role: "read" }] });
    expect(
      (
        await cli.json<{ items: Array<{ login: string; grants: unknown[] }> }>(["admin", "list", "--json"])
      ).items.find((a) => a.login === "bob")?.grants,
    ).toEqual([{ spaceId: expect.any(String), role: "read" }]);
    // Refused, nothing changes: side by side.
    const [owner, twice, arts] = await cli.runAll([
      ["admin", "grant", "--login", "olga", "--grant", "Sciences:read"],
      ["admin", "grant", "--login", "bob", "--grant", "Sciences:read", "--grant", "Sciences:manage"],
      ["admin", "grant", "--login", "bob", "--grant", "Arts:read"],
    ]);
    expectFailure(owner, 4, /^orchard: olga is an owner: owners manage every space/);
    expectFailure(twice, 2, /^orchard: --grant names a space twice/);
    expectFailure(arts, 3, /^orchard: space Arts not found/);
    const none = await cli.run(["admin", "grant", "--login", "bob"]);
    expect(none).toMatchObject({ code: 0, stdout: "bob has no role in any space now\n" });
    expectFailure(
      await cli.run(["admin", "reset-password", "--login", "bob"], "short\n"),
      2,
      /^orchard: a password has at least 12 characters/,
    );
  });
});

/** A run that ended well (exit 0, nothing on stderr), its stdout read as one JSON document (cli.json). */
function jsonOf<T = Record<string, unknown>>(r: CliRun): T {
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as T;
}

/**
 * Runs `orchard args` with its stdout's reader gone before anything is written: the command
 * the other runs spawn (compiled.ts, this run's sources), not bin/orchard.js, which walks
 * every source's date and rebuilds its own bundle (.orchard-cli) whenever one changed:
 * seconds a run (bin.test.ts runs the launcher itself).
 */
async function runWithClosedStdout(cli: CliHarness, args: readonly string[]): Promise<CliRun> {
  const entry = await compiledCli();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [entry, ...args], {
      env: { PATH: process.env.PATH ?? "", ...cli.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout.destroy();
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8");
    });
    child.on("close", (code) => resolve({ code: code ?? 1, stdout: "", stderr }));
  });
}
