import i18next from "i18next";
import { beforeAll, expect, it } from "vitest";
import { HTTP_ERROR, wordedFieldError, wordedProblem } from "../../web/src/api/field-errors.js";
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
  expect(wordedFieldError(error("invalid_type", { expected: "number" }))).toBe("Attendu\u00a0: un nombre.");
  expect(wordedFieldError(error("invalid_value", { values: "read, manage" }))).toBe(
    "Valeurs possibles\u00a0: read, manage.",
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

it("a refusal without a rule is worded from its code, a form's own words first; a not-found keeps the id it names", async () => {
  await i18next.changeLanguage("fr");
  const taken = { field: "body.name", message: 'a group of this space is already named "X"' };
  expect(wordedFieldError(taken, "duplicate_name", "group")).toBe("Un autre groupe porte déjà ce nom.");
  expect(wordedFieldError(taken, "duplicate_name", "account")).toBe("Un autre compte porte déjà ce nom.");
  expect(wordedFieldError(taken, "duplicate_name")).toBe("Un autre élément porte déjà ce nom.");
  expect(
    wordedFieldError({ field: "body.userIds.0", message: "user u-42 does not exist" }, "not_found"),
  ).toBe(
    "Aucun élément n'a l'identifiant u-42\u00a0: il a peut-être été supprimé, ou appartient à un autre espace.",
  );
  // A rule the console has no words for (DI7's, checked with the request): the server's, not the request's code.
  expect(
    wordedFieldError(
      { field: "body.reservedUserIds", message: "user u1 is also prohibited (DI7)", rule: "custom" },
      "validation_failed",
    ),
  ).toBe("user u1 is also prohibited (DI7)");
  // A code the console has no words for (DI7's): the server's.
  expect(
    wordedFieldError(
      { field: "body.reservedUserIds", message: "user u1 is also prohibited" },
      "reserved_and_prohibited",
    ),
  ).toBe("user u1 is also prohibited");
  await i18next.changeLanguage("en");
});

it("a problem is worded from its code, else (in French) from its HTTP status; in English the server's own words stay", async () => {
  const problem = (status: number, code: string, title: string, detail?: string) => ({
    type: `/problems/${code}`,
    status,
    code,
    title,
    ...(detail ? { detail } : {}),
  });
  await i18next.changeLanguage("fr");
  expect(wordedProblem(problem(429, "rate_limited", "Too many requests", "wait"))).toBe(
    "Trop de requêtes\u00a0: patientez un instant, puis réessayez.",
  );
  expect(wordedProblem(problem(409, "something_new", "Something new", "in English"))).toBe(
    "Le serveur a répondu HTTP 409 Conflit.",
  );
  expect(wordedProblem(problem(502, HTTP_ERROR, "HTTP 502"))).toBe(
    "Le serveur a répondu HTTP 502 Mauvaise passerelle.",
  );
  expect(wordedProblem(problem(418, "teapot", "I'm a teapot"))).toBe("I'm a teapot");
  await i18next.changeLanguage("en");
  expect(wordedProblem(problem(429, "rate_limited", "Too many requests", "wait"))).toBe(
    "Too many requests: wait a moment, then try again.",
  );
  expect(wordedProblem(problem(409, "something_new", "Something new", "in English"))).toBe(
    "Something new: in English",
  );
  expect(wordedProblem(problem(502, HTTP_ERROR, "HTTP 502"))).toBe(
    "The server answered HTTP 502 Bad Gateway.",
  );
});

it("DI6: more reservations than free licenses is worded in the console's language with the figures, agreeing in number", async () => {
  const refusal = (needed: number) => ({
    field: "body.reservedDeviceIds",
    message: "the server's English",
    limits: { needed, free: 0, total: 40 },
  });
  await i18next.changeLanguage("fr");
  expect(wordedFieldError(refusal(1), "reservations_exceed_licenses")).toBe(
    "Une réservation demande une licence libre\u00a0: 0 sur 40 le sont (DI6). Libérez d'abord une licence, ou réservez moins.",
  );
  await i18next.changeLanguage("en");
  expect(wordedFieldError(refusal(3), "reservations_exceed_licenses")).toBe(
    "These reservations need 3 free licenses: 0 of 40 are free (DI6). Free licenses first, or reserve fewer.",
  );
});
