import { describe, expect, it } from "vitest";
import { toCliError } from "../../src/cli/error-map.js";
import { oneLine } from "../../src/cli/errors.js";

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

  it("a row an insert refers to that does not exist is exit 3 naming it; a row still referred to, exit 4", () => {
    const missing = toCliError(
      Object.assign(new Error('insert or update on table "devices" violates foreign key constraint'), {
        code: "23503",
        detail: 'Key (space_id, user_id)=(space-1, nope) is not present in table "users".',
        constraint: "devices_space_id_user_id_fkey",
      }),
    );
    expect({ message: missing.message, exitCode: missing.exitCode }).toEqual({
      message: "user nope not found",
      exitCode: 3,
    });
    const referenced = toCliError(
      Object.assign(new Error('update or delete on table "users" violates foreign key constraint'), {
        code: "23503",
        detail: 'Key (space_id, id)=(space-1, u1) is still referenced from table "licenses".',
      }),
    );
    expect({ message: referenced.message, exitCode: referenced.exitCode }).toEqual({
      message: "other records still refer to it",
      exitCode: 4,
    });
  });

  it("an unknown failure keeps its message, exit 1, no stack", () => {
    const e = toCliError(new Error("boom"));
    expect(e.message).toBe("unexpected error: boom");
    expect(e.message).not.toMatch(/\n\s+at /);
    expect(e.exitCode).toBe(1);
  });
});

describe("the CLI's words for sockets that cannot listen or connect", () => {
  it("a port already taken names the address and the fix", () => {
    const e = toCliError(
      Object.assign(new Error("listen EADDRINUSE: address already in use 127.0.0.1:8080"), {
        code: "EADDRINUSE",
        address: "127.0.0.1",
        port: 8080,
      }),
    );
    expect(e.message).toBe(
      "127.0.0.1:8080 is already in use: stop what listens there, or choose another port (PORT, --port)",
    );
    expect(e.exitCode).toBe(1);
  });

  it("a database that does not answer (Node's AggregateError has no message) says where, not 'unexpected error: '", () => {
    const refused = (address: string) =>
      Object.assign(new Error(`connect ECONNREFUSED ${address}:5432`), {
        code: "ECONNREFUSED",
        address,
        port: 5432,
      });
    const e = toCliError(
      Object.assign(new AggregateError([refused("::1"), refused("127.0.0.1")], ""), { code: "ECONNREFUSED" }),
    );
    expect(e.message).toBe(
      "nothing answers at ::1:5432: check that the database (DATABASE_URL) or Apple's service (APPLE_BASE_URL) runs there",
    );
    const wrapped = toCliError(new Error("migrating the database", { cause: refused("10.0.0.5") }));
    expect(wrapped.message).toMatch(/^nothing answers at 10\.0\.0\.5:5432/);
  });
});

describe("the CLI's words for a database that will not let Orchard in, and files it cannot use", () => {
  it.each([
    ["28P01", 'password authentication failed for user "orchard"'],
    ["28000", 'no pg_hba.conf entry for host "10.0.0.9", user "orchard"'],
    ["3D000", 'database "orchrad" does not exist'],
  ])(
    "%s, even wrapped in 'migrating the database': configuration to fix (exit 2), not 'unexpected error'",
    (code, words) => {
      const e = toCliError(
        new Error("migrating the database", { cause: Object.assign(new Error(words), { code }) }),
      );
      expect({ message: e.message, exitCode: e.exitCode }).toEqual({
        message: `the database refused the connection: ${words} (check DATABASE_URL)`,
        exitCode: 2,
      });
    },
  );

  it("a password the database asks for and DATABASE_URL lacks says where to put it", () => {
    const e = toCliError(
      new Error("migrating the database", {
        cause: new Error("SASL: SCRAM-SERVER-FIRST-MESSAGE: client password must be a string"),
      }),
    );
    expect(e.message).toMatch(/^the database asks for a password and none is given: put it in DATABASE_URL/);
    expect(e.exitCode).toBe(2);
  });

  it("a file Orchard cannot use (the data folder is a file) names it and why, in words", () => {
    const e = toCliError(
      Object.assign(new Error("ENOTDIR: not a directory, open '/srv/data/secret.key'"), {
        code: "ENOTDIR",
        syscall: "open",
        path: "/srv/data/secret.key",
      }),
    );
    expect(e.message).toBe("cannot open /srv/data/secret.key: a part of the path is not a folder");
    expect(e.exitCode).toBe(1);
  });
});

describe("the error line", () => {
  it("is one line: breaks become spaces, other control characters are escaped (no escape sequence reaches the terminal)", () => {
    expect(oneLine("account North\u001b[2J\rX not found:\n  try again\u0000")).toBe(
      "account North\\x1b[2J\\x0dX not found: try again\\x00",
    );
  });
});
