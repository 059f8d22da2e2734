import { sql } from "kysely";
import { expect, it } from "vitest";
import { activityMessage, appendActivity } from "../../src/store/index.js";
import { describeEachDatabase } from "../store/databases.js";
import { auth, buildFixture, type Fixture, NOW } from "./harness.js";

/**
 * The activity export's `lang` (invariant 4): `activity.csv?lang=fr` words each line's
 * message in French from its key and params, as the console does; `en`, the default, is the
 * English the log keeps; a line written before keys keeps its English in both.
 */
describeEachDatabase("activity export in the console's languages", (db) => {
  let f: Fixture;
  let s = "";
  const get = (query: string) =>
    f.app.inject({ url: `${s}/activity.csv${query}`, headers: auth(f.tokens.read) });
  /** The `message` cells of the export, in the log's order (newest first). */
  const messagesOf = (csv: string) =>
    csv
      .trimEnd()
      .split("\n")
      .slice(1)
      .filter((line) => line.includes("-export-language-"))
      .map((line) => line.split(",")[11]);

  it("invariant 4: lang=fr words the lines in French (numbers as the console writes them); en and no lang are the stored English", async () => {
    f = await buildFixture(db().store);
    s = `/api/v1/spaces/${f.ids.spaceA}`;
    const store = db().store.db;
    const spaceId = f.ids.spaceA;
    const at = (minutes: number) => new Date(NOW.getTime() + minutes * 60_000);
    // The actor id marks this test's lines among the fixture's own.
    const actor = { kind: "system" as const, id: `${f.ids.suffix}-export-language-` };
    await sql`insert into activity_log (space_id, at, actor_kind, actor_id, action, rule_ids, message)
      values (${spaceId}, ${at(1).toISOString()}::timestamptz, 'system', ${actor.id}, 'account.synced', '{}',
        'written by an older Orchard')`.execute(store);
    await appendActivity(store, [
      {
        spaceId,
        actor,
        action: "group.members_added",
        message: activityMessage("group.members_added", { name: "Teachers", count: 1234 }),
        at: at(2),
      },
      {
        spaceId,
        actor,
        action: "license.assigned",
        ruleIds: ["LT2"],
        message: activityMessage("license.assigned"),
        at: at(3),
      },
    ]);

    const fr = await get("?lang=fr");
    expect(fr.statusCode).toBe(200);
    expect(fr.headers["content-type"]).toBe("text/csv; charset=utf-8");
    expect(fr.headers["content-language"]).toBe("fr");
    expect(messagesOf(fr.body)).toEqual([
      "attribution confirmée par Apple",
      "membres ajoutés au groupe Teachers\u00a0: 1\u202f234",
      "written by an older Orchard",
    ]);
    // The other columns are the same file's: only the message is worded.
    const header = fr.body.split("\n")[0];
    expect(header).toContain(",message,");

    const english = [
      "assigned at Apple",
      "members added to group Teachers: 1234",
      "written by an older Orchard",
    ];
    for (const query of ["", "?lang=en"]) {
      const en = await get(query);
      expect(en.statusCode, query).toBe(200);
      expect(en.headers["content-language"], query).toBe("en");
      expect(messagesOf(en.body), query).toEqual(english);
    }
    // The filters still apply to the French file.
    expect(messagesOf((await get("?lang=fr&rule=LT2")).body)).toEqual(["attribution confirmée par Apple"]);
  });

  it("a language other than en or fr is a 400 problem naming querystring.lang, never a 500", async () => {
    for (const lang of ["de", "FR", "fr-FR", ""]) {
      const response = await get(`?lang=${encodeURIComponent(lang)}`);
      expect(response.statusCode, lang).toBe(400);
      expect(response.headers["content-type"], lang).toMatch(/^application\/problem\+json/);
      const problem = response.json() as { code: string; errors: Array<{ field: string; message: string }> };
      expect(problem.code, lang).toBe("validation_failed");
      expect(
        problem.errors.map((e) => e.field),
        lang,
      ).toEqual(["querystring.lang"]);
      expect(problem.errors[0]?.message, lang).toMatch(/en.*fr/);
    }
  });
});
