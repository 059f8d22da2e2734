import i18next from "i18next";
import { beforeAll, describe, expect, it } from "vitest";
import {
  ACTIVITY_MESSAGE_KEYS,
  type ActivityMessage,
  type ActivityMessageKey,
  type ActivityMessageParams,
  renderActivityMessage,
  type UpdateMode,
} from "../../src/store/index.js";
import { TOKEN_ISSUES } from "../../src/sync/index.js";
import { at, initConsoleI18n, LANGUAGES, leaves, placeholders, type Tree, words } from "./console-words.js";

/** Params of every key, checked by the compiler against the catalogue: a new key must be added here. */
const SAMPLES: { [K in ActivityMessageKey]: ActivityMessageParams<K> } = {
  "license.granted_user": {},
  "license.granted_user_reserved": {},
  "license.granted_device": {},
  "license.granted_device_reserved": {},
  "license.assigned": {},
  "license.apple_refused": { reason: "9610 License not found" },
  "license.release_queued": {},
  "license.released_unsent": {},
  "license.released": {},
  "license.grace_ended": {},
  "license.released_outside": {},
  "license.cleared_other_location": {},
  "license.account_deleted_released": {},
  "license.account_deleted_token_problem": {},
  "license.account_deleted_granted_meanwhile": {},
  "license.reclaimed_device_inactive": { since: "2026-01-15" },
  "license.reclaimed_user_inactive": { since: "2025-12-01" },
  "account.added": { name: "Paris campus" },
  "account.updated": { name: "Paris campus" },
  "account.deleted": { name: "Paris campus" },
  "account.priority_changed": { from: 2, to: 1 },
  "account.cleared": { released: 12 },
  "account.synced": syncCounts(),
  "account.resynced": syncCounts(),
  "account.token_issue": { issue: "expired", ...TOKEN_ISSUES.expired },
  "account.token_healthy": {},
  "catalog.install_on_device": { updateMode: "immediate" },
  "catalog.available": { updateMode: "automatic" },
  "catalog.delegated": { from: "Main space" },
  "user.invited": {},
  "rules.set": { groups: 1, reservations: 2, prohibited: 3 },
  "rules.group_deleted": { group: "Teachers", groups: 2 },
  "group.created": { name: "Teachers" },
  "group.renamed": { from: "Teachers", name: "Faculty" },
  "group.members_added": { name: "Teachers", count: 12 },
  "group.members_removed": { name: "Teachers", count: 3 },
  "group.deleted": { name: "Teachers" },
  "group.deleted_from_rules": { name: "Teachers", rules: 4 },
  "mdm.device_retired": {},
  "mdm.device_wiped": {},
  "mdm.device_inactive": {},
  "mdm.mdm_profile_removed": {},
  "mdm.user_deleted": {},
  "mdm.app_deleted": {},
  "mdm.app_undelegated": {},
  "mdm.app_removed_from_distribution": {},
  "mdm.app_added_to_distribution": {},
  "command.retried": { seq: 41 },
  "command.retry_license_not_live": { seq: 42 },
  "command.retry_superseded": { seq: 43, by: 47 },
};

function syncCounts() {
  return {
    apps: 101,
    newApps: 102,
    countsChanged: 103,
    assignments: 104,
    outside: 105,
    confirmed: 106,
    releasedOutside: 107,
    users: 108,
    enrolled: 109,
    served: 110,
  };
}

/** Every value an enumerated param takes: the console words each through `$t(...)`. */
const UPDATE_MODES: UpdateMode[] = ["immediate", "automatic"];
function variants(key: ActivityMessageKey): ActivityMessage[] {
  const one = (params: object) => ({ key, params }) as ActivityMessage;
  if (key === "account.token_issue")
    return Object.entries(TOKEN_ISSUES).map(([issue, text]) => one({ issue, ...text }));
  if (key === "catalog.install_on_device" || key === "catalog.available")
    return UPDATE_MODES.map((updateMode) => one({ updateMode }));
  return [one(SAMPLES[key])];
}

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
      `${at(words.fr, "health.revoked.label")} : ${at(words.fr, "health.revoked.fix")}`,
    );
  });
});
