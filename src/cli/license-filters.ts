import { type Command, Option } from "commander";
import type { LicenseState, LicenseType } from "../licensing/index.js";
import { checkSubjectFilter } from "../service/list-filters.js";
import type { Db } from "../store/database.js";
import { resolveAccount } from "./resolve.js";

/** The filters `orchard licenses` and `orchard export licenses` share, as the API's list takes them. */
export interface LicenseFilterFlags {
  app?: string;
  user?: string;
  device?: string;
  serial?: string;
  account?: string;
  state?: LicenseState;
  type?: LicenseType;
  search?: string;
}

const STATES: LicenseState[] = ["pending_assign", "assigned", "pending_release", "in_grace", "released"];

export function withLicenseFilters(command: Command): Command {
  return command
    .option("--app <adamId>", "only this app")
    .option("--user <id>", "only this user's")
    .option("--device <id>", "only this device's (its id)")
    .option("--serial <serialNumber>", "only this device's (its serial number)")
    .option("--account <account>", "only those given by this account (id or name)")
    .addOption(new Option("--state <state>", "only in this state").choices(STATES))
    .addOption(new Option("--type <type>", "only this type (LT1)").choices(["user", "device"]))
    .option("--search <text>", "VU5: user name, serial number or app name contains");
}

/**
 * The flags as the store's filter. An app, user, device or account the space does not have
 * is a typo: exit 3, not an empty answer.
 */
export async function resolveLicenseFilter(db: Db, spaceId: string, flags: LicenseFilterFlags) {
  const accountId =
    flags.account === undefined ? undefined : (await resolveAccount(db, spaceId, flags.account)).id;
  const { deviceId } = await checkSubjectFilter(
    db,
    spaceId,
    { app: flags.app, user: flags.user, device: flags.device, serial: flags.serial },
    { field: () => undefined, bySerial: (s) => `--serial ${s}` },
  );
  return { adamId: flags.app, userId: flags.user, deviceId, accountId, state: flags.state, type: flags.type };
}
