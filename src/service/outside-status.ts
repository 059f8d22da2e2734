/**
 * AC7: why an assignment Apple holds stays outside Orchard (not adopted by the last full sync):
 * - `unmatched`: no device (serial number, any case) nor user (clientUserId) of the space is named;
 * - `device_not_active`: the device is retired, wiped, inactive or unenrolled (RV1);
 * - `user_deleted`: the user was deleted (RV5);
 * - `holds_license`: the subject holds another license for the app (invariant 2: one per subject);
 * - `adoptable`: the subject can take it: the next full sync (AC3) adopts it.
 * No imports: the console's types reach it through src/api/outside-assignments.schema.ts.
 */
export const OUTSIDE_STATUSES = [
  "unmatched",
  "device_not_active",
  "user_deleted",
  "holds_license",
  "adoptable",
] as const;
export type OutsideStatus = (typeof OUTSIDE_STATUSES)[number];
