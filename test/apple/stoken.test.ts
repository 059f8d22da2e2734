import { readFileSync } from "node:fs";
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { createAppleClient, parseSToken, STokenError } from "../../src/apple/index.js";
import { makeSTokenText } from "./fake.js";

const fixture = JSON.parse(
  readFileSync(new URL("../fixtures/apple/stoken.encoded.json", import.meta.url), "utf8"),
) as string;
const now = new Date("2026-01-01T00:00:00Z");

function codeOf(work: () => unknown): string | undefined {
  try {
    work();
  } catch (error) {
    if (error instanceof STokenError) return error.code;
    throw error;
  }
  return undefined;
}

describe("sToken", () => {
  it("parses Apple's example with surrounding whitespace and line breaks", () => {
    const token = parseSToken(`\n  ${fixture.slice(0, 40)}\n${fixture.slice(40)}  \r\n`, { now });
    expect(token.orgName).toBe("ORG12345");
    expect(token.expDate).toBe("2030-11-08T22:33:22+0000");
    expect(token.expiresAt.toISOString()).toBe("2030-11-08T22:33:22.000Z");
    expect(token.value()).toBe(fixture);
  });

  it("reads offsets without a colon (legacy example -0700)", () => {
    const text = makeSTokenText({ expDate: "2030-08-15T18:13:52-0700" });
    expect(parseSToken(text, { now }).expiresAt.toISOString()).toBe("2030-08-16T01:13:52.000Z");
  });

  it.each([
    ["empty", ""],
    ["not base64", "%%% not a token %%%"],
    ["base64 of non-JSON", Buffer.from("hello").toString("base64")],
    [
      "JSON without token",
      Buffer.from(JSON.stringify({ expDate: "2030-01-01T00:00:00+0000", orgName: "x" })).toString("base64"),
    ],
    ["unreadable expDate", makeSTokenText({ expDate: "someday" })],
    ["JSON array", Buffer.from("[1,2]").toString("base64")],
  ])("refuses a malformed file: %s", (_name, text) => {
    expect(codeOf(() => parseSToken(text, { now }))).toBe("malformed");
  });

  it("says an empty file (or one of blanks) is empty, and another unreadable one is not base64", () => {
    for (const empty of ["", " \n\t "])
      expect(() => parseSToken(empty, { now })).toThrow(
        "the sToken file is empty; download it again from Apple",
      );
    expect(() => parseSToken("%%%", { now })).toThrow("the sToken file is not base64 text");
  });

  it("refuses an expired file, at the injected now", () => {
    const text = makeSTokenText({ expDate: "2025-12-31T23:59:59+0000" });
    expect(codeOf(() => parseSToken(text, { now }))).toBe("expired");
    expect(codeOf(() => parseSToken(text, { now: new Date("2025-06-01T00:00:00Z") }))).toBeUndefined();
  });

  it("refuses the legacy v1 example (expired 2014)", () => {
    const legacy = JSON.parse(
      readFileSync(new URL("../fixtures/apple/stoken.encoded.legacy.json", import.meta.url), "utf8"),
    ) as string;
    expect(codeOf(() => parseSToken(legacy, { now }))).toBe("expired");
  });

  it("never shows the token value in messages, JSON or inspect", () => {
    const secret = "super-secret-inner-token";
    const text = makeSTokenText({ token: secret, expDate: "2020-01-01T00:00:00+0000" });
    try {
      parseSToken(text, { now });
      expect.unreachable();
    } catch (error) {
      const shown = `${String(error)} ${JSON.stringify(error)} ${inspect(error)}`;
      expect(shown).not.toContain(secret);
      expect(shown).not.toContain(text);
    }
    const ok = parseSToken(makeSTokenText({ token: secret }), { now });
    const shown = `${String(ok)} ${JSON.stringify(ok)} ${inspect(ok)} ${inspect({ ok })}`;
    expect(shown).not.toContain(secret);
    expect(shown).not.toContain(ok.value());
  });

  it("createAppleClient refuses an expired token before any call", () => {
    let calls = 0;
    const build = () =>
      createAppleClient({
        baseUrl: "https://x.test/mdm/v2",
        sToken: makeSTokenText({ expDate: "2025-01-01T00:00:00+0000" }),
        now: () => now,
        fetch: async () => {
          calls++;
          return new Response("{}");
        },
      });
    expect(codeOf(build)).toBe("expired");
    expect(calls).toBe(0);
  });
});
