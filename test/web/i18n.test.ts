import { describe, expect, it } from "vitest";
import { RULE_IDS } from "../../src/licensing/index.js";
import { at, LANGUAGES, leaves, words } from "./console-words.js";

describe("console translations", () => {
  it("English and French have exactly the same keys", () => {
    expect(leaves(words.fr).sort()).toEqual(leaves(words.en).sort());
  });

  it("every rule id has its sentence in both languages", () => {
    for (const lng of LANGUAGES) {
      const sentences = words[lng].ruleText as Record<string, string>;
      for (const id of RULE_IDS) expect(sentences[id], `${lng} ${id}`).toMatch(/\S/);
    }
  });

  it("French says a device's check-in as its contact with the MDM, never 'enregistrement' (an enrollment, in MDM French)", () => {
    const english = (k: string) => String(at(words.en, k));
    const checkIns = leaves(words.en).filter((k) => /check-in/i.test(english(k)));
    expect(checkIns.length).toBeGreaterThan(3);
    for (const k of checkIns) expect(String(at(words.fr, k)), k).not.toMatch(/enregistrement/i);
  });

  it("French keeps its punctuation with what it follows: a no-break space before : ; ! ? % », after «", () => {
    // A plain space lets a colon or a closing guillemet wrap to the next line alone.
    const loose = leaves(words.fr).filter((k) =>
      /\s[:;!?%»]|«\s/.test(String(at(words.fr, k)).replace(/[\u00a0\u202f]/g, "")),
    );
    expect(loose).toEqual([]);
    expect(String(at(words.fr, "common.labelled"))).toBe("{{label}}\u00a0:");
  });

  it("no translation is left empty, except the fix of a healthy account", () => {
    for (const lng of LANGUAGES) {
      const empty = leaves(words[lng]).filter((k) => at(words[lng], k) === "");
      expect(empty).toEqual(["health.ok.fix"]);
    }
  });
});
