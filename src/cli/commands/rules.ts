import { type Command, Option } from "commander";
import type { LicenseType } from "../../licensing/index.js";
import { deviceIdsOfRefs } from "../../store/device.repo.js";
import { type Account, findAsset, listAccounts } from "../../store/index.js";
import { editAppRules } from "../../store/rules.repo.js";
import { rulesView } from "../../store/views.repo.js";
import { type CommonFlags, withCommonFlags, withCore } from "../context.js";
import { CliError } from "../errors.js";
import { withExamples } from "../help.js";
import { printJson, printLine } from "../output.js";
import { resolveAccount, resolveGroups, resolveUsers } from "../resolve.js";

type Rules = Awaited<ReturnType<typeof rulesView>>;

interface ShowFlags extends CommonFlags {
  account?: string;
}

interface SetFlags extends CommonFlags {
  account: string;
  fcfsGroups?: string;
  fcfs?: boolean;
  requestedType?: LicenseType;
  mandatoryType?: LicenseType;
  reservedUsers?: string;
  reservedDevices?: string;
  prohibitedUsers?: string;
}

/** `orchard rules`: the license rules of an app (DI1), per account: read them, or change some of their lists. */
export function registerRules(program: Command): void {
  const rules = program
    .command("rules")
    .description("DI1: an app's license rules per account (FCFS, Reserved, Prohibited): show or set them");

  withExamples(
    withCommonFlags(
      rules
        .command("show")
        .argument("<adamId>", "the app")
        .option("--account <account>", "only this account's rules (id or name)")
        .description("DI1, VU2: the FCFS groups, reserved users and devices, and prohibited users of an app"),
    ),
    ["orchard rules show 361309726", 'orchard rules show 361309726 --account "Main campus" --json'],
  ).action(async (adamId: string, flags: ShowFlags) => {
    await withCore(flags, async ({ core, spaceId, json }) => {
      const { db } = core.deps;
      const accounts = flags.account
        ? [await resolveAccount(db, spaceId, flags.account)]
        : await listAccounts(db, spaceId);
      const items: Array<{ account: { id: string; name: string; priority: number } } & Rules> = [];
      for (const account of accounts) {
        if (!(await findAsset(db, spaceId, account.id, adamId))) {
          if (flags.account) throw notBought(account, adamId);
          continue;
        }
        items.push({ account: accountRef(account), ...(await rulesView(db, spaceId, account.id, adamId)) });
      }
      if (items.length === 0)
        throw new CliError(
          `app ${adamId} not found: no account of the space bought it (orchard apps lists them)`,
          3,
        );
      if (json) return printJson({ adamId, items });
      items.forEach((item, i) => {
        if (i > 0) printLine();
        printRules(item.account, item);
      });
    });
  });

  withExamples(
    withCommonFlags(
      rules
        .command("set")
        .argument("<adamId>", "the app")
        .requiredOption("--account <account>", "the account whose rules change (id or name)")
        .option(
          "--fcfs-groups <groups>",
          'DI2: FCFS for these groups (ids or names, comma-separated; "" none: no FCFS)',
        )
        .option("--no-fcfs", "DI2: no FCFS rule")
        .addOption(
          new Option(
            "--requested-type <type>",
            "DI2: the license type a requested app gets (default user)",
          ).choices(["user", "device"]),
        )
        .addOption(
          new Option(
            "--mandatory-type <type>",
            "DI2: the license type a mandatory install gets (default device)",
          ).choices(["user", "device"]),
        )
        .option(
          "--reserved-users <users>",
          'DI3: reserved users (ids, e-mails or managed Apple IDs; "" none)',
        )
        .option("--reserved-devices <serials>", 'DI3: reserved devices (serial numbers; "" none)')
        .option(
          "--prohibited-users <users>",
          'DI4: prohibited users (ids, e-mails or managed Apple IDs; "" none)',
        )
        .description(
          "DI1: change an app's rules at one account: each list given replaces that list, the others stay (DI6, DI7 checked)",
        ),
    ),
    [
      'orchard rules set 361309726 --account "Main campus" --fcfs-groups "All Users"',
      'orchard rules set 361309726 --account "Main campus" --reserved-users ada@school.example,bob@school.example',
      'orchard rules set 361309726 --account "Main campus" --prohibited-users "" --no-fcfs',
    ],
  ).action(async (adamId: string, flags: SetFlags, command: Command) => {
    const given = (name: string) => command.getOptionValueSource(name) === "cli";
    if (given("fcfsGroups") && given("fcfs") && flags.fcfs === false)
      throw new CliError("--fcfs-groups and --no-fcfs say opposite things: give one");
    if (flags.fcfs === false && (given("requestedType") || given("mandatoryType")))
      throw new CliError("--no-fcfs and a --*-type say opposite things: the types are FCFS's");
    const changes = [
      "fcfsGroups",
      "fcfs",
      "requestedType",
      "mandatoryType",
      "reservedUsers",
      "reservedDevices",
      "prohibitedUsers",
    ];
    if (!changes.some(given))
      throw new CliError(
        "nothing to set: give --fcfs-groups, --no-fcfs, a --*-type or a list (orchard rules set --help)",
      );
    await withCore(flags, async ({ core, spaceId, actor, json }) => {
      const { db } = core.deps;
      const account = await resolveAccount(db, spaceId, flags.account);
      if (!(await findAsset(db, spaceId, account.id, adamId))) throw notBought(account, adamId);
      const list = (value: string | undefined) =>
        (value ?? "")
          .split(",")
          .map((s) => s.trim())
          .filter(Boolean);
      // Names to ids first; then the lists given replace the current ones, read under the
      // asset's lock (editAppRules): a change made meanwhile by someone else stays.
      const ids = async (option: string, resolve: () => Promise<string[]>) =>
        given(option) ? await resolve() : undefined;
      const groupIds = await ids("fcfsGroups", () => resolveGroups(db, spaceId, list(flags.fcfsGroups)));
      const reservedUserIds = await ids("reservedUsers", () =>
        resolveUsers(db, spaceId, list(flags.reservedUsers)),
      );
      const prohibitedUserIds = await ids("prohibitedUsers", () =>
        resolveUsers(db, spaceId, list(flags.prohibitedUsers)),
      );
      const reservedDeviceIds = await ids("reservedDevices", () =>
        deviceIdsOfRefs(
          db,
          spaceId,
          list(flags.reservedDevices).map((serial) => `serial:${serial}`),
        ),
      );
      await editAppRules(
        db,
        { spaceId, accountId: account.id, adamId },
        (current) => {
          const groups = groupIds ?? current.fcfs?.groupIds ?? [];
          if ((given("requestedType") || given("mandatoryType")) && groups.length === 0)
            throw new CliError(
              "--requested-type and --mandatory-type are FCFS's, and this app has no FCFS group at the account: give --fcfs-groups too",
            );
          return {
            ...(flags.fcfs === false || groups.length === 0
              ? {}
              : {
                  fcfs: {
                    groupIds: groups,
                    requestedType: flags.requestedType ?? current.fcfs?.requestedType ?? "user",
                    mandatoryType: flags.mandatoryType ?? current.fcfs?.mandatoryType ?? "device",
                  },
                }),
            reservedUserIds: reservedUserIds ?? current.reservedUserIds,
            reservedDeviceIds: reservedDeviceIds ?? current.reservedDeviceIds,
            prohibitedUserIds: prohibitedUserIds ?? current.prohibitedUserIds,
          };
        },
        actor,
        core.deps.now(),
      );
      const after = await rulesView(db, spaceId, account.id, adamId);
      if (json) return printJson({ adamId, account: accountRef(account), ...after });
      printRules(accountRef(account), after);
    });
  });
}

function accountRef(account: Account) {
  return { id: account.id, name: account.displayName, priority: account.priority };
}

function notBought(account: Account, adamId: string): CliError {
  return new CliError(
    `account ${account.displayName} did not buy app ${adamId} (orchard apps --account lists its apps)`,
    3,
  );
}

function printRules(account: { name: string; priority: number }, rules: Rules): void {
  const names = (items: ReadonlyArray<{ name: string }>) => items.map((x) => x.name).join(", ") || "none";
  printLine(`${account.name} (priority ${account.priority})`);
  printLine(
    rules.fcfs
      ? `  FCFS: ${names(rules.fcfs.groups)} (requested: ${rules.fcfs.requestedType}, mandatory: ${rules.fcfs.mandatoryType})`
      : "  FCFS: none",
  );
  printLine(`  reserved users: ${names(rules.reservedUsers)}`);
  printLine(`  reserved devices: ${rules.reservedDevices.map((d) => d.serialNumber).join(", ") || "none"}`);
  printLine(`  prohibited users: ${names(rules.prohibitedUsers)}`);
}
