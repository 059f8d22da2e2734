import { InvalidArgumentError, Option } from "commander";
import { label } from "../api/schemas.js";
import { localeLanguage } from "../config.js";
import { LANGUAGES, type Language } from "../service/decision-texts.js";

/**
 * A whole number as people write one: decimal digits only. `Number()` alone would take
 * "0x10", "1e3", "1.0" and " 5" (and 20 digits past the safe integers): typos, not numbers.
 */
export function parseDecimal(value: string): number | undefined {
  return /^[0-9]{1,15}$/.test(value) ? Number(value) : undefined;
}

/** A whole number from `min` to `max` from the command line, else commander's one-line refusal. */
function wholeNumber(min: number, max: number, expected: string): (value: string) => number {
  return (value) => {
    const n = parseDecimal(value);
    if (n === undefined || n < min || n > max) throw new InvalidArgumentError(expected);
    return n;
  };
}

/** A TCP port (0-65535) from the command line. */
export const parsePort = wholeNumber(0, 65_535, "expected a number from 0 to 65535");

/** A whole number from 1 to `max` from the command line. */
export function parsePositive(max: number): (value: string) => number {
  return wholeNumber(1, max, `expected a whole number from 1 to ${max}`);
}

/** A duration in milliseconds, 0 to `max`, from the command line. */
export function parseMilliseconds(max: number): (value: string) => number {
  return wholeNumber(0, max, `expected milliseconds, a whole number from 0 to ${max}`);
}

/**
 * A name a person types (`--login`, `--name`), refused as the API refuses it (`label`:
 * 1-200 characters once trimmed, no control characters): the CLI never stores what the
 * console could not.
 */
export function parseLabel(value: string): string {
  const parsed = label.safeParse(value);
  if (!parsed.success) throw new InvalidArgumentError("expected 1 to 200 characters, no control characters");
  return parsed.data;
}

/**
 * A value that may not be empty: `--space ""` or `--output ""` is a script's unset variable,
 * never the default space or stdout.
 */
export function nonEmpty(expected: string): (value: string) => string {
  return (value) => {
    if (value.trim() === "") throw new InvalidArgumentError(`expected ${expected}`);
    return value;
  };
}

/** A file to write or keep state in. */
export const parseFilePath = nonEmpty("a file's path");

/** `--lang en|fr`: the language of decision texts (summaries, rule sentences). */
export function languageOption(): Option {
  return new Option(
    "--lang <language>",
    "language of the decision texts (default: from LC_ALL, LC_MESSAGES or LANG, else en)",
  ).choices(LANGUAGES);
}

/** The --lang given, else the POSIX locale's language, else English. */
export function languageOf(flag: Language | undefined): Language {
  return flag ?? localeLanguage();
}
