import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureDefaultSpace } from "../../src/main/default-space.js";
import { addGroupMembers, createGroup, createUsers } from "../../src/store/index.js";
import { dispatchOnce, syncAccount } from "../../src/sync/index.js";
import { type CliHarness, expectFailure, startCli } from "./harness.js";

const SYSTEM = { kind: "system" as const, id: "cli-test" };

/**
 * `orchard users invite`, `orchard users show` and `orchard users list` (UB2) against the simulator: users by
 * email, external id or id, a group's or the whole space's users not invited yet, and the
 * invitation link once Apple answered.
 */
describe("orchard users", () => {
  let cli: CliHarness;
  let accountId = "";
  let spaceId = "";
  beforeAll(async () => {
    cli = await startCli();
    const main = cli.sim.operator.createLocation({ orgName: "Orchard School", locationName: "Main" });
    cli.sim.operator.addAsset(main.uId, { adamId: "4000001", totalCount: 5, supportedPlatforms: ["iOS"] });
    await cli.withCore(async ({ store, deps }) => {
      spaceId = await ensureDefaultSpace({ store });
      // AC1: adding the account syncs it, Apple's service config (the invitation URL template) included.
      ({ id: accountId } = (
        await deps.accounts.add({
          spaceId,
          name: "Main campus",
          sTokenFile: main.sToken,
          autoDistribute: true,
          clearPrevious: false,
          takeOver: false,
          actor: SYSTEM,
        })
      ).account);
      const [, bob, cy] = await createUsers(deps.db, [
        { spaceId, name: "Ada", email: "Ada@Example.com" },
        { spaceId, name: "Bob", externalId: "hr-0042" },
        { spaceId, name: "Cy" },
        { spaceId, name: "Dee" },
      ]);
      const teachers = await createGroup(deps.db, { spaceId, name: "Teachers" });
      await addGroupMembers(deps.db, spaceId, teachers.id, [bob?.id ?? "", cy?.id ?? ""]);
    });
  });
  afterAll(async () => {
    await cli?.close();
  });

  it("UB2: users invite registers a user named by email; users show prints Apple's invitation link once Apple answered", async () => {
    const invited = await cli.run(["users", "invite", "ada@example.com"]);
    expect(invited).toMatchObject({ code: 0, stdout: "1 user registered at Apple in 1 account\n" });
    expect(invited.stderr).toContain("orchard users show <user>");
    expect(await cli.json(["users", "show", "ada@example.com", "--json"])).toMatchObject({
      name: "Ada",
      registration: "registering",
      enrolled: false,
    });

    // The worker sends the registration; Apple's answer comes with the next users sync.
    await cli.withCore(async ({ sync }) => {
      await dispatchOnce(sync, "cli-test");
      await cli.sim.operator.idle();
      await syncAccount(sync, { spaceId, accountId, mode: "incremental" });
    });
    const shown = await cli.run(["users", "show", "ada@example.com"]);
    const origin = new URL(cli.sim.url).origin;
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(
      new RegExp(
        `^Ada <Ada@Example\\.com>: invited \\(the invitation is not accepted yet\\)\\n${origin.replace(/[.]/g, "\\.")}/operator/invitations/accept\\?inviteCode=[0-9a-f]{32}&mt=8\\n$`,
      ),
    );
    const json = await cli.json<{ registration: string; invitationUrl: string }>([
      "users",
      "show",
      "ada@example.com",
      "--json",
    ]);
    expect(json.registration).toBe("invited");
    expect(shown.stdout).toContain(json.invitationUrl);
    // The link is Apple's invitation: opening it enrols the user at Apple.
    expect((await fetch(json.invitationUrl)).status).toBe(200);

    // users list: the invited ones with their links, to send again; the others by where they stand.
    const listed = await cli.run(["users", "list", "--registration", "invited"]);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout.split("\n")[0]).toMatch(/^NAME\s+EMAIL\s+REGISTRATION\s+INVITATION LINK$/);
    expect(listed.stdout).toContain(`Ada   Ada@Example.com  invited       ${json.invitationUrl}`);
    const notInvited = await cli.json<{ items: Array<{ name: string; registration: string }> }>([
      "users",
      "list",
      "--registration",
      "not_invited",
      "--json",
    ]);
    expect(notInvited.items.map((u) => [u.name, u.registration])).toEqual([
      ["Bob", "not_registered"],
      ["Cy", "not_registered"],
      ["Dee", "not_registered"],
    ]);
    expectFailure(await cli.run(["users", "list", "--registration", "pending"]), 2, /pending/);
  });

  it("UB2: --group invites the group's users not invited yet, --all-uninvited the space's; sent again, nobody", async () => {
    expect(await cli.json(["users", "invite", "--group", "teachers", "--json"])).toEqual({
      invited: 2,
      accounts: 1,
    });
    const again = await cli.run(["users", "invite", "--group", "Teachers"]);
    expect(again).toMatchObject({
      code: 0,
      stdout: "no user to invite: each is invited, enrolled or being registered at Apple already\n",
    });
    // Dee alone is left (Ada is invited, Bob and Cy on their way).
    expect(await cli.json(["users", "invite", "--all-uninvited", "--json"])).toEqual({
      invited: 1,
      accounts: 1,
    });
    expect(await cli.json(["users", "show", "hr-0042", "--json"])).toMatchObject({
      name: "Bob",
      registration: "registering",
    });
  });

  it("bad usage is one line and a non-zero exit: nothing to invite, two ways at once, unknown users and groups", async () => {
    expectFailure(await cli.run(["users", "invite"]), 2, /give users, --group <group> or --all-uninvited/);
    expectFailure(
      await cli.run(["users", "invite", "ada@example.com", "--all-uninvited"]),
      2,
      /give users, --group <group> or --all-uninvited \(one of them\)/,
    );
    expectFailure(
      await cli.run(["users", "invite", "nobody@example.com"]),
      3,
      /user nobody@example\.com not found/,
    );
    expectFailure(await cli.run(["users", "invite", "--group", "Janitors"]), 3, /group Janitors not found/);
    // An empty group name is bad input, never the whole space's users.
    expectFailure(await cli.run(["users", "invite", "--group", ""]), 2, /an empty one names none/);
    expectFailure(await cli.run(["users", "show", "nobody"]), 3, /user nobody not found/);
  });
});
