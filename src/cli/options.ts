import { InvalidArgumentError, Option } from "commander";
import { localeLanguage } from "../config.js";
import { LANGUAGES, type Language } from "../service/decision-texts.js";

/** A TCP port (0-65535) from the command line. */
export function parsePort(value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isInteger(n) || n < 0 || n > 65_535)
    throw new InvalidArgumentError("expected a number from 0 to 65535");
  return n;
}

/** A whole number from 1 to `max` from the command line. */
export function parsePositive(max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === "" || !Number.isInteger(n) || n < 1 || n > max)
      throw new InvalidArgumentError(`expected a whole number from 1 to ${max}`);
    return n;
  };
}

/** A duration in milliseconds, 0 to `max`, from the command line. */
export function parseMilliseconds(max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === "" || !Number.isInteger(n) || n < 0 || n > max)
      throw new InvalidArgumentError(`expected milliseconds, a whole number from 0 to ${max}`);
    return n;
  };
}

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
