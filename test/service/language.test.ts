import { describe, expect, it } from "vitest";
import { languageOfEnvironment, languageOfLocale, negotiateLanguage } from "../../src/service/language.js";

describe("Accept-Language negotiation (English and French, English by default)", () => {
  it.each([
    [undefined, "en"],
    ["", "en"],
    ["fr", "fr"],
    ["FR", "fr"],
    ["fr-FR", "fr"],
    ["fr-CA", "fr"],
    ["fr-FR,fr;q=0.9,en;q=0.8", "fr"],
    ["en-US,en;q=0.9,fr;q=0.8", "en"],
    ["de", "en"],
    ["de-DE,de;q=0.9", "en"],
    ["de, fr;q=0.5", "fr"],
    ["fr;q=0", "en"],
    ["fr;q=0, *", "en"], // the most specific range names French, and refuses it
    ["fr-FR;q=0", "en"],
    ["fr;q=0, fr-FR", "en"],
    ["*", "en"],
    ["*;q=0.5, fr;q=0.6", "fr"],
    ["fr;q=0.5, *;q=0.5", "fr"], // equal weights: the first listed
    ["en;q=0.5, fr;q=0.5", "en"],
    ["fr, en", "fr"],
    ["en, fr", "en"],
    ["en;q=0.1, fr;q=0.2", "fr"],
    ["en;q=0, fr;q=0", "en"], // nothing acceptable: the default
    ["fr ; Q=0.7 , en;q=0.6", "fr"],
    ["fr;q=1.000", "fr"],
    ["fr;q=2, en;q=0.1", "en"], // a malformed weight skips its entry only
    ["fr;q=abc", "en"],
    ["fr;q=0.1234", "en"],
    ["français, fr_FR", "en"], // not language tags
    ["fr;level=1;q=0.8, en;q=0.7", "fr"],
    [",,fr,,", "fr"],
    [["de", "fr;q=0.5"], "fr"],
  ])("%j → %s", (header, expected) => {
    expect(negotiateLanguage(header)).toBe(expected);
  });

  it("a long header of many unknown ranges still finds the one it can serve", () => {
    const header = `${Array.from({ length: 2000 }, (_, i) => `x${i};q=0.${i % 10}`).join(",")},fr;q=0.001`;
    expect(negotiateLanguage(header)).toBe("fr");
  });
});

describe("the CLI's language from the POSIX locale", () => {
  it.each([
    ["fr_FR.UTF-8", "fr"],
    ["fr", "fr"],
    ["fr_CA@euro", "fr"],
    ["FR_be", "fr"],
    ["en_GB.UTF-8", "en"],
    ["C", undefined],
    ["POSIX", undefined],
    ["C.UTF-8", undefined],
    ["de_DE", undefined],
  ])("%s → %s", (locale, expected) => {
    expect(languageOfLocale(locale)).toBe(expected);
  });

  it("LC_ALL beats LC_MESSAGES beats LANG; empty ones are skipped; nothing set: English", () => {
    expect(languageOfEnvironment({})).toBe("en");
    expect(languageOfEnvironment({ LANG: "fr_FR.UTF-8" })).toBe("fr");
    expect(languageOfEnvironment({ LANG: "fr_FR.UTF-8", LC_ALL: "C" })).toBe("en");
    expect(languageOfEnvironment({ LANG: "en_US.UTF-8", LC_ALL: "fr_FR.UTF-8" })).toBe("fr");
    expect(languageOfEnvironment({ LANG: "en_US.UTF-8", LC_MESSAGES: "fr_FR.UTF-8" })).toBe("fr");
    expect(languageOfEnvironment({ LANG: "fr_FR.UTF-8", LC_ALL: "" })).toBe("fr");
    expect(languageOfEnvironment({ LANG: "de_DE.UTF-8" })).toBe("en");
  });
});
