import { describe, expect, it } from "vitest";
import { tableLines } from "../../src/cli/output.js";

const HEADERS = ["APP", "NAME", "ACCOUNT", "STATE"];
const ROWS = [
  ["361309726", "Pages for classrooms with a very long name indeed", "Main campus", "assigned"],
  ["409183694", "Keynote", "North campus with a long account name", "pending_assign"],
];

/** Tables on a terminal fit its width; piped, cells are whole (scripts read them). */
describe("CLI tables", () => {
  it("without a width, every cell is whole and columns are padded to their widest cell", () => {
    const lines = tableLines(HEADERS, ROWS);
    expect(lines[1]).toContain("Pages for classrooms with a very long name indeed");
    expect(lines[2]).toContain("North campus with a long account name");
    expect(lines[0]?.indexOf("ACCOUNT")).toBe(lines[1]?.indexOf("Main campus"));
  });

  it("on an 80-column terminal, no line passes 80: the widest columns are cut first, with an ellipsis", () => {
    const lines = tableLines(HEADERS, ROWS, 80);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(80);
    // The narrow columns stay whole; the two long ones are cut and say so.
    expect(lines[1]).toMatch(/^361309726 {2}Pages for classrooms.*… {2}Main campus/);
    expect(lines[2]).toMatch(/North campus.*… {2}pending_assign$/);
    expect(lines[0]?.indexOf("STATE")).toBe(lines[1]?.indexOf("assigned"));
  });

  it("columns of ids and dates are never cut; text is cut to its header or 8 characters, only when that makes it fit", () => {
    const headers = ["ID", "SUBJECT", "CREATED"];
    const rows = [["6f1c2a3e-1111-4222-8333-944455556666", "device:x (F9FXK0ABCD12)", "2026-11-30 03:01Z"]];
    expect(tableLines(headers, rows, 70)[1]).toBe(
      "6f1c2a3e-1111-4222-8333-944455556666  device:x (F9…  2026-11-30 03:01Z",
    );
    // Narrower than ids and dates need: it wraps either way, so nothing is cut.
    expect(tableLines(headers, rows, 60)).toEqual(tableLines(headers, rows));
  });

  it("a table narrower than the terminal is unchanged", () => {
    expect(tableLines(HEADERS, ROWS, 500)).toEqual(tableLines(HEADERS, ROWS));
  });
});
