import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAdministrator, principalOfToken } from "../../src/auth/auth.service.js";
import { ensureDefaultSpace } from "../../src/main/default-space.js";
import { type CliHarness, expectFailure, startCli } from "./harness.js";

/**
 * `orchard api-token`: an MDM's token made from the server's shell (PM1: no wider than the
 * administrator it acts for), listed, and revoked; bad input is one line and a non-zero exit.
 */
describe("orchard api-token", () => {
  let cli: CliHarness;
  let spaceId = "";
  beforeAll(async () => {
    cli = await startCli();
    await cli.withCore(async ({ store }) => {
      spaceId = await ensureDefaultSpace({ store });
      const now = new Date();
      await createAdministrator(store.db, {
        login: "alice",
        password: "correct horse battery staple",
        isOwner: false,
        grants: [{ spaceId, role: "manage" }],
        now,
      });
      await createAdministrator(store.db, {
        login: "rita",
        password: "correct horse battery staple",
        isOwner: false,
        grants: [{ spaceId, role: "read" }],
        now,
      });
    });
  });
  afterAll(async () => {
    await cli?.close();
  });

  const principal = (token: string) =>
    cli.withCore(({ store }) => principalOfToken(store.db, token, new Date()).catch((e: Error) => e.name));

  it("PM1: create prints the token alone on stdout; it carries the mdm role in the space, ends when asked; list shows it; revoke ends it at once", async () => {
    const made = await cli.run([
      "api-token",
      "create",
      "--name",
      "Jamf",
      "--for",
      "alice",
      "--grant",
      "default:mdm",
      "--expires-in-days",
      "90",
    ]);
    expect(made.code, made.stderr).toBe(0);
    const token = made.stdout.trim();
    expect(made.stdout).toBe(`${token}\n`);
    expect(made.stderr).toMatch(
      /API token Jamf \(.+\) created for alice: .+:mdm, until .+; it is shown only now/,
    );
    const who = await principal(token);
    expect(who).toMatchObject({ kind: "api_token", name: "Jamf" });
    expect(typeof who === "object" && who?.roles.get(spaceId)).toBe("mdm");

    const json = await cli.json<{ id: string; token: string; grants: unknown[]; expiresAt?: string }>([
      "api-token",
      "create",
      "--name",
      "reports",
      "--for",
      "alice",
      "--grant",
      "Default:read",
      "--json",
    ]);
    expect(json.grants).toEqual([{ spaceId, role: "read" }]);
    expect(json.expiresAt).toBeUndefined();
    expect((await principal(json.token)) as object).toMatchObject({ name: "reports" });

    const listed = await cli.json<{ items: Array<{ id: string; name: string; expiresAt?: string }> }>([
      "api-token",
      "list",
      "--json",
    ]);
    expect(listed.items.map((t) => t.name).sort()).toEqual(["Jamf", "reports"]);
    const jamf = listed.items.find((t) => t.name === "Jamf");
    expect(Date.parse(jamf?.expiresAt ?? "") - Date.now()).toBeGreaterThan(89 * 86_400_000);
    const table = await cli.run(["api-token", "list"]);
    expect(table.stdout.split("\n")[0]).toMatch(/^ID +NAME +ROLES +EXPIRES +LAST USED +REVOKED$/);
    expect(table.stdout).toMatch(/Jamf .*:mdm .*\(in (89|90) days\)/);

    const revoked = await cli.run(["api-token", "revoke", jamf?.id ?? ""]);
    expect(revoked).toMatchObject({ code: 0, stdout: "API token Jamf revoked\n" });
    expect(await principal(token)).toBeUndefined();
    expect((await cli.run(["api-token", "revoke", jamf?.id ?? ""])).stdout).toBe(
      "API token Jamf was revoked already\n",
    );
  });

  it("PM1: bad input is one line and a non-zero exit; nothing is created", async () => {
    const create = (...args: string[]) => cli.run(["api-token", "create", "--name", "x", ...args]);
    expectFailure(
      await create("--for", "alice", "--grant", "default:owner"),
      2,
      /expected <space>:mdm or <space>:read or <space>:manage/,
    );
    expectFailure(await create("--for", "alice"), 2, /at least one --grant/);
    expectFailure(
      await create("--for", "alice", "--grant", "default:mdm", "--expires-in-days", "0"),
      2,
      /from 1 to 3650/,
    );
    expectFailure(
      await create("--for", "nobody", "--grant", "default:mdm"),
      3,
      /no active administrator with login nobody/,
    );
    expectFailure(await create("--for", "alice", "--grant", "Nowhere:mdm"), 3, /Nowhere/);
    expectFailure(
      await create("--for", "alice", "--grant", "default:mdm", "--grant", "default:read"),
      2,
      /one role per space/,
    );
    // A read-only administrator gives no role that changes things (as in the API).
    expectFailure(await create("--for", "rita", "--grant", "default:mdm"), 2, /no mdm role to give/);
    expectFailure(
      await cli.run(["api-token", "revoke", "no-such-token"]),
      3,
      /API token no-such-token not found/,
    );
    const listed = await cli.json<{ items: Array<{ name: string }> }>(["api-token", "list", "--json"]);
    expect(listed.items.map((t) => t.name)).not.toContain("x");
  });
});
