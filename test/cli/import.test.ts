import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliHarness, expectFailure, startCli } from "./harness.js";

/** `orchard import` (all or nothing, line numbers) and `orchard demo`. */
describe("orchard import", () => {
  let cli: CliHarness;
  beforeAll(async () => {
    cli = await startCli();
  });
  afterAll(async () => {
    await cli?.close();
  });
  /** The ids of a group's members, by the group's name. */
  const membersOf = async (group: string) =>
    (
      await cli.withCore(async (core) =>
        core.store.db
          .selectFrom("group_members as m")
          .innerJoin("groups as g", (j) =>
            j.onRef("g.space_id", "=", "m.space_id").onRef("g.id", "=", "m.group_id"),
          )
          .select("m.user_id")
          .where("g.name", "=", group)
          .orderBy("m.user_id")
          .execute(),
      )
    ).map((m) => m.user_id);

  it("imports users from CSV (quoted fields, header spellings), as a table line and as JSON", async () => {
    const csv = await cli.file(
      "users.csv",
      'ID,Name,Email,external_id\r\nu1,"Lovelace, Ada",ada@example.com,E1\r\nu2,Grace Hopper,,E2\r\n\r\nu3,"Alan ""Bombe"" Turing",,\r\n',
    );
    const human = await cli.run(["import", csv, "--kind", "users"]);
    expect(human).toMatchObject({ code: 0, stderr: "" });
    expect(human.stdout).toMatch(/^3 users imported into space Default \([0-9a-f-]{36}\)\n$/);

    const devices = await cli.file(
      "devices.json",
      JSON.stringify([
        { serialNumber: "SER-1", platform: "ios", userId: "u1" },
        { serialNumber: "SER-2", platform: "macOS", sharedIpad: false, supervised: true },
      ]),
    );
    const imported = await cli.json<{ kind: string; imported: number; ids: string[] }>([
      "import",
      devices,
      "--kind",
      "devices",
      "--json",
    ]);
    expect(imported).toMatchObject({ kind: "devices", imported: 2 });
    expect(imported.ids).toHaveLength(2);

    const groups = await cli.file("groups.csv", "name,members\nTeachers,u1 u2\nStaff,u3\n");
    expect(await cli.json(["import", groups, "--kind", "groups", "--json"])).toMatchObject({
      kind: "groups",
      imported: 2,
    });
    // DI1: the activity log says who made each group and gave it members.
    const lines = await cli.withCore(async (core) =>
      core.store.db
        .selectFrom("activity_log")
        .select("message")
        .where("action", "like", "group.%")
        .orderBy("seq")
        .execute(),
    );
    expect(lines.map((l) => l.message)).toEqual([
      "group Teachers created",
      "members added to group Teachers: 2",
      "group Staff created",
      "members added to group Staff: 1",
    ]);
  });

  it("a bad row names its line and nothing is imported (one transaction)", async () => {
    // Line 3 is bad; line 2 would be valid: it must not be written either.
    const bad = await cli.file(
      "bad.csv",
      "id,name,email\nu10,Ten,ten@example.com\nu11,Eleven,not-an-email\n",
    );
    const missing = await cli.file("bad-platform.csv", "serial,platform\nSER-9,iOS\nSER-10,android\n");
    const ragged = await cli.file("ragged.csv", "id,name\nu12,Twelve\nu13,Thirteen,extra\n");
    const unknownColumn = await cli.file("column.csv", "id,nom\nu14,Quatorze\n");
    const notJson = await cli.file("broken.json", '[{"name": "x"}');
    // Refused while parsing, before the database opens: side by side.
    const [email, platform, fields, column, json, absent, kind] = await Promise.all([
      cli.run(["import", bad, "--kind", "users"]),
      cli.run(["import", missing, "--kind", "devices"]),
      cli.run(["import", ragged, "--kind", "users"]),
      cli.run(["import", unknownColumn, "--kind", "users"]),
      cli.run(["import", notJson, "--kind", "users"]),
      cli.run(["import", "/nowhere/users.csv", "--kind", "users"]),
      cli.run(["import", bad, "--kind", "apps"]),
    ]);
    expectFailure(email, 2, /^orchard: line 3: email: Invalid email address; nothing was imported\n$/);
    expectFailure(platform, 2, /^orchard: line 3: platform: .*"iOS".*; nothing was imported\n$/);
    expectFailure(fields, 2, /line 3: 3 fields where the header has 2; nothing was imported/);
    expectFailure(column, 2, /line 1: unknown column "nom"/);
    expectFailure(json, 2, /the file is not valid JSON/);
    expectFailure(absent, 2, /cannot read the import file \/nowhere\/users\.csv: no such file/);
    expectFailure(kind, 2, /argument 'apps' is invalid.*users, devices, groups/);

    // The database side: an unknown member, a serial number already taken.
    const members = await cli.file("members.csv", "name,members\nOK,u1\nGhosts,u1;u404\n");
    const taken = await cli.file("taken.csv", "serial,platform\nSER-NEW,iOS\nSER-1,iOS\n");
    // Each refused in its own transaction, nothing written: side by side (over PostgreSQL).
    const [ghost, clash] = await cli.runAll([
      ["import", members, "--kind", "groups"],
      ["import", taken, "--kind", "devices"],
    ]);
    expectFailure(ghost, 3, /line 3: user u404 not found; nothing was imported/);
    expectFailure(clash, 4, /line 3: a device with serial number SER-1 already exists; nothing was imported/);
    // A user file imported again: the first row that clashes is named, with its key and value.
    const again = await cli.file("again.csv", "id,name,externalId\nu20,Twenty,E-20\nu21,Twenty-one,E-1\n");
    await cli.withCore((core) =>
      core.store.db.updateTable("users").set({ external_id: "E-1" }).where("id", "=", "u1").execute(),
    );
    expectFailure(
      await cli.run(["import", again, "--kind", "users"]),
      4,
      /^orchard: line 3: a user with externalId "E-1" already exists; nothing was imported \(--existing keep imports the rest\)\n$/,
    );
    // Nothing of those files was written: the same rows, corrected, import cleanly.
    const fixed = await cli.file("fixed.csv", "serial,platform\nSER-NEW,iOS\nSER-9,iOS\n");
    expect(await cli.json(["import", fixed, "--kind", "devices", "--json"])).toMatchObject({ imported: 2 });
  });

  it("--existing keep: a file imported again adds only what is new; what the space has is kept as it is, named by id", async () => {
    // u1 (externalId E-1 since the test before), SER-1 and Teachers are there already.
    const users = await cli.file("users-again.csv", "name,externalId\nAda Renamed,E-1\nNew Person,E-NEW\n");
    const kept = await cli.json<{ imported: number; ids: string[]; kept: number; keptIds: string[] }>([
      "import",
      users,
      "--kind",
      "users",
      "--existing",
      "keep",
      "--json",
    ]);
    expect(kept).toMatchObject({ imported: 1, kept: 1, keptIds: ["u1"] });
    const names = await cli.withCore(async (core) =>
      core.store.db
        .selectFrom("users")
        .select(["id", "name"])
        .where("id", "in", ["u1", ...kept.ids])
        .orderBy("name")
        .execute(),
    );
    // Kept as it is: not renamed.
    expect(names.map((u) => u.name)).toEqual(["Lovelace, Ada", "New Person"]);

    const devices = await cli.file("devices-again.csv", "serial,platform\nser-1,iOS\nSER-KEEP-2,iOS\n");
    const human = await cli.run(["import", devices, "--kind", "devices", "--existing", "keep"]);
    expect(human).toMatchObject({ code: 0, stderr: "" });
    expect(human.stdout).toMatch(
      /^1 devices imported into space Default \([0-9a-f-]{36}\); 1 kept as they are \(the space has them already\)\n$/,
    );
    // A group by its name, in any case; its members are left as they are.
    const groups = await cli.file("groups-again.csv", "name,members\n teachers ,u3\nClub,u3\n");
    expect(
      await cli.json(["import", groups, "--kind", "groups", "--existing", "keep", "--json"]),
    ).toMatchObject({
      imported: 1,
      kept: 1,
    });
    expect(await membersOf("Teachers")).toEqual(["u1", "u2"]);
    // Still one file, one transaction: a row in error imports nothing, kept rows or not.
    const bad = await cli.file("bad-again.csv", "serial,platform\nSER-1,iOS\nSER-KEEP-3,android\n");
    const [badRow, merge] = await cli.runAll([
      ["import", bad, "--kind", "devices", "--existing", "keep"],
      ["import", bad, "--kind", "devices", "--existing", "merge"],
    ]);
    expectFailure(badRow, 2, /line 3: platform: .*nothing was imported/);
    expectFailure(merge, 2, /argument 'merge' is invalid.*refuse, keep/);
  });

  it("--existing update: a file imported again adds the new rows and changes the others, column by column; what it leaves as it is is not written", async () => {
    const db = <T>(read: (core: Parameters<Parameters<CliHarness["withCore"]>[0]>[0]) => Promise<T>) =>
      cli.withCore(read);
    const usersNow = () =>
      db((core) =>
        core.store.db
          .selectFrom("users")
          .select(["id", "name", "email", "external_id", "updated_at"])
          .where("id", "in", ["u1", "u2", "u9"])
          .orderBy("id")
          .execute(),
      );
    const before = await usersNow();
    // u1 renamed and given an e-mail; u2 as it is; u9 new. No managedAppleId column: left as it is.
    const users = await cli.file(
      "users-update.csv",
      "id,name,email,externalId\nu1,Ada Lovelace,ada@new.example,E-1\nu2,Grace Hopper,,E2\nu9,Fresh Person,,E-9\n",
    );
    expect(
      await cli.json(["import", users, "--kind", "users", "--existing", "update", "--json"]),
    ).toMatchObject({
      imported: 1,
      ids: ["u9"],
      updated: 1,
      updatedIds: ["u1"],
      unchanged: 1,
      unchangedIds: ["u2"],
    });
    const after = await usersNow();
    expect(after.map(({ updated_at, ...u }) => u)).toEqual([
      { id: "u1", name: "Ada Lovelace", email: "ada@new.example", external_id: "E-1" },
      { id: "u2", name: "Grace Hopper", email: null, external_id: "E2" },
      { id: "u9", name: "Fresh Person", email: null, external_id: "E-9" },
    ]);
    // Not written: an MDM reading the users changed since yesterday does not get u2 again.
    expect(after[1]?.updated_at).toEqual(before[1]?.updated_at);
    // An empty cell clears the field.
    const clear = await cli.file("users-clear.csv", "id,name,email\nu1,Ada Lovelace,\n");
    const human = await cli.run(["import", clear, "--kind", "users", "--existing", "update"]);
    expect(human).toMatchObject({ code: 0, stderr: "" });
    expect(human.stdout).toMatch(
      /^0 users imported into space Default \([0-9a-f-]{36}\); 1 updated, 0 unchanged\n$/,
    );
    expect((await usersNow())[0]).toMatchObject({ email: null, external_id: "E-1" });

    // A row whose keys name two users, or another id than its user's: refused, nothing written.
    const two = await cli.file("users-two.csv", "id,name,externalId\nu9,Fresh,E-9\nu2,Grace,E-1\n");
    const moved = await cli.file("users-moved.csv", "id,name,externalId\nu77,Ada,E-1\n");
    const [twoUsers, movedId] = await cli.runAll([
      ["import", two, "--kind", "users", "--existing", "update"],
      ["import", moved, "--kind", "users", "--existing", "update"],
    ]);
    expectFailure(
      twoUsers,
      4,
      /^orchard: line 3: its id "u2" is user u2, its externalId "E-1" user u1; nothing was imported\n$/,
    );
    expectFailure(
      movedId,
      4,
      /^orchard: line 2: externalId "E-1" is user u1, not u77 \(an id does not change\); nothing was imported\n$/,
    );
    expect((await usersNow()).map((u) => u.name)).toEqual(["Ada Lovelace", "Grace Hopper", "Fresh Person"]);

    // DI7: a device's user cleared by an empty cell, its supervision set; SER-2 left as it is.
    const devices = await cli.file(
      "devices-update.csv",
      "serial,platform,userId,supervised\nser-1,iOS,,yes\n",
    );
    expect(
      await cli.json(["import", devices, "--kind", "devices", "--existing", "update", "--json"]),
    ).toMatchObject({ imported: 0, updated: 1 });
    const macOnly = await cli.file("devices-same.csv", "serial,platform\nSER-2,macOS\n");
    expect(
      await cli.json(["import", macOnly, "--kind", "devices", "--existing", "update", "--json"]),
    ).toMatchObject({ updated: 0, unchanged: 1 });
    const stored = await db((core) =>
      core.store.db
        .selectFrom("devices")
        .select(["serial_number", "user_id", "supervised", "shared_ipad"])
        .where("serial_number", "in", ["SER-1", "SER-2"])
        .orderBy("serial_number")
        .execute(),
    );
    expect(stored).toEqual([
      { serial_number: "SER-1", user_id: null, supervised: true, shared_ipad: false },
      { serial_number: "SER-2", user_id: null, supervised: true, shared_ipad: false },
    ]);

    // DI1: a group's members become the file's, each change in the activity log; All Users is refused.
    const groups = await cli.file("groups-update.csv", "name,members\nTeachers,u2 u3\n");
    expect(
      await cli.json(["import", groups, "--kind", "groups", "--existing", "update", "--json"]),
    ).toMatchObject({ updated: 1 });
    expect(await membersOf("Teachers")).toEqual(["u2", "u3"]);
    const log = await db((core) =>
      core.store.db
        .selectFrom("activity_log")
        .select("message")
        .where("action", "=", "group.members_changed")
        .orderBy("seq", "desc")
        .limit(2)
        .execute(),
    );
    expect(log.map((l) => l.message).sort()).toEqual([
      "members added to group Teachers: 1",
      "members removed from group Teachers: 1",
    ]);
    const all = await cli.file("groups-all.csv", "id,name,members\nall-users,All Users,u1\n");
    expectFailure(
      await cli.run(["import", all, "--kind", "groups", "--existing", "update"]),
      4,
      /line 2: All Users is built in \(AC1\): its name and members do not change; nothing was imported/,
    );
  });

  it("orchard demo seeds an empty space once, with the built-in simulator only; one JSON document", async () => {
    // Against a configured Apple service, the demo would add real-looking accounts: refused.
    expectFailure(
      await cli.run(["demo", "--json"]),
      2,
      /^orchard: the demo runs on the built-in Apple simulator: unset APPLE_BASE_URL to seed it\n$/,
    );
    const apple = cli.env.APPLE_BASE_URL;
    try {
      delete cli.env.APPLE_BASE_URL;
      const demo = await cli.json<{ spaceId: string; seeded: boolean; messages: string[] }>([
        "demo",
        "--json",
      ]);
      expect(demo).toMatchObject({ spaceId: expect.stringMatching(/^[0-9a-f-]{36}$/), seeded: true });
      expect(demo.messages.at(-1)).toMatch(/^Demo data ready/);
      // Again: the space has accounts now, nothing changes, and it says so.
      const again = await cli.run(["demo"]);
      expect(again).toEqual({
        code: 0,
        stdout: "the space already has accounts: the demo seeds an empty space only, nothing changed\n",
        stderr: "",
      });
    } finally {
      if (apple) cli.env.APPLE_BASE_URL = apple;
    }
  });
});
