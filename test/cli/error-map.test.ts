import { describe, expect, it } from "vitest";
import { toCliError } from "../../src/cli/error-map.js";

describe("the CLI's words for the database's refusals", () => {
  it.each(["40P01", "40001"])(
    "%s (the change gave way to another): says nothing changed and to run it again",
    (code) => {
      const e = toCliError(Object.assign(new Error("deadlock detected"), { code }));
      expect(e.message).toMatch(/nothing was changed, run the command again/);
      expect(e.message).not.toContain("deadlock detected");
      expect(e.exitCode).toBe(1);
    },
  );

  it("an unknown failure keeps its message, exit 1, no stack", () => {
    const e = toCliError(new Error("boom"));
    expect(e.message).toBe("unexpected error: boom");
    expect(e.message).not.toMatch(/\n\s+at /);
    expect(e.exitCode).toBe(1);
  });
});
