import { describe, expect, it } from "vitest";
import { foldForSearch, keysMatching } from "../../web/src/i18n/message-search.js";
import { words } from "./console-words.js";

/** The keys the console sends with a search of the activity log or the notifications (invariant 4, NT3). */
describe("message keys a search names", () => {
  const activity = { en: words.en.activityMessages, fr: words.fr.activityMessages };
  const notifications = { en: words.en.notificationMessages, fr: words.fr.notificationMessages };

  it("invariant 4: matches the words of the console's language, whatever the case and the accents", () => {
    const granted = [
      "license.granted_user",
      "license.granted_user_reserved",
      "license.granted_device",
      "license.granted_device_reserved",
    ];
    // "compte supprimé : licence accordée pendant la suppression…" too.
    const accorded = [...granted, "license.account_deleted_granted_meanwhile"];
    expect(keysMatching(activity.fr, "accordée")).toEqual(accorded);
    expect(keysMatching(activity.fr, "ACCORDEE")).toEqual(accorded);
    expect(keysMatching(activity.fr, "  Accordee ")).toEqual(accorded);
    expect(keysMatching(activity.fr, "licence réservée par appareil")).toEqual([
      "license.granted_device_reserved",
    ]);
    // English words are not French ones, and the other way round.
    expect(keysMatching(activity.en, "accordée")).toEqual([]);
    expect(keysMatching(activity.fr, "granted")).toEqual([]);
    expect(keysMatching(activity.en, "Granted, Assignment")).toEqual(granted);
    // A typographic apostrophe matches the catalogue's straight one.
    expect(keysMatching(activity.fr, "d’envoi")).toEqual(keysMatching(activity.fr, "d'envoi"));
    expect(keysMatching(activity.fr, "d’envoi")).toContain("license.release_queued");
  });

  it("invariant 4: ignores placeholders, their names and the words a param picks; a blank text names none", () => {
    // {{name}} in "compte {{name}} ajouté": neither its name nor across it.
    expect(keysMatching(activity.fr, "name")).toEqual([]);
    expect(keysMatching(activity.fr, "{{")).toEqual([]);
    expect(keysMatching(activity.fr, "compte ajouté")).toEqual([]);
    expect(keysMatching(activity.fr, "ajouté")).toEqual(["account.added", "group.members_added"]);
    // $t(health.{{issue}}.label): the words differ by line, so no key stands for them.
    expect(keysMatching(activity.fr, "health")).toEqual([]);
    expect(keysMatching(activity.fr, "Jeton expiré")).toEqual([]);
    expect(keysMatching(activity.fr, "")).toEqual([]);
    expect(keysMatching(activity.fr, "   ")).toEqual([]);
  });

  it("NT3: a notification's key by its title, in every plural form, not by its remedy", () => {
    expect(keysMatching(notifications.fr, "atteints", "title")).toEqual(["usage.reached"]);
    expect(keysMatching(notifications.fr, "EXPIRE DANS", "title")).toEqual(["token.expiring"]);
    expect(keysMatching(notifications.fr, "jours", "title")).toEqual(["token.expiring"]);
    expect(keysMatching(notifications.en, "days", "title")).toEqual(["token.expiring"]);
    // "Générez un nouveau jeton" is the remedy of token.expiring, not its title.
    expect(keysMatching(notifications.fr, "générez", "title")).toEqual([]);
    expect(keysMatching(notifications.fr, "générez")).toEqual(["token.expiring.remedy"]);
  });

  it("folds case, accents, apostrophes and spaces", () => {
    expect(foldForSearch("Réservée À l’Élève\u00a0 Œuvre")).toBe("reservee a l'eleve œuvre");
  });
});
