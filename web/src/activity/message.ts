import { useTranslation } from "react-i18next";
import type { ActivityEntry } from "../api/types";
import { useFormat } from "../ui/format";

/**
 * An activity line's message in the console's language, from its catalogue key and params
 * (src/store/activity-messages.ts; the words are `activityMessages.*` of en.json and
 * fr.json). A line written before keys, or whose key this console has no words for, shows
 * the English text the server stored.
 */
export function useActivityMessage(): (entry: ActivityEntry) => string {
  const { t } = useTranslation();
  const f = useFormat();
  return (entry) => {
    const stored = entry.message ?? "";
    if (!entry.messageKey) return stored;
    // `replace`, not the options themselves: a param named like an option (count, context) stays a param.
    const replace = Object.fromEntries(
      Object.entries(entry.messageParams ?? {}).map(([name, value]) => [
        name,
        typeof value === "number" ? f.number(value) : value,
      ]),
    );
    return t(`activityMessages.${entry.messageKey}`, { replace, defaultValue: stored });
  };
}
