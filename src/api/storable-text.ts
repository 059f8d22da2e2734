import { z } from "zod";

/**
 * No text a request sends may hold U+0000, which PostgreSQL cannot store (nor compare with),
 * nor a lone surrogate (`"\ud800"` in JSON), which is not Unicode text and would be stored as
 * U+FFFD. Refused as its field's 400 wherever it is (body, query string, path), once the
 * route's own schema has passed (a route's words come first: "no control characters").
 */
export const STORABLE_TEXT = z.unknown().superRefine((value, ctx) => {
  for (const { path, message } of unstorable(value)) ctx.addIssue({ code: "custom", path, message });
});

const NUL = "contains the NUL character (U+0000), which no text can hold";
const LONE_SURROGATE = "contains a lone surrogate (\\ud800 to \\udfff alone), which is not Unicode text";
const loneSurrogate = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

const problemOf = (text: string): string | undefined =>
  text.includes("\u0000") ? NUL : loneSurrogate.test(text) ? LONE_SURROGATE : undefined;

type Found = Array<{ path: PropertyKey[]; message: string }>;

/** Where `value` holds text it cannot store, in a key or a string; bounded: a body is at most 1 MiB. */
function unstorable(value: unknown, path: PropertyKey[] = [], found: Found = []): Found {
  if (found.length >= 20 || path.length > 32) return found;
  if (typeof value === "string") {
    const message = problemOf(value);
    if (message) found.push({ path, message });
  } else if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) unstorable(item, [...path, i], found);
  } else if (typeof value === "object" && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      const message = problemOf(key);
      if (message) found.push({ path: [...path, key], message });
      else unstorable(item, [...path, key], found);
    }
  }
  return found;
}
