import i18next from "i18next";

/** A field's error in a problem document (src/api/problem.ts `errors[]`). */
export interface ProblemFieldError {
  field: string;
  message: string;
  rule?: string | undefined;
  limits?: Record<string, string | number> | undefined;
}

/**
 * A field's error in the console's language, from the rule it broke and the rule's figures
 * (`fieldErrors.*`), else, without a rule, from the refusal's code (`errors.codes.*`:
 * `duplicate_name` on `name`, the form's own words first); the server's English when the
 * console has no words for it (a rule of the domain, e.g. DI7's "reserved and prohibited",
 * says it best itself).
 */
export function wordedFieldError(e: ProblemFieldError, code?: string, form?: string): string {
  const limits = e.limits ?? {};
  const origin = typeof limits.origin === "string" ? limits.origin : "string";
  const key = (() => {
    switch (e.rule) {
      case "too_small":
        return origin === "string" && limits.minimum === 1
          ? "fieldErrors.required"
          : `fieldErrors.tooSmall.${origin}`;
      case "too_big":
        return `fieldErrors.tooBig.${origin}`;
      case "invalid_type":
        return "fieldErrors.invalidType";
      case "invalid_value":
        return "fieldErrors.invalidValue";
      case "invalid_format":
        return typeof limits.format === "string" ? `fieldErrors.invalidFormat.${limits.format}` : undefined;
      default:
        return undefined;
    }
  })();
  // A field error without a rule is the refusal itself (duplicate_name on `name`): its code's words.
  if (!key || !i18next.exists(key))
    return (!e.rule && code && wordedCode(code, e.message, form, limits)) || e.message;
  const expected = typeof limits.expected === "string" ? limits.expected : "";
  return String(
    i18next.t(key, {
      ...limits,
      expected: String(i18next.t(`fieldErrors.types.${expected}`, { defaultValue: expected })),
    }),
  );
}

/**
 * The console's words for a refusal's code (`errors.codes.<code>`): a form's own first
 * (`duplicate_name_group`), then with the id a `not_found` names (`not_found_id`: the server
 * says "user <id> does not exist"), then the code's.
 */
export function wordedCode(
  code: string,
  detail?: string,
  form?: string,
  /** The refusal's figures (a field error's `limits`: DI6's free licenses), for its words. */
  figures: Record<string, string | number> = {},
): string | undefined {
  const id = code === "not_found" ? /^\w+ (\S+) does not exist/.exec(detail ?? "")?.[1] : undefined;
  // A count the words agree with (DI6: how many reservations need a license).
  const count = typeof figures.needed === "number" ? { count: figures.needed } : {};
  const key = [form && `${code}_${form}`, id && `${code}_id`, code]
    .filter(Boolean)
    .map((k) => `errors.codes.${k}`)
    .find((k) => i18next.exists(k, count));
  return key ? i18next.t(key, { ...figures, ...count, id }) : undefined;
}

/**
 * What of a problem document (api/types.ts `Problem`) the console words: stated here, since
 * the server's tests import this module, and the wire types reach src/ without extensions.
 */
export interface WordedProblem {
  status: number;
  code: string;
  title: string;
  detail?: string | null | undefined;
}

/** The code the console gives an error answer that is not a problem document (a proxy's 502 page). */
export const HTTP_ERROR = "http_error";

/**
 * A refusal of the API in the console's language: its code's words; else, the server
 * speaking English, its own words on an English console; else the HTTP status
 * ("Le serveur a répondu HTTP 409 Conflit."); the server's words when the console has none.
 */
export function wordedProblem(p: WordedProblem): string {
  const worded = wordedCode(p.code, p.detail ?? undefined);
  if (worded) return worded;
  const server = p.detail && p.detail !== p.title ? `${p.title}: ${p.detail}` : p.title;
  if (p.code !== HTTP_ERROR && i18next.resolvedLanguage === "en") return server;
  const status = statusWords(p.status);
  return status ? i18next.t("errors.refused", { status }) : server;
}

/** An HTTP status with its phrase in the console's language ("401 Non autorisé"); none for a status it has no words for. */
export function statusWords(status: number): string | undefined {
  const phrase = i18next.t(`errors.httpStatus.${status}`, { defaultValue: "" });
  return phrase ? `${status} ${phrase}` : undefined;
}
