import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureDefaultSpace } from "../../src/main/default-space.js";
import { activityMessage, appendActivity } from "../../src/store/index.js";
import { type CliHarness, expectFailure, startCli } from "./harness.js";

const AT = new Date("2026-05-04T09:00:00Z");

/** `orchard export activity --lang en|fr`: the message column in the console's languages (invariant 4). */
describe("orchard export activity --lang", () => {
  let cli: CliHarness;

  beforeAll(async () => {
    cli = await startCli();
    await cli.withCore(async ({ store, deps }) => {
      const spaceId = await ensureDefaultSpace({ store });
      await appendActivity(deps.db, [
        {
          spaceId,
          actor: { kind: "system" },
          action: "group.members_added",
          message: activityMessage("group.members_added", { name: "Teachers", count: 1234 }),
          at: AT,
        },
      ]);
    });
  }, 120_000);

  afterAll(async () => {
    await cli?.close();
  });

  const messageOf = (csv: string) =>
    csv
      .trimEnd()
      .split("\n")
      .find((line) => line.includes(",group.members_added,"))
      ?.split(",")[11];

  it("invariant 4: --lang fr words the message column in French, to a file and as JSON; without it, English whatever the locale", async () => {
    const file = `${cli.dataDir}/journal.csv`;
    const written = await cli.json<{ rows: number }>([
      "export",
      "activity",
      "--lang",
      "fr",
      "--output",
      file,
      "--json",
    ]);
    expect(written.rows).toBeGreaterThan(0);
    expect(messageOf(await readFile(file, "utf8"))).toBe(
      "membres ajoutés au groupe Teachers\u00a0: 1\u202f234",
    );

    const entries = await cli.json<Array<{ action: string; message: string; messageKey: string }>>([
      "export",
      "activity",
      "--lang",
      "fr",
      "--format",
      "json",
    ]);
    expect(entries.find((e) => e.action === "group.members_added")).toMatchObject({
      message: "membres ajoutés au groupe Teachers\u00a0: 1\u202f234",
      messageKey: "group.members_added",
    });

    const english = await cli.run(["export", "activity", "--lang", "en"]);
    expect(english.code).toBe(0);
    expect(messageOf(english.stdout)).toBe("members added to group Teachers: 1234");
    // A French shell does not change a script's file: English unless --lang says otherwise.
    cli.env.LANG = "fr_FR.UTF-8";
    try {
      const unasked = await cli.run(["export", "activity"]);
      expect(unasked.code).toBe(0);
      expect(messageOf(unasked.stdout)).toBe("members added to group Teachers: 1234");
    } finally {
      delete cli.env.LANG;
    }
  });

  it("--lang other than en or fr: one line, exit 2, nothing written", async () => {
    const file = `${cli.dataDir}/never.csv`;
    const [german, missing] = await Promise.all([
      cli.run(["export", "activity", "--lang", "de", "--output", file]),
      cli.run(["export", "activity", "--lang"]),
    ]);
    expectFailure(
      german,
      2,
      /^orchard: option '--lang <language>' argument 'de' is invalid\. Allowed choices are en, fr\. \(see 'orchard export activity --help'\)\n$/,
    );
    expectFailure(missing, 2, /option '--lang <language>' argument missing/);
    await expect(readFile(file, "utf8")).rejects.toMatchObject({ code: "ENOENT" });
  });
});
