import i18next from "i18next";
import { beforeAll, describe, expect, it } from "vitest";
import { activityMessageIn } from "../../src/service/activity-messages-fr.js";
import {
  ACTIVITY_MESSAGE_KEYS,
  type ActivityMessage,
  type ActivityParamValue,
  renderActivityMessage,
} from "../../src/store/index.js";
import { variants } from "../web/activity-samples.js";
import { initConsoleI18n } from "../web/console-words.js";

/**
 * The exports' French activity lines (`activity.csv?lang=fr`, `orchard export activity --lang
 * fr`) are the console's: for every key of the catalogue and every value of its enumerated
 * params, the server's French is what the console shows (web/src/activity/message.ts: the
 * fr.json words, numbers written fr-FR).
 */
describe("activity messages in French for the exports", () => {
  beforeAll(async () => {
    await initConsoleI18n("fr", false);
  });

  /** As the console's useActivityMessage words a line. */
  function consoleFrench(message: ActivityMessage): string {
    const replace = Object.fromEntries(
      Object.entries(message.params).map(([name, value]: [string, ActivityParamValue]) => [
        name,
        typeof value === "number" ? value.toLocaleString("fr-FR") : value,
      ]),
    );
    return i18next.t(`activityMessages.${message.key}`, { replace });
  }

  /** The same message with every number in the thousands: the French writes them 1 234 as the console does. */
  const large = (message: ActivityMessage): ActivityMessage =>
    ({
      key: message.key,
      params: Object.fromEntries(
        Object.entries(message.params).map(([name, value]: [string, ActivityParamValue]) => [
          name,
          typeof value === "number" ? value * 1000 + 234 : value,
        ]),
      ),
    }) as ActivityMessage;

  it("invariant 4: every key, with every value of its enumerated params, is worded as the console words it", () => {
    let compared = 0;
    for (const key of ACTIVITY_MESSAGE_KEYS) {
      for (const message of variants(key).flatMap((m) => [m, large(m)])) {
        const stored = renderActivityMessage(message);
        const line = { message: stored, messageKey: key, messageParams: message.params };
        const french = activityMessageIn("fr", line);
        expect(french, key).toBe(consoleFrench(message));
        expect(french, `${key} is French, not the stored English`).not.toBe(stored);
        compared += 1;
      }
    }
    expect(compared).toBeGreaterThan(2 * ACTIVITY_MESSAGE_KEYS.length);
  });

  it("numbers read as in the console: 12 234 with a narrow no-break space", () => {
    const line = {
      message: "members added",
      messageKey: "group.members_added",
      messageParams: { name: "Teachers", count: 12234 },
    };
    expect(activityMessageIn("fr", line)).toBe("membres ajoutés au groupe Teachers\u00a0: 12\u202f234");
  });

  it("English is the stored text; a line without a key, or with a key or a value the catalogue does not know, keeps its English", () => {
    const granted = { message: "assigned at Apple", messageKey: "license.assigned", messageParams: {} };
    expect(activityMessageIn("en", granted)).toBe("assigned at Apple");
    expect(activityMessageIn("fr", granted)).toBe("attribution confirmée par Apple");
    expect(activityMessageIn("fr", { message: "written before keys" })).toBe("written before keys");
    expect(
      activityMessageIn("fr", { message: "a newer key", messageKey: "license.future", messageParams: {} }),
    ).toBe("a newer key");
    expect(
      activityMessageIn("fr", {
        message: "available, updates weekly",
        messageKey: "catalog.available",
        messageParams: { updateMode: "weekly" },
      }),
    ).toBe("available, updates weekly");
    expect(
      activityMessageIn("fr", {
        message: "token problem",
        messageKey: "account.token_issue",
        messageParams: { issue: "toString", title: "t", remedy: "r" },
      }),
    ).toBe("token problem");
    // A number param missing from the row: the English still says what happened.
    expect(
      activityMessageIn("fr", {
        message: "12 assignments released at Apple",
        messageKey: "account.cleared",
        messageParams: {},
      }),
    ).toBe("12 assignments released at Apple");
    expect(activityMessageIn("fr", {})).toBe("");
  });
});
