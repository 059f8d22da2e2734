import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { expect, describe as group, it } from "vitest";
import {
  type Decision,
  type LicenseType,
  type RefuseReason,
  RULE_IDS,
  type RuleId,
  type WaitReason,
} from "../../src/licensing/index.js";
import { DECISION_TEXTS, LANGUAGES } from "../../src/service/decision-texts.js";
import { describe, describeRules, RULE_SENTENCES } from "../../src/service/describe.js";

const root = resolve(import.meta.dirname, "../..");
const consoleText = (lng: string) =>
  JSON.parse(readFileSync(resolve(root, `web/src/i18n/${lng}.json`), "utf8")) as {
    ruleText: Record<string, string>;
    reasons: Record<string, string>;
    licenseType: Record<string, string>;
    explain: { selfPurchase: string };
  };

/** The members of a string-literal union of src/licensing/types.ts, read from the source: a new one shows here. */
function unionOf(name: string): string[] {
  const source = readFileSync(resolve(root, "src/licensing/types.ts"), "utf8");
  const body = new RegExp(`export type ${name} =([^;]+);`).exec(source)?.[1] ?? "";
  return [...body.matchAll(/"([a-z_]+)"/g)].map((m) => m[1] ?? "");
}
const WAIT_REASONS = unionOf("WaitReason") as WaitReason[];
const REFUSE_REASONS = unionOf("RefuseReason") as RefuseReason[];
const TYPES: LicenseType[] = ["user", "device"];

/** Every shape a decision can have, for the account `accountId`. */
function everyDecision(accountId = "acc-1"): Decision[] {
  const because: RuleId[] = ["MA1", "LT3"];
  return [
    ...TYPES.flatMap((type): Decision[] => [
      { outcome: "grant", accountId, type, reserved: true, because },
      { outcome: "grant", accountId, type, reserved: false, because },
      { outcome: "keep", licenseId: "lic-1", accountId, type, because },
    ]),
    ...WAIT_REASONS.flatMap((reason): Decision[] => [
      { outcome: "wait", reason, because },
      { outcome: "wait", reason, userMay: "self_purchase", because },
    ]),
    ...REFUSE_REASONS.flatMap((reason): Decision[] => [
      { outcome: "refuse", reason, because },
      { outcome: "refuse", reason, userMay: "self_purchase", because },
    ]),
  ];
}

group("decision texts: every rule id and reason in English and French", () => {
  it("the licensing types' unions are read (the completeness tests below see every reason)", () => {
    expect(WAIT_REASONS).toEqual(["not_enrolled", "no_license", "token_problem", "apple_refused"]);
    expect(REFUSE_REASONS).toContain("not_device_assignable");
    expect(REFUSE_REASONS.length).toBeGreaterThanOrEqual(12);
  });

  it("every RuleId has a non-empty sentence in every language", () => {
    for (const language of LANGUAGES)
      for (const id of RULE_IDS)
        expect(DECISION_TEXTS[language].rules[id], `${language} ${id}`).toMatch(/\S/);
    expect(Object.keys(DECISION_TEXTS.fr.rules).sort()).toEqual([...RULE_IDS].sort());
  });

  it("every WaitReason and RefuseReason has a non-empty clause in every language, and its own summary", () => {
    for (const language of LANGUAGES) {
      const t = DECISION_TEXTS[language];
      for (const reason of WAIT_REASONS) expect(t.wait[reason], `${language} wait ${reason}`).toMatch(/\S/);
      for (const reason of REFUSE_REASONS)
        expect(t.refuse[reason], `${language} refuse ${reason}`).toMatch(/\S/);
      // Two reasons never read the same: the summary says which one it is.
      const summaries = everyDecision().map((d) => describe(d, (id) => id, language).summary);
      expect(new Set(summaries).size).toBe(summaries.length);
    }
  });

  it("French rule sentences are the console's (web/src/i18n/fr.json ruleText.*): they cannot drift apart", () => {
    expect(DECISION_TEXTS.fr.rules).toEqual(consoleText("fr").ruleText);
  });

  it("French reasons, license types and LT3's self purchase use the console's words where they say the same", () => {
    const fr = consoleText("fr");
    const clause = (sentence: string | undefined) => (sentence ?? "").replace(/\.$/, "");
    const sameAsConsole: RefuseReason[] = [
      "apps_and_books_disabled",
      "not_in_catalog",
      "not_bought",
      "not_eligible",
      "not_device_assignable",
      "device_inactive",
      "not_distributed",
      "unsupported_platform",
      "no_license",
    ];
    for (const reason of sameAsConsole)
      expect(DECISION_TEXTS.fr.refuse[reason].toLowerCase(), reason).toBe(
        clause(fr.reasons[reason]).toLowerCase(),
      );
    expect(DECISION_TEXTS.fr.selfPurchase).toBe(` ${fr.explain.selfPurchase}`);
    for (const type of TYPES)
      expect(DECISION_TEXTS.fr.grant(type, false, "X")).toContain(
        `par ${fr.licenseType[type]?.toLowerCase()} `,
      );
  });
});

