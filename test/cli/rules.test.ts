import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ALL_USERS } from "../../src/licensing/index.js";
import { ensureDefaultSpace } from "../../src/main/default-space.js";
import { createDevices, createGroup, createUser, getAppRules } from "../../src/store/index.js";
import { type CliHarness, expectFailure, startCli } from "./harness.js";

const APP = "3000201";
const SYSTEM = { kind: "system" as const, id: "cli-test" };

/**
 * `orchard rules show|set`: an app's license rules at an account (DI1) from the command line.
 * A list given replaces that list; the lists not given stay as they are, so that a script
 * reserving licenses never drops the prohibitions by leaving them out.
 */
describe("orchard rules", () => {
  let cli: CliHarness;
  let spaceId = "";
  let accountId = "";
  const ids = { ada: "", bob: "", teachers: "", ipad: "" };
  const rules = () => cli.withCore(({ deps }) => getAppRules(deps.db, spaceId, accountId, APP));

  beforeAll(async () => {
    cli = await startCli();
    const loc = cli.sim.operator.createLocation({ orgName: "Orchard School", locationName: "Main" });
    cli.sim.operator.addAsset(loc.uId, { adamId: APP, totalCount: 2, supportedPlatforms: ["iOS"] });
    await cli.withCore(async ({ store, deps }) => {
      spaceId = await ensureDefaultSpace({ store });
      const { account } = await deps.accounts.add({
        spaceId,
        name: "Main campus",
        sTokenFile: loc.sToken,
        autoDistribute: false,
        clearPrevious: false,
        takeOver: false,
        actor: SYSTEM,
      });
      accountId = account.id;
      const { db } = deps;
      ids.ada = (await createUser(db, { spaceId, name: "Ada", email: "Ada@School.example" })).id;
      ids.bob = (
        await createUser(db, { spaceId, name: "Bob", managedAppleId: "bob@appleid.school.example" })
      ).id;
      ids.teachers = (await createGroup(db, { spaceId, name: "Teachers" })).id;
      // Names mirror the identity provider's, which may repeat one.
      await createGroup(db, { spaceId, name: "Twins", externalId: "idp-twins-1" });
      await createGroup(db, { spaceId, name: "Twins", externalId: "idp-twins-2" });
      const [ipad] = await createDevices(db, [{ spaceId, serialNumber: "RULES-IPAD-1", platform: "iOS" }]);
      ids.ipad = ipad?.id ?? "";
    });
  }, 120_000);
  afterAll(async () => {
    await cli?.close();
  });

  it("DI1, DI2, DI3, DI4: set replaces the lists it is given and keeps the others; show prints them", async () => {
    const first = await cli.run([
      "rules",
      "set",
      APP,
      "--account",
      "main campus",
      "--fcfs-groups",
      "All Users, teachers",
      "--reserved-users",
      "ada@school.example",
      "--prohibited-users",
      "bob@appleid.school.example",
    ]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toBe(
      [
        "Main campus (priority 1)",
        "  FCFS: All Users, Teachers (requested: user, mandatory: device)",
        "  reserved users: Ada",
        "  reserved devices: none",
        "  prohibited users: Bob",
        "",
      ].join("\n"),
    );
    // Only the reserved devices and the mandatory type change: the rest stays.
    const second = await cli.json([
      "rules",
      "set",
      APP,
      "--account",
      accountId,
      "--reserved-devices",
      "rules-ipad-1",
      "--mandatory-type",
      "user",
      "--json",
    ]);
    expect(second).toMatchObject({
      adamId: APP,
      account: { id: accountId, name: "Main campus", priority: 1 },
      fcfs: { requestedType: "user", mandatoryType: "user" },
      reservedUsers: [{ id: ids.ada, name: "Ada" }],
      reservedDevices: [{ id: ids.ipad, serialNumber: "RULES-IPAD-1" }],
      prohibitedUsers: [{ id: ids.bob, name: "Bob" }],
    });
    expect(await rules()).toMatchObject({
      fcfs: { groupIds: expect.arrayContaining([ALL_USERS, ids.teachers]) },
      reservedUserIds: [ids.ada],
      reservedDeviceIds: [ids.ipad],
      prohibitedUserIds: [ids.bob],
    });
    const shown = (await cli.json(["rules", "show", APP, "--space", "default", "--json"])) as {
      items: unknown[];
    };
    expect(shown.items).toHaveLength(1);
    expect(shown.items[0]).toMatchObject({
      account: { name: "Main campus" },
      reservedUsers: [{ name: "Ada" }],
    });
    // "" empties a list; --no-fcfs ends FCFS.
    const cleared = await cli.run([
      "rules",
      "set",
      APP,
      "--account",
      accountId,
      "--prohibited-users",
      "",
      "--no-fcfs",
    ]);
    expect(cleared.code, cleared.stderr).toBe(0);
    const after = await rules();
    expect(after.fcfs).toBeUndefined();
    expect(after).toMatchObject({ reservedUserIds: [ids.ada], prohibitedUserIds: [] });
  });

  it("DI6, DI7: a user both reserved and prohibited, or more reservations than licenses, is refused (exit 2); an unknown user, group, device or app is exit 3; nothing changes", async () => {
    const before = await rules();
    const set = (...args: string[]) => cli.run(["rules", "set", APP, "--account", "Main campus", ...args]);
    expectFailure(
      await set("--prohibited-users", "ada@school.example"),
      2,
      /cannot be both reserved and prohibited \(DI7\)/,
    );
    expectFailure(
      await set("--reserved-devices", "RULES-IPAD-1", "--reserved-users", `${ids.ada},${ids.bob}`),
      2,
      /DI6/,
    );
    expectFailure(
      await set("--reserved-users", "nobody@school.example"),
      3,
      /user nobody@school.example not found/,
    );
    expectFailure(await set("--fcfs-groups", "Nobody"), 3, /group Nobody not found/);
    expectFailure(
      await set("--reserved-devices", "NO-SUCH-SERIAL"),
      3,
      /device with serial number NO-SUCH-SERIAL not found/,
    );
    expectFailure(
      await cli.run(["rules", "set", "999", "--account", "Main campus", "--no-fcfs"]),
      3,
      /did not buy app 999/,
    );
    expectFailure(await cli.run(["rules", "show", "999"]), 3, /app 999 not found/);
    expectFailure(await set(), 2, /nothing to set/);
    expectFailure(await set("--fcfs-groups", "Teachers", "--no-fcfs"), 2, /opposite things/);
    expectFailure(
      await set("--no-fcfs", "--requested-type", "device"),
      2,
      /--no-fcfs and a --\*-type say opposite things/,
    );
    expectFailure(await set("--fcfs-groups", "Twins"), 2, /2 groups are named "Twins": give its id/);
    expect(await rules()).toEqual(before);
  });
});
