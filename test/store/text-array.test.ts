import { sql } from "kysely";
import { expect, it } from "vitest";
import { textArray } from "../../src/store/sql-helpers.js";
import { describeEachDatabase } from "./databases.js";

/** textArray: a text[] parameter sent as one string when it can be, element for element as sent. */
describeEachDatabase("a text[] parameter", (db) => {
  it("arrives as sent: plain values, values with a newline or a quote, an empty one, none at all", async () => {
    for (const values of [
      ["C02XK1ZZJG5H", "SIM0000000001", "user-1 with spaces", 'a "quoted", {braced} \\ one', "é"],
      ["line\nbreak", "plain"],
      ["", "after an empty one"],
      [],
      Array.from({ length: 5000 }, (_, i) => `S${i}`),
    ]) {
      const { rows } = await sql<{ a: string[] }>`select ${textArray(values)} as a`.execute(db().store.db);
      expect(rows[0]?.a).toEqual(values);
    }
  });
});
