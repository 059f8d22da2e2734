import { z } from "zod";

/**
 * Apple's clientUserId of a user as a request or an import file gives it (POST users, PATCH
 * users, `orchard import --kind users`): the id an MDM registered the user under at Apple,
 * given so that Orchard knows a user Apple already has (AC7: the user's assignments are
 * adopted; no second registration). Apple asks only that it be unique in the organisation
 * and never change (a GUID, not an email): trimmed, 1 to 256 characters, no spaces nor
 * control characters (a pasted line break would name another user), compared exactly.
 */
export const clientUserIdInput = z
  .string()
  .trim()
  .min(1, "a clientUserId is required: it is empty once spaces are trimmed")
  .max(256)
  .regex(/^[^\s\p{Cc}]+$/u, "a clientUserId has no spaces nor control characters");