group("describe(): English as before, French on request", () => {
  it("PB3: a refusal for the device's platform, and a license kept there, say so in English and French", () => {
    const refused: Decision = { outcome: "refuse", reason: "unsupported_platform", because: ["PB3"] };
    expect(describe(refused).summary).toBe("No license: the app does not run on this device's platform.");
    expect(describe(refused, undefined, "fr").summary).toBe(
      "Pas de licence\u00a0: l'app ne fonctionne pas sur la plateforme de cet appareil.",
    );
    const kept: Decision = {
      outcome: "keep",
      licenseId: "l",
      accountId: "a",
      type: "device",
      because: ["LT1", "PB3"],
    };
    expect(describe(kept, () => "Main").summary).toBe(
      'The subject already holds a device-based license from account "Main" and keeps it. The app does not run on this device\'s platform: the license is kept, not revoked.',
    );
    expect(describe(kept, () => "Main", "fr").summary).toBe(
      "Le sujet détient déjà une licence par appareil du compte «\u00a0Main\u00a0» et la conserve. L'app ne fonctionne pas sur la plateforme de cet appareil\u00a0: la licence est conservée, pas révoquée.",
    );
    // Without PB3 a keep reads as before.
    expect(describe({ ...kept, because: ["LT1"] }, () => "Main").summary).not.toContain("platform");
    expect(describeRules(["PB3"], "fr")).toEqual([{ id: "PB3", sentence: consoleText("fr").ruleText.PB3 }]);
  });

  it("LT4, MA5: English summaries and sentences are unchanged (the default language)", () => {
    const name = (id: string) => (id === "acc-1" ? "Main" : id);
    const grant: Decision = {
      outcome: "grant",
      accountId: "acc-1",
      type: "device",
      reserved: true,
      because: ["MA5", "MA5"],
    };
    expect(describe(grant, name)).toEqual({
      outcome: "grant",
      summary: 'A device-based reserved license would be granted from account "Main".',
      rules: [{ id: "MA5", sentence: "A reservation beats priority: the reserved license is used." }],
    });
    expect(describe(grant, name, "en")).toEqual(describe(grant, name));
    const keep: Decision = {
      outcome: "keep",
      licenseId: "l",
      accountId: "acc-1",
      type: "user",
      because: ["LT4"],
    };
    expect(describe(keep, name).summary).toBe(
      'The subject already holds a user-based license from account "Main" and keeps it.',
    );
    expect(
      describe({ outcome: "wait", reason: "no_license", userMay: "self_purchase", because: ["DB2"] }).summary,
    ).toBe("No license now: it waits for a license to free up. The user may still buy the app themselves.");
    expect(describe({ outcome: "refuse", reason: "not_in_catalog", because: ["CA3"] }).summary).toBe(
      "No license: the app is not in this space's catalog.",
    );
    expect(RULE_SENTENCES).toBe(DECISION_TEXTS.en.rules);
    expect(describeRules(["MA3"])).toEqual([
      { id: "MA3", sentence: "Changing account priorities never revokes or moves an existing license." },
    ]);
  });

  it("MA5, LT4, UB2, LT3, CA3: French summaries with account names and license types (par appareil, par utilisateur)", () => {
    const name = () => "Main";
    const fr = (d: Decision) => describe(d, name, "fr").summary;
    expect(fr({ outcome: "grant", accountId: "a", type: "device", reserved: false, because: [] })).toBe(
      "Une licence par appareil serait attribuée depuis le compte «\u00a0Main\u00a0».",
    );
    expect(fr({ outcome: "grant", accountId: "a", type: "user", reserved: true, because: ["MA5"] })).toBe(
      "Une licence par utilisateur réservée serait attribuée depuis le compte «\u00a0Main\u00a0».",
    );
    expect(fr({ outcome: "keep", licenseId: "l", accountId: "a", type: "user", because: ["LT4"] })).toBe(
      "Le sujet détient déjà une licence par utilisateur du compte «\u00a0Main\u00a0» et la conserve.",
    );
    expect(fr({ outcome: "wait", reason: "not_enrolled", because: ["UB2"] })).toBe(
      "Pas de licence pour l'instant\u00a0: la demande attend que l'utilisateur accepte l'invitation Apps et livres.",
    );
    expect(
      fr({ outcome: "refuse", reason: "not_in_catalog", userMay: "self_purchase", because: ["CA3", "LT3"] }),
    ).toBe(
      "Pas de licence\u00a0: l'app n'est pas au catalogue de l'espace. L'utilisateur peut toujours acheter l'app lui-même.",
    );
    expect(describeRules(["LT3", "LT3", "CA3"], "fr")).toEqual([
      { id: "LT3", sentence: "Faute de licence, l'utilisateur peut acheter l'app lui-même." },
      { id: "CA3", sentence: consoleText("fr").ruleText.CA3 },
    ]);
  });
});
