import { text } from "node:stream/consumers";
import { describe, expect, it } from "vitest";
import { csvStream } from "../../src/service/stream-export.js";

const shape = {
  columns: ["name", "note"],
  cells: (row: { name: string; note: string }) => [row.name, row.note],
};

async function* rows(list: Array<{ name: string; note: string }>, failAfter?: number) {
  for (const [i, row] of list.entries()) {
    if (i === failAfter) throw new Error("the database went away");
    yield row;
  }
}

describe("CSV exports", () => {
  it("quote as text a cell a spreadsheet would run as a formula (=, +, -, @)", async () => {
    const csv = await text(
      csvStream(
        rows([
          { name: '=HYPERLINK("http://evil")', note: "+1" },
          { name: "@SUM(A1)", note: "-2" },
          { name: "Ann", note: "plain" },
        ]),
        shape,
      ) as NodeJS.ReadableStream & AsyncIterable<unknown>,
    );
    expect(csv.split("\n").slice(1, 4)).toEqual([
      `"'=HYPERLINK(""http://evil"")",'+1`,
      "'@SUM(A1),'-2",
      "Ann,plain",
    ]);
  });

  it("a failure reading the rows errors the stream its reader holds, not the process", async () => {
    const stream = csvStream(
      rows(
        [
          { name: "a", note: "" },
          { name: "b", note: "" },
        ],
        1,
      ),
      shape,
    );
    await expect(text(stream as NodeJS.ReadableStream & AsyncIterable<unknown>)).rejects.toThrow(
      "the database went away",
    );
  });
});
