import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { RULE_IDS } from "../../src/licensing/index.js";

const load = (lng: string) =>
  JSON.parse(readFileSync(resolve(import.meta.dirname, `../../web/src/i18n/${lng}.json`), "utf8")) as Record<
    string,
    unknown
  >;

function keys(tree: Record<string, unknown>, prefix = ""): string[] {
  return Object.entries(tree).flatMap(([k, v]) =>
    typeof v === "object" && v !== null
      ? keys(v as Record<string, unknown>, `${prefix}${k}.`)
      : [`${prefix}${k}`],
  );
}

describe("console translations", () => {
  it("English and French have exactly the same keys", () => {
    expect(keys(load("fr")).sort()).toEqual(keys(load("en")).sort());
  });

  it("every rule id has its sentence in both languages", () => {
    for (const lng of ["en", "fr"]) {
      const sentences = load(lng).ruleText as Record<string, string>;
      for (const id of RULE_IDS) expect(sentences[id], `${lng} ${id}`).toMatch(/\S/);
    }
  });

  it("no translation is left empty, except the fix of a healthy account", () => {
    for (const lng of ["en", "fr"]) {
      const tree = load(lng);
      const empty = keys(tree).filter(
        (k) => k.split(".").reduce<unknown>((n, p) => (n as Record<string, unknown>)[p], tree) === "",
      );
      expect(empty).toEqual(["health.ok.fix"]);
    }
  });
});
