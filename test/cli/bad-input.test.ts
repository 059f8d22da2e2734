import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scramOnlyServer } from "../store/scram-only-server.js";
import { type CliHarness, expectFailure, startCli } from "./harness.js";

/**
 * What a demanding administrator types by mistake, or a script sends with a variable unset:
 * each is one line on stderr with its exit code, nothing on stdout, and nothing written.
 */
describe("orchard, given bad input", () => {
  let cli: CliHarness;
  beforeAll(async () => {
    cli = await startCli();
  });
  afterAll(async () => {
    await cli?.close();
  });

  it("AC4, DI5: a number in hex, with an exponent, a decimal point or a space is refused before the database opens (exit 2), not read as 16 or 1000", async () => {
    const cases: Array<[string[], RegExp]> = [
      [["apps", "--limit", "0x10"], /'0x10' is invalid\. expected a whole number from 1 to 10000/],
      [["licenses", "--limit", "1e3"], /'1e3' is invalid/],
      [["mdm", "commands", "--limit", "1.0"], /'1\.0' is invalid/],
      [["token", "outside", "Main", "--page", " 1"], /' 1' is invalid/],
      [["token", "priority", "Main", "1e0"], /'1e0' is invalid for argument 'position'/],
      [["worker", "--idle-ms", "1e3"], /'1e3' is invalid/],
      [["simulator", "--port", "0x1f90"], /'0x1f90' is invalid\. expected a number from 0 to 65535/],
      [["mdm", "retry", "0x10"], /"0x10" is not a command's seq/],
    ];
    const runs = await Promise.all(cases.map(([args]) => cli.run(args)));
    for (const [i, r] of runs.entries()) expectFailure(r, 2, cases[i]?.[1] ?? /./);
  });

  it("an empty --space, --output or --state (a script's unset variable) is refused, never the default space or stdout", async () => {
    const [space, output, state] = await Promise.all([
      cli.run(["token", "list", "--space", ""]),
      cli.run(["export", "activity", "--output", ""]),
      cli.run(["simulator", "--state", ""]),
    ]);
    expectFailure(
      space,
      2,
      /^orchard: option '--space <space>' argument '' is invalid\. expected a space's id/,
    );
    expectFailure(
      output,
      2,
      /^orchard: option '--output <file>' argument '' is invalid\. expected a file's path/,
    );
    expectFailure(state, 2, /^orchard: option '--state <file>' argument '' is invalid/);
  });

  it("control characters a value brings (an escape sequence, a carriage return) are shown escaped on the error line, never sent to the terminal", async () => {
    const [unknown, usage] = await Promise.all([
      cli.run(["licenses", "--user", "ab\u001b[2J\rX"]),
      cli.run(["apps", "--limit", "\u001b[31m"]),
    ]);
    expectFailure(unknown, 3, /^orchard: user ab\\x1b\[2J\\x0dX not found\n$/);
    expectFailure(usage, 2, /argument '\\x1b\[31m' is invalid/);
    // The line's own break aside, no control character reaches the terminal.
    for (const r of [unknown, usage]) expect(r.stderr.slice(0, -1)).not.toMatch(/\p{Cc}/u);
  });

  it("PM1, AC1, AC2: a login or name the console refuses (empty, blank, control characters, over 200 characters) is refused before the password is asked; nothing is created", async () => {
    const token = await cli.file(
      "main.vpptoken",
      cli.sim.operator.createLocation({ orgName: "Orchard School", locationName: "North" }).sToken,
    );
    const runs = await Promise.all([
      cli.run(["admin", "create", "--login", ""], "a long enough password\n"),
      cli.run(["admin", "create", "--login", "   "], "a long enough password\n"),
      cli.run(["admin", "create", "--login", "eve\u0007"], "a long enough password\n"),
      cli.run(["admin", "create", "--login", "eve", "--name", "x".repeat(201)], "a long enough password\n"),
      cli.run(["token", "add", token, "--name", "North\u001b[2J"]),
      cli.run(["token", "update", "Main", "--name", "\t"]),
    ]);
    for (const r of runs)
      expectFailure(r, 2, /argument '.*' is invalid\. expected 1 to 200 characters, no control characters/);
    expect(await cli.json(["admin", "list", "--json"])).toEqual({ items: [] });
    expect(await cli.json(["token", "list", "--json"])).toEqual({ items: [] });
  });

  it("admin create and reset-password: a password longer than the console's sign-in takes is refused (it could never sign in); reset-password looks the login up before asking", async () => {
    expectFailure(
      await cli.run(["admin", "create", "--login", "longpw"], `${"p".repeat(1001)}\n`),
      2,
      /^orchard: a password has at most 1000 characters .*nothing was changed\n$/,
    );
    expect(await cli.json(["admin", "list", "--json"])).toEqual({ items: [] });
    // No password on stdin: the unknown login is what it says, not the missing password.
    expectFailure(
      await cli.run(["admin", "reset-password", "--login", "nobody"]),
      3,
      /^orchard: administrator nobody not found/,
    );
  });

  it("import: a NUL or a line break inside quotes, a column twice, a file not in UTF-8 are refused with the line (exit 2) and nothing is imported; a JSON file with a BOM imports", async () => {
    const latin1 = join(cli.dataDir, "latin1.csv");
    await writeFile(latin1, Buffer.from("name\nAndr\xe9\n", "latin1"));
    const files = await Promise.all([
      cli.file("nul.csv", "name\nA\u0000da\n"),
      cli.file("newline.csv", 'name,email\r\nAda,ada@example.org\r\n"Bob\nSmith",bob@example.org\r\n'),
      cli.file("twice.csv", "name,name\nA,B\n"),
      cli.file("same.csv", "serial,Serial Number,platform\nA,B,iOS\n"),
    ]);
    const [nul, newline, twice, same, encoding] = await Promise.all([
      cli.run(["import", files[0] ?? "", "--kind", "users"]),
      cli.run(["import", files[1] ?? "", "--kind", "users"]),
      cli.run(["import", files[2] ?? "", "--kind", "users"]),
      cli.run(["import", files[3] ?? "", "--kind", "devices"]),
      cli.run(["import", latin1, "--kind", "users"]),
    ]);
    expectFailure(nul, 2, /^orchard: line 2: name: no control characters.*; nothing was imported\n$/);
    expectFailure(newline, 2, /^orchard: line 3: name: no control characters.*; nothing was imported\n$/);
    expectFailure(twice, 2, /^orchard: line 1: column "name" is there twice; nothing was imported\n$/);
    expectFailure(same, 2, /^orchard: line 1: columns "serial" and "Serial Number" are both serialNumber/);
    expectFailure(encoding, 2, /^orchard: the import file .*latin1\.csv is not UTF-8 text/);

    const bom = await cli.file("bom.json", '\uFEFF[{"name": "Grace Hopper"}]');
    expect(await cli.json(["import", bom, "--kind", "users", "--json"])).toMatchObject({ imported: 1 });
    const names = await cli.withCore(async (core) =>
      core.store.db.selectFrom("users").select("name").execute(),
    );
    expect(names.map((u) => u.name)).toEqual(["Grace Hopper"]);
  });

  it("export: a --since day not on the calendar is exit 2 (not March 2); an --output that is a folder says so in words", async () => {
    const [since, folder] = await Promise.all([
      cli.run(["export", "activity", "--since", "2026-02-30"]),
      cli.run(["export", "activity", "--output", cli.dataDir]),
    ]);
    expectFailure(since, 2, /^orchard: --since: "2026-02-30" is not an ISO 8601 date/);
    expectFailure(folder, 2, /^orchard: cannot write .*: it is a folder\n$/);
  });

  it("MA3, NT3: what-if --app and notifications resend --notification naming what the space does not have are exit 3, not an empty answer", async () => {
    const rules = await cli.file("rules.json", JSON.stringify({ accountId: "a-1", adamId: "1" }));
    const [app, notification] = await Promise.all([
      cli.run(["what-if", "--rules", rules, "--app", "999999"]),
      cli.run(["notifications", "resend", "--notification", "no-such-notification"]),
    ]);
    expectFailure(app, 3, /^orchard: app 999999 not found/);
    expectFailure(notification, 3, /^orchard: notification no-such-notification not found in this space/);
  });

  it("a data folder the file system will not create (ORCHARD_DATA_DIR=/proc/x): one line, exit 1, at once", async () => {
    const saved = { ...cli.env };
    try {
      // Embedded PGlite, whose folder this is (PostgreSQL with a key in the environment needs none).
      delete cli.env.DATABASE_URL;
      delete cli.env.ORCHARD_SECRET_KEY;
      cli.env.ORCHARD_DATA_DIR = "/proc/orchard-data";
      expectFailure(
        await cli.run(["space", "list"]),
        1,
        /^orchard: cannot create the folder \/proc\/orchard-data: this file system does not take new folders there/,
      );
    } finally {
      Object.assign(cli.env, saved);
    }
  });

  it("a database that asks for a password DATABASE_URL lacks: one line, exit 2, and the command ends (the client keeps the refused socket open)", async () => {
    const postgres = await scramOnlyServer();
    const saved = cli.env.DATABASE_URL;
    try {
      cli.env.DATABASE_URL = `postgres://orchard@127.0.0.1:${postgres.port}/orchard`;
      const started = Date.now();
      const r = await cli.run(["token", "list"]);
      expectFailure(r, 2, /^orchard: the database asks for a password and none is given: .*DATABASE_URL/);
      expect(Date.now() - started).toBeLessThan(30_000);
    } finally {
      if (saved === undefined) delete cli.env.DATABASE_URL;
      else cli.env.DATABASE_URL = saved;
      await postgres.close();
    }
  });
});
