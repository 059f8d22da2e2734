import { z } from "zod";

/**
 * No text a request sends may hold U+0000: PostgreSQL cannot store it (nor compare with it),
 * so a name, a search or an id with one would fail in the database. Refused up front as
 * its field's 400, wherever it is (body, query string, path), before the route's schema.
 */
export const NO_NUL = z.unknown().superRefine((value, ctx) => {
  for (const path of nulPaths(value)) ctx.addIssue({ code: "custom", path, message: NUL_MESSAGE });
});

const NUL_MESSAGE = "contains the NUL character (U+0000), which no text can hold";

/** Where `value` holds a NUL, in a key or a string; bounded: a body is at most 1 MiB. */
function nulPaths(value: unknown, path: PropertyKey[] = [], found: PropertyKey[][] = []): PropertyKey[][] {
  if (found.length >= 20 || path.length > 32) return found;
  if (typeof value === "string") {
    if (value.includes("\u0000")) found.push(path);
  } else if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) nulPaths(item, [...path, i], found);
  } else if (typeof value === "object" && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      if (key.includes("\u0000")) found.push([...path, key]);
      else nulPaths(item, [...path, key], found);
    }
  }
  return found;
}
