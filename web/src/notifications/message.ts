import { useTranslation } from "react-i18next";
import type { Notification } from "../api/types";
import { useFormat } from "../ui/format";

/** What a notification's words are made of (a delivery carries these of its notification too). */
type Worded = Pick<Notification, "messageKey" | "messageParams">;

/** The components the server names (in English), by their word in `notificationComponent.*`. */
const COMPONENT_KEYS: Record<string, string> = { "Apps and Books": "appsAndBooks" };

/**
 * A notification's words in the console's language, from its catalogue key and params
 * (src/store/notification-messages.ts; the words are `notificationMessages.*` of en.json and
 * fr.json): its title, its remedy and its component. A notification raised before keys, or
 * whose key this console has no words for, shows the English the server stored.
 */
export function useNotificationText() {
  const { t } = useTranslation();
  const f = useFormat();
  const words = (n: Worded, part: "title" | "remedy", stored: string) => {
    if (!n.messageKey) return stored;
    const params = n.messageParams ?? {};
    // `replace`, not the options themselves: a param named like an option stays a param;
    // `count`, when the message has one, also picks the plural form.
    const replace = Object.fromEntries(
      Object.entries(params).map(([name, value]) => [
        name,
        typeof value === "number" ? f.number(value) : value,
      ]),
    );
    const count = typeof params.count === "number" ? { count: params.count } : {};
    return t(`notificationMessages.${n.messageKey}.${part}`, { replace, ...count, defaultValue: stored });
  };
  return {
    title: (n: Worded & Pick<Notification, "title">) => words(n, "title", n.title),
    remedy: (n: Notification) => {
      const stored = typeof n.details.remedy === "string" ? n.details.remedy : "";
      return words(n, "remedy", stored);
    },
    component: (n: Notification) => {
      const key = COMPONENT_KEYS[n.component];
      return key ? t(`notificationComponent.${key}`, { defaultValue: n.component }) : n.component;
    },
  };
}
