import { z } from "zod";
import { licenseType, platform } from "./schemas.js";

/** What the MDM is asked to do: install or remove an app, or (UB2) invite the device's user to Apps and Books. */
export const mdmCommandKind = z
  .enum(["install", "remove", "invite"])
  .describe(
    "`install`/`remove`: the app `adamId` on the device; `invite` (UB2): Apple's InviteToProgram for the " +
      "device's user, with `ProgramID` `com.apple.cloudvpp` and `InvitationURL` = `invitationUrl` (on a Mac, " +
      "on the user channel); no app (`adamId` null). Sent while the space's `sendInvitationsToDevices` is on",
  );

/** An invite's own fields (UB2), absent from an install or a remove. */
export const mdmInvitationFields = {
  userId: z.string().optional().describe("`invite`: the user invited, the device's user"),
  invitationUrl: z
    .string()
    .optional()
    .describe("`invite`: Apple's invitation link for the user, InviteToProgram's `InvitationURL`"),
};

/**
 * What an MDM needs, beside the command, to build Apple's own (MdmCommandTarget): one
 * description for the polled `MdmCommand` and the webhook's `webhooks.mdmCommands`.
 */
export const mdmCommandTargetFields = {
  platform: platform.describe("the device's platform"),
  productType: z
    .enum(["App", "Book"])
    .optional()
    .describe(
      "`App`: InstallApplication / RemoveApplication; `Book`: InstallMedia. Absent while no Apps and Books " +
        "account of the space holds the app (its assets not synced yet)",
    ),
  bundleId: z
    .string()
    .optional()
    .describe(
      "the app's bundle identifier (RemoveApplication's `Identifier`), from the App Store lookup; absent " +
        "until the lookup found it (a custom app, a book, a lookup not run yet). An install names the app by " +
        "`adamId` (InstallApplication's `iTunesStoreID`)",
    ),
  licenseType: licenseType
    .optional()
    .describe(
      "an install's license: `device` (device-based assignment, no Apple Account needed) or `user` (the " +
        "user's Apple Account on the device gets the app); absent for a remove",
    ),
};
