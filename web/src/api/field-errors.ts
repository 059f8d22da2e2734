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
 * (`fieldErrors.*`); the server's English when the console has no words for it (a rule of
 * the domain, e.g. DI7's "reserved and prohibited", says it best itself).
 */
export function wordedFieldError(e: ProblemFieldError): string {
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
  if (!key || !i18next.exists(key)) return e.message;
  const expected = typeof limits.expected === "string" ? limits.expected : "";
  return String(
    i18next.t(key, {
      ...limits,
      expected: String(i18next.t(`fieldErrors.types.${expected}`, { defaultValue: expected })),
    }),
  );
}
