/**
 * UB2: where a user's registration at Apple stands, as the console, the API and the CLI
 * show it. `invited`: Apple registered them (Registered) and gave an invitation they have not
 * accepted yet; `enrolled`: they accepted it (Associated); `registering`: Orchard asked Apple
 * and waits for its answer; `retired`: Apple retired them (inviting them again registers anew).
 * A module of its own, free of Node: the console's types read it through the API's schemas.
 */
export const REGISTRATIONS = ["not_registered", "registering", "invited", "enrolled", "retired"] as const;
export type Registration = (typeof REGISTRATIONS)[number];

/**
 * Where the users stand, as a list filters them: each registration (`REGISTRATIONS`), and
 * `not_invited`, the users an invitation would register: never registered, or retired by
 * Apple (a registration on its way counts here until Apple answers).
 */
export const REGISTRATION_FILTERS = [
  "enrolled",
  "invited",
  "not_invited",
  "registering",
  "not_registered",
  "retired",
] as const;
export type RegistrationFilter = (typeof REGISTRATION_FILTERS)[number];
