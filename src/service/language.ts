import { DEFAULT_LANGUAGE, LANGUAGES, type Language } from "./decision-texts.js";

/** A language range of Accept-Language (RFC 9110 §12.5.4, RFC 4647 §2.1), or `*`. */
const RANGE = /^(?:\*|[a-z]{1,8}(?:-[a-z0-9]{1,8})*)$/i;
/** A weight (RFC 9110 §12.4.2): 0 to 1, at most three decimals. */
const QVALUE = /^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/;

interface Match {
  q: number;
  /** 3: the range is the language (`fr`); 2: a variant of it (`fr-FR`); 1: `*`. */
  specificity: number;
  /** Where the range is in the header: the first of equal weights wins. */
  position: number;
}

/**
 * The language to answer in for an Accept-Language header: the one of LANGUAGES the
 * client weighs highest. `fr-FR` asks for French; `fr;q=0` refuses it; for each language
 * the most specific range that names it decides its weight (`fr;q=0, *` is not French).
 * Equal weights go to the range listed first. Nothing acceptable, a missing or a
 * malformed header: English. Malformed entries are skipped, the others still count.
 */
export function negotiateLanguage(header: string | readonly string[] | undefined): Language {
  const text = typeof header === "string" ? header : (header ?? []).join(",");
  const best = new Map<Language, Match>();
  for (const [position, entry] of text.split(",").entries()) {
    const [rangePart = "", ...params] = entry.split(";").map((p) => p.trim());
    if (!RANGE.test(rangePart)) continue;
    let q: number | undefined = 1;
    for (const param of params) {
      const weight = /^q\s*=\s*(.*)$/i.exec(param)?.[1];
      if (weight !== undefined) q = QVALUE.test(weight) ? Number(weight) : undefined;
    }
    if (q === undefined) continue;
    const range = rangePart.toLowerCase();
    for (const language of LANGUAGES) {
      const specificity =
        range === language ? 3 : range.startsWith(`${language}-`) ? 2 : range === "*" ? 1 : 0;
      if (specificity === 0) continue;
      const current = best.get(language);
      if (
        !current ||
        specificity > current.specificity ||
        (specificity === current.specificity && q > current.q)
      )
        best.set(language, { q, specificity, position });
    }
  }
  let chosen: { language: Language; q: number; position: number } | undefined;
  for (const language of LANGUAGES) {
    const match = best.get(language);
    if (!match || match.q === 0) continue;
    if (!chosen || match.q > chosen.q || (match.q === chosen.q && match.position < chosen.position))
      chosen = { language, q: match.q, position: match.position };
  }
  return chosen?.language ?? DEFAULT_LANGUAGE;
}

/** `fr`, `fr_FR.UTF-8`, `fr-CA@euro` → fr; `C`, `POSIX`, `en_GB`, anything else → undefined or en. */
export function languageOfLocale(locale: string): Language | undefined {
  const primary =
    locale
      .trim()
      .split(/[_.@-]/, 1)[0]
      ?.toLowerCase() ?? "";
  return LANGUAGES.find((l) => l === primary);
}

/**
 * The language of the POSIX locale: LC_ALL, else LC_MESSAGES, else LANG (the first one
 * set and non-empty decides, as for any program's messages); not one of LANGUAGES: English.
 */
export function languageOfEnvironment(env: Readonly<Record<string, string | undefined>>): Language {
  const locale = [env.LC_ALL, env.LC_MESSAGES, env.LANG].find((v) => v !== undefined && v !== "");
  return (locale !== undefined ? languageOfLocale(locale) : undefined) ?? DEFAULT_LANGUAGE;
}

export function isLanguage(value: string): value is Language {
  return (LANGUAGES as readonly string[]).includes(value);
}
