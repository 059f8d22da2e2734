import { type Command, Option } from "commander";
import type { LicenseState, LicenseType } from "../../licensing/index.js";
import { checkSubjectFilter } from "../../service/list-filters.js";
import { listLicensesView } from "../../store/views.repo.js";
import { type CommonFlags, withCommonFlags, withCore } from "../context.js";
import { withExamples } from "../help.js";
import { parsePositive } from "../options.js";
import { printJson, printNote, printTable, shortDate } from "../output.js";
import { resolveAccount } from "../resolve.js";

interface LicenseFlags extends CommonFlags {
  app?: string;
  user?: string;
  device?: string;
  serial?: string;
  account?: string;
  state?: LicenseState;
  type?: LicenseType;
  search?: string;
  limit: number;
}

const STATES: LicenseState[] = ["pending_assign", "assigned", "pending_release", "in_grace", "released"];

/** `orchard licenses`: the space's licenses (DI5), filtered like the API's list, newest first. */
export function registerLicenses(program: Command): void {
  withExamples(
    withCommonFlags(
      program
        .command("licenses")
        .description("DI5: licenses with their subject, type, state, account and rule ids")
        .option("--app <adamId>", "only this app")
        .option("--user <id>", "only this user's")
        .option("--device <id>", "only this device's (its id)")
        .option("--serial <serialNumber>", "only this device's (its serial number)")
        .option("--account <account>", "only those given by this account (id or name)")
        .addOption(new Option("--state <state>", "only in this state").choices(STATES))
        .addOption(new Option("--type <type>", "only this type (LT1)").choices(["user", "device"]))
        .option("--search <text>", "VU5: user name, serial number or app name contains")
        .option("--limit <n>", "at most this many (1-10000)", parsePositive(10_000), 100),
    ),
    [
      "orchard licenses --app 361309726 --state in_grace",
      "orchard licenses --serial C02D0000",
      'orchard licenses --account "Main campus" --type device --limit 1000 --json',
      'orchard licenses --search "Lovelace"                  # VU5',
    ],
  ).action(async (flags: LicenseFlags) => {
    await withCore(flags, async ({ core, spaceId, json }) => {
      const accountId =
        flags.account === undefined
          ? undefined
          : (await resolveAccount(core.deps.db, spaceId, flags.account)).id;
      // An app, user or device the space does not have is a typo: exit 3, not "no license matches".
      const { deviceId } = await checkSubjectFilter(
        core.deps.db,
        spaceId,
        { app: flags.app, user: flags.user, device: flags.device, serial: flags.serial },
        { field: () => undefined, bySerial: (s) => `--serial ${s}` },
      );
      const page = await listLicensesView(
        core.deps.db,
        spaceId,
        {
          adamId: flags.app,
          userId: flags.user,
          deviceId,
          accountId,
          state: flags.state,
          type: flags.type,
        },
        {
          page: 1,
          pageSize: flags.limit,
          sort: "createdAt",
          order: "desc",
          ...(flags.search ? { q: flags.search } : {}),
        },
      );
      if (json) return printJson({ items: page.items, total: page.total });
      if (page.items.length === 0) return printNote("no license matches");
      printTable(
        ["ID", "APP", "TYPE", "SUBJECT", "STATE", "ACCOUNT", "RULES", "CREATED"],
        page.items.map((l) => [
          l.id,
          l.appName ? `${l.appName} (${l.adamId})` : l.adamId,
          l.type,
          l.type === "device"
            ? `device ${l.serialNumber ?? l.deviceId ?? "-"}`
            : `user ${l.userName ?? l.userId ?? "-"}`,
          l.reserved ? `${l.state} (reserved)` : l.state,
          l.accountName,
          l.ruleIds.join(",") || "-",
          shortDate(l.createdAt),
        ]),
      );
      // On stderr: what a pipe reads is the table alone.
      if (page.total > page.items.length)
        printNote(
          `${page.items.length} of ${page.total} licenses shown: use --limit or filters for the others`,
        );
    });
  });
}
