import { useTranslation } from "react-i18next";

/**
 * Which catalogue messages a search names, in the console's own words. The server keeps
 * each line's English text and its message key: it can match the English, not the words a
 * French administrator reads. So the console sends, beside `q`, the keys whose words
 * contain it (`keys` of the activity and notifications lists).
 */

/** A text as search compares it: lower case, without accents, one kind of apostrophe and space. */
export function foldForSearch(text: string): string {
  return text
    .normalize("NFD")
    .replace(/\p{M}/gu, "")
    .replace(/[’‘ʼ]/g, "'")
    .replace(/\s+/g, " ")
    .toLowerCase();
}

/**
 * The fixed words of a message: the pieces between its placeholders. A `{{param}}` is the
 * line's own data (a name, a number), which the server searches itself; a `$t(…)` nesting
 * names its words by a param (`health.{{issue}}.label`), so they differ from line to line
 * and no key can stand for them.
 */
function fixedWords(template: string): string[] {
  return template
    .split(/\$t\([^)]*\)|\{\{[^}]*\}\}/)
    .map(foldForSearch)
    .filter((piece) => piece.trim() !== "");
}

/** i18next's plural suffixes: `title_one` and `title_other` are both the words of `title`. */
const PLURAL = /_(zero|one|two|few|many|other)$/;

/**
 * The message keys of a catalogue (`activityMessages` or `notificationMessages` of the
 * console's words in one language) whose fixed words contain `text`, case- and
 * accent-insensitively. A key's words are its leaf, or with `part` its `part` leaf
 * (`title` of a notification), in every plural form. None for a blank text.
 */
export function keysMatching(catalogue: unknown, text: string, part?: string): string[] {
  const wanted = foldForSearch(text).trim();
  if (wanted === "") return [];
  const keys = new Set<string>();
  for (const [path, template] of leaves(catalogue)) {
    const name = path.replace(PLURAL, "");
    const key =
      part === undefined ? name : name.endsWith(`.${part}`) ? name.slice(0, -part.length - 1) : null;
    if (key !== null && fixedWords(template).some((piece) => piece.includes(wanted))) keys.add(key);
  }
  return [...keys];
}

function leaves(tree: unknown, prefix = ""): [string, string][] {
  if (typeof tree !== "object" || tree === null) return [];
  return Object.entries(tree).flatMap(([name, value]): [string, string][] =>
    typeof value === "string" ? [[`${prefix}${name}`, value]] : leaves(value, `${prefix}${name}.`),
  );
}

/**
 * The `keys` a list sends with its search `q` (comma-separated): those of `catalogue` whose
 * words in the console's current language contain `q`. Undefined when none does.
 */
export function useSearchKeys(
  catalogue: "activityMessages" | "notificationMessages",
  q: string | undefined,
  part?: string,
): string | undefined {
  const { i18n } = useTranslation();
  if (!q) return undefined;
  const keys = keysMatching(i18n.getResourceBundle(i18n.language, "translation")?.[catalogue], q, part);
  return keys.length > 0 ? keys.join(",") : undefined;
}
