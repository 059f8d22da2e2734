import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { markAccountDeleting, unmarkAccountDeleting } from "../../src/store/sync-account-data.repo.js";
import { type CliHarness, type CliRun, expectFailure, startCli } from "./harness.js";

interface AccountJson {
  id: string;
  name: string;
  priority: number;
  orgName: string | null;
  tokenExpiresAt: string | null;
  health: string;
  autoDistribute: boolean;
}

/** `orchard migrate` and `orchard token …` (AC1-AC6) against the simulator, as a user types them. */
describe("orchard token", () => {
  let cli: CliHarness;
  let main: { uId: string; sToken: string };
  let north: { uId: string; sToken: string };
  /** Account ids in the order they were added. */
  const ids: string[] = [];
  /**
   * `migrate` twice in a data folder of its own (the suite's database is a copy of a migrated
   * one), on embedded PGlite: creating it there and running every migration takes seconds of
   * one core. Started with the suite, beside the other tests' commands; its test reads it.
   */
  let freshMigrations: () => Promise<{ first: CliRun; again: CliRun }>;
  beforeAll(async () => {
    const started = (async () => {
      const fresh = await startCli({ engine: "pglite" });
      try {
        const first = await fresh.run(["migrate", "--json"]);
        const again = await fresh.run(["migrate"]);
        return { first, again };
      } finally {
        await fresh.close();
      }
    })();
    const settled = started.then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    );
    freshMigrations = async () => {
      const outcome = await settled;
      if ("error" in outcome) throw outcome.error;
      return outcome.value;
    };
    cli = await startCli();
    main = cli.sim.operator.createLocation({ orgName: "Orchard School", locationName: "Main" });
    north = cli.sim.operator.createLocation({ orgName: "Orchard School", locationName: "North" });
    cli.sim.operator.addAsset(main.uId, { adamId: "1000001", totalCount: 10, supportedPlatforms: ["iOS"] });
    cli.sim.operator.addAsset(north.uId, { adamId: "1000001", totalCount: 5, supportedPlatforms: ["iOS"] });
  });
  afterAll(async () => {
    await freshMigrations?.().catch(() => {}); // its folder is removed before the suite ends
    await cli?.close();
  });

  it("AC1, MA6: token add syncs the account from Apple and adds it last; never prints the sToken", async () => {
    const mainFile = await cli.file("main.vpptoken", main.sToken);
    const human = await cli.run(["token", "add", mainFile, "--name", "Main campus"]);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(
      /^account "Main campus" added at priority 1 \(MA6\): [0-9a-f-]{36}, 1 app\(s\) synced\n$/,
    );

    const northFile = await cli.file("north.vpptoken", north.sToken);
    const added = await cli.json<{ account: AccountJson; apps: number }>([
      "token",
      "add",
      northFile,
      "--name",
      "North",
      "--no-auto-distribute",
      "--json",
    ]);
    expect(added).toMatchObject({
      account: { name: "North", priority: 2, orgName: "Orchard School", health: "ok", autoDistribute: false },
      apps: 1,
    });
    const token = JSON.parse(Buffer.from(north.sToken, "base64").toString("utf8")) as { token: string };
    for (const out of [human.stdout, JSON.stringify(added)]) {
      expect(out).not.toContain(north.sToken);
      expect(out).not.toContain(token.token);
    }
  });

  it("MA1: token list shows the accounts in priority order, as a table and as JSON", async () => {
    const human = await cli.run(["token", "list"]);
    expect(human.code).toBe(0);
    const [header, ...rows] = human.stdout.trimEnd().split("\n");
    expect(header).toMatch(/^PRIORITY\s+ID\s+NAME\s+ORG\s+LOCATION\s+EXPIRES\s+HEALTH\s+LAST SYNC$/);
    expect(rows.map((r) => r.split(/\s{2,}/)[2])).toEqual(["Main campus", "North"]);
    // Aligned: every row's NAME column starts where the header's does.
    const at = header?.indexOf("NAME") ?? -1;
    for (const row of rows) expect(row.slice(at, at + 4)).toMatch(/^(Main|Nort)/);

    const { items } = await cli.json<{ items: AccountJson[] }>(["token", "list", "--json"]);
    ids.push(...items.map((a) => a.id));
    expect(items.map((a) => [a.priority, a.name])).toEqual([
      [1, "Main campus"],
      [2, "North"],
    ]);
    expect(Object.keys(items[0] ?? {}).sort()).toEqual(
      [
        "autoDistribute",
        "createdAt",
        "health",
        "id",
        "lastSyncedAt",
        "locationName",
        "name",
        "orgName",
        "priority",
        "tokenExpiresAt",
        "usable",
      ].sort(),
    );
  });

  it("AC2, AC4, AC3: update renames, priority moves (MA3), resync reads Apple again", async () => {
    const [first, second] = ids.map((id) => ({ id }));
    if (!first || !second) throw new Error("two accounts expected");

    const renamed = await cli.json<{ account: AccountJson }>([
      "token",
      "update",
      second.id,
      "--name",
      "North campus",
      "--json",
    ]);
    expect(renamed.account).toMatchObject({ id: second.id, name: "North campus" });

    const moved = await cli.json<{ items: AccountJson[] }>(["token", "priority", second.id, "1", "--json"]);
    expect(moved.items.map((a) => [a.priority, a.id])).toEqual([
      [1, second.id],
      [2, first.id],
    ]);

    // MA6: the whole order at once, by name; an order that leaves an account out moves nothing.
    const ordered = await cli.json<{ items: AccountJson[] }>([
      "token",
      "order",
      "Main campus",
      "North campus",
      "--json",
    ]);
    expect(ordered.items.map((a) => a.id)).toEqual([first.id, second.id]);
    const [partial, twice] = await cli.runAll([
      ["token", "order", "North campus"],
      ["token", "order", "Main campus", "main campus"],
    ]);
    expectFailure(partial, 2, /names each of the space's 2 accounts exactly once; missing: Main campus/);
    expectFailure(twice, 2, /listed more than once: Main campus/);
    const listed = await cli.json<{ items: AccountJson[] }>(["token", "list", "--json"]);
    expect(listed.items.map((a) => a.id)).toEqual([first.id, second.id]);

    const resync = await cli.run(["token", "resync", first.id]);
    expect(resync).toMatchObject({ code: 0, stderr: "" });
    expect(resync.stdout).toBe('account "Main campus" resynced (AC3): 1 app(s), token ok\n');
  });

  it("bad input: missing file, malformed token, expired token, nothing to change, bad position (exit 2)", async () => {
    const garbage = await cli.file("garbage.vpptoken", "this is not a token");
    const expired = Buffer.from(
      JSON.stringify({ token: "abc", expDate: "2020-01-01T00:00:00+0000", orgName: "Old School" }),
    ).toString("base64");
    const old = await cli.file("old.vpptoken", expired);
    // All refused before the database opens, so they may run side by side.
    const [missing, malformed, late, nothing, position, noFile] = await Promise.all([
      cli.run(["token", "add", "/nowhere/x.vpptoken", "--name", "X"]),
      cli.run(["token", "add", garbage, "--name", "X"]),
      cli.run(["token", "add", old, "--name", "Old"]),
      cli.run(["token", "update", "any-id"]),
      cli.run(["token", "priority", "any-id", "0"]),
      cli.run(["token", "add", "--name", "X"]),
    ]);
    expectFailure(missing, 2, /cannot read the sToken file \/nowhere\/x\.vpptoken: no such file/);
    expectFailure(malformed, 2, /the sToken file cannot be used: .*download it again from Apple/);
    expectFailure(late, 2, /the sToken file cannot be used: .*expired/i);
    expectFailure(nothing, 2, /nothing to change: give --file, --name or --\[no-\]auto-distribute/);
    expectFailure(position, 2, /invalid for argument 'position'\. expected a whole number from 1 to 10000/);
    expectFailure(noFile, 2, /missing required argument 'file'/);
  });

  it("AC6: a location managed by another MDM is refused (exit 4) until --take-over", async () => {
    const other = cli.sim.operator.createLocation({ orgName: "Orchard School", locationName: "Annex" });
    cli.sim.operator.claimByOtherMdm(other.uId, { id: "other-mdm", name: "Other MDM", metadata: "" });
    const file = await cli.file("annex.vpptoken", other.sToken);
    expectFailure(
      await cli.run(["token", "add", file, "--name", "Annex"]),
      4,
      /another MDM.*--take-over.*AC6/,
    );
  });

  it("AC5: token rm needs the exact name, is refused while another deletion of the account runs; an unknown account is exit 3", async () => {
    const north = { id: ids[1] ?? "" };
    expectFailure(
      await cli.run(["token", "rm", north.id, "--confirm", "north campus"]),
      2,
      /--confirm must repeat the account's name exactly \("North campus"\): nothing was deleted \(AC5\)/,
    );
    // Another deletion of it is running (marked a moment ago): refused, exit 4, nothing deleted.
    const spaceId = await cli.withCore(async (core) => {
      const account = await core.store.db
        .selectFrom("accounts")
        .select(["space_id", "health"])
        .where("id", "=", north.id)
        .executeTakeFirstOrThrow();
      await markAccountDeleting(core.store.db, account.space_id, north.id, new Date());
      return account.space_id;
    });
    expectFailure(
      await cli.run(["token", "rm", north.id, "--confirm", "North campus"]),
      4,
      /account North campus is being deleted; if it still is in 10 minutes, delete it again/,
    );
    await cli.withCore((core) =>
      unmarkAccountDeleting(core.store.db, spaceId, north.id, { health: "ok", since: new Date(0) }),
    );
    const removed = await cli.run(["token", "rm", north.id, "--confirm", "North campus"]);
    expect(removed).toMatchObject({
      code: 0,
      stdout: 'account "North campus" deleted; 0 license(s) released at Apple (AC5)\n',
    });
    expectFailure(
      await cli.run(["token", "resync", north.id]),
      3,
      new RegExp(`account ${north.id} not found`),
    );
    expectFailure(
      await cli.run(["token", "list", "--space", "no-such-space"]),
      3,
      /space no-such-space not found/,
    );
  });

  it("AC1: token add whose first import Apple fails says the account was added and how it is imported", async () => {
    const late = cli.sim.operator.createLocation({ orgName: "Orchard School", locationName: "Late" });
    cli.sim.operator.addAsset(late.uId, { adamId: "1000001", totalCount: 2, supportedPlatforms: ["iOS"] });
    const file = await cli.file("late.vpptoken", late.sToken);
    cli.sim.operator.setFaults({ rate5xx: 1, retryAfterSeconds: 0 }, "/assets");
    try {
      const added = await cli.run(["token", "add", file, "--name", "Late"]);
      expect(added.code, added.stderr).toBe(0);
      expect(added.stdout).toMatch(
        /^account "Late" added at priority \d+ \(MA6\): ([0-9a-f-]{36}); its first import from Apple failed \(Apple's service is unavailable; try again later\): the next scheduled sync imports it, or run: orchard token resync \1\n$/,
      );
    } finally {
      cli.sim.operator.clearFaults();
    }
    const list = await cli.json<{ items: AccountJson[] }>(["token", "list", "--json"]);
    expect(list.items.map((a) => a.name)).toContain("Late");
  });

  it("migrate applies every migration on a fresh database, then has nothing to do", async () => {
    const { first: firstRun, again } = await freshMigrations();
    expect(firstRun.stderr).toBe("");
    expect(firstRun.code).toBe(0);
    const first = JSON.parse(firstRun.stdout) as { engine: string; applied: string[] };
    expect(first.engine).toBe("pglite");
    expect(first.applied.length).toBeGreaterThan(0);
    expect(first.applied[0]).toMatch(/^0001_/);
    expect(again).toMatchObject({ code: 0, stdout: "the database is up to date: no migration to apply\n" });
  });
});
