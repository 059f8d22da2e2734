import i18next from "i18next";
import { beforeAll, describe, expect, it } from "vitest";
import {
  NOTIFICATION_MESSAGE_KEYS,
  type NotificationMessage,
  type NotificationMessageKey,
  type NotificationMessageParams,
  renderNotificationRemedy,
  renderNotificationTitle,
  TOKEN_ISSUES,
  type TokenIssue,
} from "../../src/store/index.js";
import { at, initConsoleI18n, LANGUAGES, leaves, placeholders, type Tree, words } from "./console-words.js";

/** Params of every key, checked by the compiler against the catalogue: a new key must be added here. */
const SAMPLES: { [K in NotificationMessageKey]: NotificationMessageParams<K>[] } = {
  "usage.reached": [{ app: "GoodNotes 5", account: "North Campus", percent: 90 }],
  "token.expiring": [
    { account: "North Campus", count: 1 },
    { account: "North Campus", count: 6 },
  ],
  "token.issue": (Object.keys(TOKEN_ISSUES) as TokenIssue[]).map((issue) => ({
    issue,
    account: "North Campus",
  })),
  "apple.refused": [{ app: "GoodNotes 5", account: "North Campus" }],
};

/** The words of a part: one string, or its plural forms (`_one`, `_other`) when the message counts. */
const formsOf = (lng: "en" | "fr", key: string, part: "title" | "remedy") => {
  const node = at(words[lng], `notificationMessages.${key}`) as Tree | undefined;
  return [node?.[part], node?.[`${part}_one`], node?.[`${part}_other`]].filter(
    (x): x is string => typeof x === "string",
  );
};
/** As the console's useNotificationText does. */
const word = (message: NotificationMessage, part: "title" | "remedy") => {
  const params = message.params as Record<string, string | number>;
  const count = typeof params.count === "number" ? { count: params.count } : {};
  return i18next.t(`notificationMessages.${message.key}.${part}`, { replace: params, ...count });
};

describe("notification messages in the console's languages", () => {
  beforeAll(async () => {
    await initConsoleI18n("en", false);
  });

  it("NT1, NT2: every catalogue key has English and French words for its title, and for its remedy when it has one, with the same placeholders, each a param", () => {
    for (const key of NOTIFICATION_MESSAGE_KEYS) {
      const sample = SAMPLES[key][0] as Record<string, unknown>;
      const hasRemedy =
        renderNotificationRemedy({ key, params: sample } as NotificationMessage) !== undefined;
      for (const part of hasRemedy ? (["title", "remedy"] as const) : (["title"] as const)) {
        const en = formsOf("en", key, part);
        const fr = formsOf("fr", key, part);
        expect(en.length, `en ${key}.${part}`).toBeGreaterThan(0);
        expect(fr.length, `fr ${key}.${part}`).toBe(en.length);
        for (const [i, text] of en.entries()) {
          expect(placeholders(fr[i] ?? ""), `${key}.${part}`).toEqual(placeholders(text));
          for (const name of placeholders(text)) expect(Object.keys(sample), key).toContain(name);
        }
      }
    }
  });

  it("the console has no words for a key the catalogue does not have", () => {
    for (const lng of LANGUAGES) {
      const known = leaves(words[lng].notificationMessages as Tree).map((k) =>
        k.replace(/\.(title|remedy)(_one|_other)?$/, ""),
      );
      expect(known.filter((k) => !NOTIFICATION_MESSAGE_KEYS.includes(k as NotificationMessageKey))).toEqual(
        [],
      );
    }
  });

  it("NT1, NT2, NT3: every title and remedy renders whole in both languages, French is not the English, and the console's English title is the stored one", async () => {
    for (const key of NOTIFICATION_MESSAGE_KEYS) {
      for (const params of SAMPLES[key]) {
        const message = { key, params } as NotificationMessage;
        const stored = renderNotificationTitle(message);
        expect(stored, key).not.toMatch(/undefined|\(s\)|\[object/);
        const shown: Partial<Record<(typeof LANGUAGES)[number], string>> = {};
        for (const lng of LANGUAGES) {
          await i18next.changeLanguage(lng);
          const title = word(message, "title");
          shown[lng] = title;
          expect(title, `${lng} ${key}`).not.toMatch(/\{\{|\$t\(|notificationMessages\.|health\./);
          expect(title, `${lng} ${key}`).toContain("North Campus");
          if (renderNotificationRemedy(message) !== undefined)
            expect(word(message, "remedy"), `${lng} ${key}`).toMatch(/^[^{$]+$/);
        }
        expect(shown.fr, `fr ${key}`).not.toBe(shown.en);
        // The token problems' English is the console's own (health.*); the others say what the server stored.
        if (key !== "token.issue") expect(shown.en, key).toBe(stored);
      }
    }
  });

  it("NT2: one day and several days each have their plural, in English and in French", async () => {
    const expiring = (count: number) =>
      ({ key: "token.expiring", params: { account: "North Campus", count } }) as NotificationMessage;
    await i18next.changeLanguage("en");
    expect(word(expiring(1), "title")).toBe("The token of North Campus expires in 1 day");
    expect(word(expiring(6), "title")).toBe("The token of North Campus expires in 6 days");
    await i18next.changeLanguage("fr");
    expect(word(expiring(1), "title")).toBe("Le jeton de North Campus expire dans 1 jour");
    expect(word(expiring(6), "title")).toBe("Le jeton de North Campus expire dans 6 jours");
    expect(word({ key: "token.issue", params: { issue: "revoked", account: "North Campus" } }, "title")).toBe(
      `${at(words.fr, "health.revoked.label")}\u00a0: North Campus`,
    );
  });
});
