import i18next from "i18next";
import { beforeAll, describe, expect, it } from "vitest";
import {
  ACTIVITY_MESSAGE_KEYS,
  type ActivityMessageKey,
  renderActivityMessage,
} from "../../src/store/index.js";
import { TOKEN_ISSUES } from "../../src/sync/index.js";
import { SAMPLES, variants } from "./activity-samples.js";
import { at, initConsoleI18n, LANGUAGES, leaves, placeholders, type Tree, words } from "./console-words.js";

describe("activity messages in the console's languages", () => {
  beforeAll(async () => {
    await initConsoleI18n("en", false);
  });

  it("invariant 4: every catalogue key has English and French words with the same placeholders, each a param of the key", () => {
    for (const key of ACTIVITY_MESSAGE_KEYS) {
      const en = at(words.en, `activityMessages.${key}`);
      const fr = at(words.fr, `activityMessages.${key}`);
      expect(typeof en, `en ${key}`).toBe("string");
      expect(typeof fr, `fr ${key}`).toBe("string");
      expect(placeholders(fr as string), key).toEqual(placeholders(en as string));
      for (const name of placeholders(en as string)) expect(Object.keys(SAMPLES[key]), key).toContain(name);
    }
  });

  it("the console has no words for a key the catalogue does not have", () => {
    for (const lng of LANGUAGES) {
      const known = leaves(words[lng].activityMessages as Tree);
      expect(known.filter((k) => !ACTIVITY_MESSAGE_KEYS.includes(k as ActivityMessageKey))).toEqual([]);
    }
  });

  it("every message renders whole in English (the stored text) and in both console languages, for every value of its enumerated params", async () => {
    for (const key of ACTIVITY_MESSAGE_KEYS) {
      for (const message of variants(key)) {
        const stored = renderActivityMessage(message);
        expect(stored, key).toMatch(/\S/);
        expect(stored, key).not.toMatch(/undefined|\[object/);
        const shown: Partial<Record<(typeof LANGUAGES)[number], string>> = {};
        for (const lng of LANGUAGES) {
          // As the console does: nested words ($t) follow the current language, not a `lng` option.
          await i18next.changeLanguage(lng);
          const text = i18next.t(`activityMessages.${key}`, { replace: message.params });
          shown[lng] = text;
          expect(text, `${lng} ${key}`).not.toMatch(
            /\{\{|\$t\(|activityMessages\.|health\.|catalogUpdates\./,
          );
          // Every param the words name shows its value (numbers and names, not enumerated ones).
          for (const name of placeholders(at(words[lng], `activityMessages.${key}`) as string)) {
            const value = (message.params as Record<string, string | number>)[name];
            if (name !== "issue" && name !== "updateMode")
              expect(text, `${lng} ${key}`).toContain(String(value));
          }
        }
        expect(shown.fr, `fr ${key} is French, not a copy of the English`).not.toBe(shown.en);
      }
    }
  });

  it("NT2: a token problem is worded with the console's own words for the account's health, in French too", async () => {
    await i18next.changeLanguage("fr");
    const message = { issue: "revoked", ...TOKEN_ISSUES.revoked };
    expect(i18next.t("activityMessages.account.token_issue", { replace: message })).toBe(
      `${at(words.fr, "health.revoked.label")}\u00a0: ${at(words.fr, "health.revoked.fix")}`,
    );
  });
});
