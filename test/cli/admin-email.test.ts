import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findAdminForLogin } from "../../src/store/auth.repo.js";
import { type CliHarness, expectFailure, startCli } from "./harness.js";

const PASSWORD = "correct horse battery staple\n";
const NO_CHANNEL =
  "this server sends no e-mail yet: set SMTP_URL and NOTIFY_EMAIL_FROM (the setting is kept)\n";

interface Listed {
  login: string;
  email?: string;
  notifyByEmail: boolean;
  language?: string;
}

/**
 * NT3 from the server: where each administrator's notification e-mails go, and whether they
 * receive them (`admin create --email --notify-by-email`, `admin email`, `admin list`).
 */
describe("orchard admin: notification e-mails (NT3)", () => {
  let cli: CliHarness;
  beforeAll(async () => {
    cli = await startCli();
  });
  afterAll(async () => {
    await cli?.close();
  });

  const listed = async (login: string) =>
    (await cli.json<{ items: Listed[] }>(["admin", "list", "--json"])).items.find((a) => a.login === login);

  it("NT3: admin create --email --notify-by-email: the address and the wish; --notify-by-email without --email, or an address that is not one, is refused in one line and creates nothing", async () => {
    const alice = await cli.run(
      ["admin", "create", "--login", "alice", "--owner", "--email", "alice@example.org", "--notify-by-email"],
      PASSWORD,
    );
    expect(alice).toEqual({
      code: 0,
      stdout: "administrator alice created (owner), notification e-mails to alice@example.org\n",
      stderr: NO_CHANNEL,
    });
    const bob = await cli.run(
      ["admin", "create", "--login", "bob", "--email", "bob@example.org", "--json"],
      PASSWORD,
    );
    expect(bob).toMatchObject({ code: 0, stderr: "" });
    expect(JSON.parse(bob.stdout)).toMatchObject({
      login: "bob",
      email: "bob@example.org",
      notifyByEmail: false,
    });
    expect((await cli.run(["admin", "create", "--login", "carol"], PASSWORD)).code).toBe(0);

    const [noAddress, notAnAddress] = await Promise.all([
      cli.run(["admin", "create", "--login", "eve", "--notify-by-email"], PASSWORD),
      cli.run(["admin", "create", "--login", "eve", "--email", "eve.example.org"], PASSWORD),
    ]);
    expectFailure(noAddress, 2, /^orchard: --notify-by-email needs --email <address>\n$/);
    expectFailure(notAnAddress, 2, /^orchard: --email eve\.example\.org: not an e-mail address/);
    expect(await listed("eve")).toBeUndefined();
  });

  it("NT3: admin list shows each administrator's e-mail and whether they receive notification e-mails (table and --json)", async () => {
    expect(await listed("alice")).toMatchObject({ email: "alice@example.org", notifyByEmail: true });
    expect(await listed("bob")).toMatchObject({ email: "bob@example.org", notifyByEmail: false });
    const carol = await listed("carol");
    expect(carol).toMatchObject({ notifyByEmail: false });
    expect(carol).not.toHaveProperty("email");

    const table = await cli.run(["admin", "list"]);
    expect(table).toMatchObject({ code: 0, stderr: "" });
    const lines = table.stdout.split("\n");
    expect(lines[0]).toMatch(
      /^LOGIN +NAME +ACCESS +SIGNS IN WITH +STATUS +LAST SIGN-IN +CREATED +E-MAIL +NOTIFICATION E-MAILS$/,
    );
    expect(lines.find((l) => l.startsWith("alice "))).toMatch(
      /owner \(every space\).* alice@example\.org +yes$/,
    );
    expect(lines.find((l) => l.startsWith("bob "))).toMatch(/ bob@example\.org +no$/);
    expect(lines.find((l) => l.startsWith("carol "))).toMatch(/Z +- +no$/);
  });

  it("NT3: admin email sets or removes the address and the wish, prints what is now set, and says in one more line when the server has no e-mail channel", async () => {
    const set = await cli.run([
      "admin",
      "email",
      "--login",
      "carol",
      "--address",
      "carol@example.org",
      "--notify",
    ]);
    expect(set).toEqual({
      code: 0,
      stdout: "carol: notification e-mails to carol@example.org, in English\n",
      stderr: NO_CHANNEL,
    });
    await cli.withCore(async ({ store }) =>
      expect(await findAdminForLogin(store.db, "carol")).toMatchObject({
        email: "carol@example.org",
        notifyByEmail: true,
      }),
    );

    // No more e-mails: the address stays; asked again, the stored address serves.
    expect(await cli.run(["admin", "email", "--login", "carol", "--no-notify"])).toEqual({
      code: 0,
      stdout: "carol: e-mail carol@example.org, no notification e-mails\n",
      stderr: "",
    });
    expect(await listed("carol")).toMatchObject({ email: "carol@example.org", notifyByEmail: false });
    expect((await cli.run(["admin", "email", "--login", "carol", "--notify"])).stdout).toBe(
      "carol: notification e-mails to carol@example.org, in English\n",
    );
    // Her e-mails in French from now on (until she chooses another language in the console).
    expect((await cli.run(["admin", "email", "--login", "carol", "--language", "fr"])).stdout).toBe(
      "carol: notification e-mails to carol@example.org, in French\n",
    );
    expect(await listed("carol")).toMatchObject({ language: "fr" });

    // Removed: the e-mails go with the address.
    expect(await cli.run(["admin", "email", "--login", "carol", "--remove"])).toEqual({
      code: 0,
      stdout: "carol: no e-mail address, no notification e-mails\n",
      stderr: "",
    });
    const removed = await listed("carol");
    expect(removed).toMatchObject({ notifyByEmail: false });
    expect(removed).not.toHaveProperty("email");

    // With SMTP_URL and NOTIFY_EMAIL_FROM the server sends them: no extra line.
    const smtp = { SMTP_URL: "smtp://mail.example.org:587", NOTIFY_EMAIL_FROM: "orchard@example.org" };
    Object.assign(cli.env, smtp);
    try {
      const json = await cli.run([
        "admin",
        "email",
        "--login",
        "bob",
        "--address",
        "robert@example.org",
        "--notify",
        "--json",
      ]);
      expect(json).toMatchObject({ code: 0, stderr: "" });
      expect(JSON.parse(json.stdout)).toEqual({
        id: expect.any(String),
        login: "bob",
        email: "robert@example.org",
        notifyByEmail: true,
      });
    } finally {
      for (const name of Object.keys(smtp)) delete cli.env[name];
    }
  });

  it("NT3: admin email refuses in one line: no option, --address with --remove, an address that is not one, --notify without an address, an unknown login; nothing changes", async () => {
    const before = await listed("bob");
    const [none, both, notAnAddress, removeAndNotify, unknown, klingon] = await Promise.all([
      cli.run(["admin", "email", "--login", "bob"]),
      cli.run(["admin", "email", "--login", "bob", "--address", "b@example.org", "--remove"]),
      cli.run(["admin", "email", "--login", "bob", "--address", "bob at example.org"]),
      cli.run(["admin", "email", "--login", "bob", "--remove", "--notify"]),
      cli.run(["admin", "email", "--login", "nobody", "--address", "nobody@example.org"]),
      cli.run(["admin", "email", "--login", "bob", "--language", "tlh"]),
    ]);
    expectFailure(
      none,
      2,
      /^orchard: give --address <address>, --remove, --notify, --no-notify or --language <en\|fr>\n$/,
    );
    expectFailure(klingon, 2, /^orchard: --language tlh: not a language of Orchard \(en, fr\)\n$/);
    expectFailure(both, 2, /^orchard: --address or --remove, not both\n$/);
    expectFailure(notAnAddress, 2, /^orchard: --address bob at example\.org: not an e-mail address/);
    expectFailure(removeAndNotify, 2, /^orchard: --notify needs an e-mail address: give --address <address>/);
    expectFailure(unknown, 3, /^orchard: administrator nobody not found \(orchard admin list\)\n$/);

    // carol has no address since --remove: --notify names the fix.
    expectFailure(
      await cli.run(["admin", "email", "--login", "carol", "--notify"]),
      2,
      /^orchard: carol has no e-mail address: add --address <address> to --notify\n$/,
    );
    expect(await listed("bob")).toEqual(before);
    expect(await listed("carol")).toMatchObject({ notifyByEmail: false });
  });
});
