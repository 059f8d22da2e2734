import { z } from "zod";
import { OUTSIDE_STATUSES } from "../service/outside-status.js";
import { clientUserIdInput } from "../store/client-user-id-input.js";
import { adamId, dateTime, pageOf, withoutControlCharacters } from "./schemas.js";

/**
 * AC7: the wire shapes of an account's assignments made outside Orchard and of their
 * release (routes/outside-assignments.routes.ts), here so that the console's types reach
 * them (web/src/accounts/outside.ts) without the route's server code.
 */

/** The most assignments one release request names (a page of the list is at most 500). */
export const MAX_RELEASED = 1000;

export const outsideAssignmentSchema = z
  .object({
    adamId: z.string(),
    appName: z.string().optional(),
    pricingParam: z.string(),
    serialNumber: z.string().optional().describe("Apple's spelling; a device-based assignment"),
    clientUserId: z.string().optional().describe("a user-based assignment"),
    device: z
      .object({ id: z.string(), serialNumber: z.string(), status: z.string() })
      .optional()
      .describe("the device of the space with this serial number (any case), now"),
    user: z
      .object({ id: z.string(), name: z.string(), deleted: z.boolean() })
      .optional()
      .describe("the user of the space with this clientUserId, now"),
    status: z
      .enum(OUTSIDE_STATUSES)
      .describe(
        "why it is outside Orchard: `unmatched` (no device nor user named), `device_not_active`, " +
          "`user_deleted`, `holds_license` (the subject holds another license for the app: invariant 2), " +
          "`adoptable` (the next full sync adopts it: AC7)",
      ),
    release: z
      .object({
        state: z.enum(["pending", "failed"]),
        at: dateTime,
        error: z.string().optional().describe("Apple's reason, when it refused"),
      })
      .optional()
      .describe("a release asked for that Apple has not confirmed: on its way, or refused"),
  })
  .meta({ id: "OutsideAssignment" });

const serialRef = withoutControlCharacters(z.string().trim().min(1).max(100));
const assignmentRef = z.union([
  z.strictObject({ adamId, serialNumber: serialRef }),
  z.strictObject({ adamId, clientUserId: clientUserIdInput }),
]);
const assignmentOut = z.object({
  adamId: z.string(),
  pricingParam: z.string().optional(),
  serialNumber: z.string().optional(),
  clientUserId: z.string().optional(),
});

export const outsideAssignmentPageSchema = pageOf(outsideAssignmentSchema).extend({
  syncedAt: dateTime.optional().describe("when the list was read from Apple"),
});

export const outsideReleaseBody = z.strictObject({
  assignments: z.array(assignmentRef).min(1).max(MAX_RELEASED),
});

export const outsideReleaseResultSchema = z
  .object({
    requested: z.array(assignmentOut).describe("queued for Apple: the seat comes back once Apple confirms"),
    alreadyReleasing: z
      .array(assignmentOut)
      .describe("asked for already, not confirmed yet: not queued again"),
    notListed: z
      .array(assignmentOut)
      .describe("not in the account's list (adopted, released, or never read): nothing queued"),
    heldByOrchard: z
      .array(assignmentOut)
      .describe(
        "listed, but the subject holds the app in this account through a license of Orchard's " +
          "(given since the list was read): Apple's one assignment is Orchard's now, not released",
      ),
  })
  .meta({ id: "OutsideReleaseResult" });

/** AC7, "release all": a preview without `expect`, the release of exactly what it counted with it. */
export const outsideReleaseAllBody = z.strictObject({
  adamId: adamId.optional().describe("only this app's assignments"),
  dryRun: z.boolean().optional().describe("true: preview only, whatever `expect` says"),
  expect: z
    .number()
    .int()
    .min(0)
    .optional()
    .describe("to release, with `fingerprint`: the count the preview showed; without either, a preview"),
  fingerprint: z
    .string()
    .regex(/^[0-9a-f]{64}$/, "the preview's fingerprint: 64 lowercase hexadecimal digits")
    .optional()
    .describe("to release, with `expect`: the fingerprint the preview answered, as it came"),
});

export const outsideReleaseAllAnswerSchema = z
  .object({
    preview: z.boolean().describe("true: nothing was queued"),
    count: z.number().int().describe("assignments the list holds (of the app, when one is named)"),
    fingerprint: z.string().describe("of exactly those: send it back with `expect` to release them"),
    syncedAt: dateTime.optional().describe("when the list was read from Apple"),
    requested: z
      .number()
      .int()
      .optional()
      .describe("a release: queued for Apple now; the seats come back once Apple confirms"),
    alreadyReleasing: z
      .number()
      .int()
      .optional()
      .describe("a release: on their way already, not queued again"),
    heldByOrchard: z
      .number()
      .int()
      .optional()
      .describe(
        "a release: listed, but their device or user holds a license of the app in the account now " +
          "(adopted, or given the app, since the list was read): Orchard's, not released",
      ),
  })
  .meta({ id: "OutsideReleaseAllAnswer" });
