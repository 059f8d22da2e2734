import { z } from "zod";
import { licenseType, platform } from "./schemas.js";

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
