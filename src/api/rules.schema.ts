import { z } from "zod";
import { reservedDeviceRefs } from "./device-ref.js";
import { MAX_RULE_LIST_IDS } from "./limits.js";
import { id, licenseType } from "./schemas.js";

/** Ids in one of a rule's lists (and a what-if's new priority order): as many as the rules PUT takes. */
export const ruleIds = z.array(id).max(MAX_RULE_LIST_IDS);

/** DI1, DI2, DI7: the three lists of one (account, app), as the rules PUT and a what-if take them. */
export const ruleFields = {
  fcfs: z
    .strictObject({
      groupIds: ruleIds.min(1),
      requestedType: licenseType.default("user"),
      mandatoryType: licenseType.default("device"),
    })
    .optional()
    .describe("absent = no FCFS rule"),
  reservedUserIds: ruleIds.default([]),
  reservedDeviceIds: reservedDeviceRefs,
  prohibitedUserIds: ruleIds.default([]),
};

/** DI7: a user reserved and prohibited at once is refused, naming the place in `reservedUserIds`. */
export function refuseReservedAndProhibited(
  rules: { reservedUserIds: string[]; prohibitedUserIds: string[] },
  ctx: z.RefinementCtx,
): void {
  const prohibited = new Set(rules.prohibitedUserIds);
  rules.reservedUserIds.forEach((user, i) => {
    if (prohibited.has(user))
      ctx.addIssue({
        code: "custom",
        path: ["reservedUserIds", i],
        message: `user ${user} is also prohibited (DI7)`,
      });
  });
}
