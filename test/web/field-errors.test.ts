import i18next from "i18next";
import { beforeAll, expect, it } from "vitest";
import { wordedFieldError } from "../../web/src/api/field-errors.js";
import { initConsoleI18n } from "./console-words.js";

beforeAll(async () => {
  await initConsoleI18n("fr", "en");
});

it("a field's error is worded in the console's language from the rule it broke, else the server's English", async () => {
  const error = (rule: string, limits: Record<string, string | number>, message = "zod's English") => ({
    field: "body.name",
    message,
    rule,
    limits,
  });
  await i18next.changeLanguage("fr");
  expect(wordedFieldError(error("too_small", { minimum: 1, origin: "string" }))).toBe("Obligatoire.");
  expect(wordedFieldError(error("too_small", { minimum: 12, origin: "string" }))).toBe(
    "Au moins 12 caractères.",
  );
  expect(wordedFieldError(error("too_big", { maximum: 200, origin: "string" }))).toBe(
    "Au plus 200 caractères.",
  );
  expect(wordedFieldError(error("invalid_type", { expected: "number" }))).toBe("Attendu : un nombre.");
  expect(wordedFieldError(error("invalid_value", { values: "read, manage" }))).toBe(
    "Valeurs possibles : read, manage.",
  );
  expect(wordedFieldError(error("invalid_format", { format: "email", origin: "string" }))).toBe(
    "Adresse e-mail non valide.",
  );
  // A format the console has no words for: the server's.
  expect(wordedFieldError(error("invalid_format", { format: "uuid", origin: "string" }))).toBe(
    "zod's English",
  );
  // A rule of the domain (DI7) says it best in its own words; so does an error without a rule.
  expect(wordedFieldError(error("custom", {}, "user u1 is also prohibited (DI7)"))).toBe(
    "user u1 is also prohibited (DI7)",
  );
  expect(
    wordedFieldError({ field: "body.name", message: 'an account of this space is already named "X"' }),
  ).toBe('an account of this space is already named "X"');
  await i18next.changeLanguage("en");
  expect(wordedFieldError(error("too_small", { minimum: 2, origin: "array" }))).toBe("Choose at least 2.");
});
