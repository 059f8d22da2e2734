import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import i18next from "i18next";

/** The console's words (web/src/i18n/*.json) for the tests that check them against the server. */
export type Tree = Record<string, unknown>;

export const LANGUAGES = ["en", "fr"] as const;
export type Language = (typeof LANGUAGES)[number];

const load = (lng: Language) =>
  JSON.parse(readFileSync(resolve(import.meta.dirname, `../../web/src/i18n/${lng}.json`), "utf8")) as Tree;

export const words: Record<Language, Tree> = { en: load("en"), fr: load("fr") };

/** The node at a dotted path ("explain.summary.grant"). */
export const at = (tree: Tree, path: string): unknown =>
  path.split(".").reduce<unknown>((node, part) => (node as Tree | undefined)?.[part], tree);

/** Every leaf's dotted path. */
export const leaves = (tree: Tree, prefix = ""): string[] =>
  Object.entries(tree).flatMap(([k, v]) =>
    typeof v === "object" && v !== null ? leaves(v as Tree, `${prefix}${k}.`) : [`${prefix}${k}`],
  );

/** The {{names}} a text interpolates, sorted. */
export const placeholders = (text: string) =>
  [...text.matchAll(/\{\{\s*(\w+)/g)].map((m) => m[1] ?? "").sort();

/** i18next with the console's words, as web/src/i18n/index.ts sets it up. */
export function initConsoleI18n(lng: Language, fallbackLng: Language | false) {
  return i18next.init({
    resources: { en: { translation: words.en }, fr: { translation: words.fr } },
    lng,
    fallbackLng,
    interpolation: { escapeValue: false },
  });
}
