/**
 * NT3: the words of a notification e-mail in its reader's language. English is the server's
 * own (the titles and remedies stored with each notification, src/store/notification-messages.ts);
 * French is the console's (web/src/i18n/fr.json, read once when a French e-mail is first
 * written), so that an e-mail says what the console says, in the same words.
 */
import { readFileSync } from "node:fs";
import i18next, { type TFunction } from "i18next";
import type { Language } from "../store/auth.repo.js";
import type { Notification } from "../store/index.js";

export interface EmailWords {
  title(n: Notification): string;
  remedy(n: Notification): string | undefined;
  severity(n: Notification): string;
  /** The notification's type and component, as one line says them. */
  kind(n: Notification): string;
  label: Record<"whatToDo" | "space" | "account" | "app" | "severity" | "raised" | "type" | "link", string>;
  /** Between a label and its value: French typography puts a space before the colon. */
  colon: string;
}

const english: EmailWords = {
  title: (n) => n.title,
  remedy: (n) => (typeof n.details.remedy === "string" ? n.details.remedy : undefined),
  severity: (n) => n.severity,
  kind: (n) => `${n.kind} (${n.component})`,
  label: {
    whatToDo: "What to do",
    space: "Space",
    account: "Account",
    app: "App",
    severity: "Severity",
    raised: "Raised",
    type: "Type",
    link: "In Orchard",
  },
  colon: ": ",
};

export function emailWords(language: Language): EmailWords {
  if (language === "en") return english;
  try {
    french ??= catalogueWords("fr");
    return french;
  } catch {
    // Without the console's catalogue (an install that left web/ out) a reader still gets
    // the e-mail, in English; the file is not looked for again at every e-mail.
    french = english;
    return english;
  }
}

let french: EmailWords | undefined;

/** The components the server names (in English), by their word in `notificationComponent.*` (as the console). */
const COMPONENT_KEYS: Record<string, string> = { "Apps and Books": "appsAndBooks" };

function catalogueWords(language: Exclude<Language, "en">): EmailWords {
  const read = (lng: Language) =>
    JSON.parse(readFileSync(new URL(`../../web/src/i18n/${lng}.json`, import.meta.url), "utf8")) as object;
  const i18n = i18next.createInstance();
  void i18n.init({
    resources: { en: { translation: read("en") }, [language]: { translation: read(language) } },
    lng: language,
    fallbackLng: "en",
    interpolation: { escapeValue: false },
    returnNull: false,
    initAsync: false,
  });
  const t: TFunction = i18n.t.bind(i18n);
  const numbers = new Intl.NumberFormat(language);
  // As the console words a notification (web/src/notifications/message.ts): its key and params.
  const words = (n: Notification, part: "title" | "remedy", stored: string) => {
    if (!n.messageKey) return stored;
    const params = n.messageParams ?? {};
    const replace = Object.fromEntries(
      Object.entries(params).map(([name, value]) => [
        name,
        typeof value === "number" ? numbers.format(value) : value,
      ]),
    );
    const count = typeof params.count === "number" ? { count: params.count } : {};
    return t(`notificationMessages.${n.messageKey}.${part}`, { replace, ...count, defaultValue: stored });
  };
  return {
    title: (n) => words(n, "title", n.title),
    remedy: (n) => {
      const stored = english.remedy(n);
      const said = words(n, "remedy", stored ?? "");
      return said === "" ? undefined : said;
    },
    severity: (n) => t(`severity.${n.severity}`, { defaultValue: n.severity }),
    kind: (n) => {
      const component = COMPONENT_KEYS[n.component];
      return `${t(`notificationKind.${n.kind}`, { defaultValue: n.kind })} (${
        component ? t(`notificationComponent.${component}`, { defaultValue: n.component }) : n.component
      })`;
    },
    label: {
      whatToDo: t("notificationEmail.whatToDo"),
      space: t("notificationEmail.space"),
      account: t("notificationEmail.account"),
      app: t("notificationEmail.app"),
      severity: t("notificationEmail.severity"),
      raised: t("notificationEmail.raised"),
      type: t("notificationEmail.type"),
      link: t("notificationEmail.link"),
    },
    // French: a no-break space keeps the colon with its label.
    colon: "\u00a0: ",
  };
}
