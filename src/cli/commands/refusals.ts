import type { Command } from "commander";
import {
  abandonReleases,
  listRefusals,
  REFUSALS_LIMIT,
  retryReleases,
  retryRequests,
} from "../../service/refusals.js";
import type { Db } from "../../store/database.js";
import { findDeviceBySerial } from "../../store/index.js";
import { type CommonFlags, withCommonFlags, withCore } from "../context.js";
import { CliError } from "../errors.js";
import { withExamples } from "../help.js";
import { printJson, printLine, printNote, printTable, shortDate } from "../output.js";
import { resolveAppAndAccount } from "../resolve.js";

interface ListFlags extends CommonFlags {
  app?: string;
  account?: string;
}

interface RetryFlags extends CommonFlags {
  app?: string;
  user?: string[];
  device?: string[];
  serial?: string[];
  license?: string[];
}

/**
 * `orchard refusals …`: what Apple refused for good and waits for an administrator
 * (requests: DB2, UB3; releases: RV1-RV5), sent again, or (releases) abandoned.
 */
export function registerRefusals(program: Command): void {
  const refusals = program
    .command("refusals")
    .description(
      "what Apple refused for good (requests waiting with Apple's reason, releases not done): list, send again, abandon",
    );

  withExamples(
    withCommonFlags(
      refusals
        .command("list")
        .description(
          "requests Apple refused (they wait until sent again) and releases it refused (their licenses hold a seat)",
        )
        .option("--app <adamId>", "only this app's")
        .option("--account <account>", "only this account's (id or name)"),
    ),
    ["orchard refusals list", "orchard refusals list --app 361309726 --json"],
  ).action(async (flags: ListFlags) => {
    await withCore(flags, async ({ core, spaceId, json }) => {
      const db = core.deps.db;
      const accountId = await resolveAppAndAccount(db, spaceId, flags);
      const list = await listRefusals(db, {
        spaceId,
        ...(flags.app !== undefined ? { adamId: flags.app } : {}),
        ...(accountId !== undefined ? { accountId } : {}),
        limit: REFUSALS_LIMIT,
      });
      if (json) return printJson(list);
      const { requests, releases } = list;
      if (requests.total + releases.total === 0) {
        printNote("Apple refused nothing that waits for an administrator");
        return;
      }
      if (requests.total > 0) {
        printLine(`Requests Apple refused (${requests.total}): they wait until sent again`);
        printTable(
          ["APP", "SUBJECT", "ACCOUNT", "APPLE", "REFUSED"],
          requests.items.map((r) => [
            r.appName ? `${r.appName} (${r.adamId})` : r.adamId,
            r.serialNumber ?? r.userName ?? r.deviceId ?? r.userId ?? "-",
            r.accountName ?? r.accountId ?? "-",
            `${r.errorNumber}${r.message ? ` ${r.message}` : ""}`,
            shortDate(r.refusedAt),
          ]),
        );
        printNote("send them again: orchard refusals retry --app <adamId> [--device …|--serial …|--user …]");
      }
      if (releases.total > 0) {
        if (requests.total > 0) printLine();
        printLine(`Releases Apple refused (${releases.total}): each license still holds its seat`);
        printTable(
          ["LICENSE", "APP", "SUBJECT", "ACCOUNT", "APPLE", "FAILED"],
          releases.items.map((r) => [
            r.licenseId,
            r.appName ? `${r.appName} (${r.adamId})` : r.adamId,
            r.serialNumber ?? r.userName ?? r.deviceId ?? r.userId ?? "-",
            r.accountName ?? r.accountId,
            r.error,
            shortDate(r.failedAt),
          ]),
        );
        printNote(
          "send one again: orchard refusals retry --license <id>; give it up here: orchard refusals abandon <id> --yes",
        );
      }
    });
  });

  withExamples(
    withCommonFlags(
      refusals
        .command("retry")
        .description(
          "send again requests of an app Apple refused (all, or these subjects'), or releases it refused (--license)",
        )
        .option("--app <adamId>", "the app whose refused requests are sent again")
        .option("--user <id...>", "only these users' requests")
        .option("--device <id...>", "only these devices' requests")
        .option("--serial <serial...>", "only these devices' requests, by serial number")
        .option("--license <id...>", "the licenses whose refused release is sent again"),
    ),
    [
      "orchard refusals retry --app 361309726",
      "orchard refusals retry --app 361309726 --serial F9FXK0ABCD12",
      "orchard refusals retry --license 6f1c…",
    ],
  ).action(async (flags: RetryFlags) => {
    const subjects = [flags.user, flags.device, flags.serial].some((v) => v !== undefined);
    if (flags.license !== undefined && (flags.app !== undefined || subjects))
      throw new CliError("give --license, or --app with its subjects, not both");
    if (subjects && flags.app === undefined) throw new CliError("--user, --device and --serial need --app");
    if (flags.license === undefined && flags.app === undefined)
      throw new CliError("give --app (refused requests) or --license (refused releases)");
    await withCore(flags, async ({ core, spaceId, actor, json }) => {
      const db = core.deps.db;
      const now = core.deps.now();
      if (flags.license !== undefined) {
        const licenses = await retryReleases(db, { spaceId, licenseIds: flags.license, actor, now });
        if (json) return printJson({ retried: licenses.map((l) => l.id) });
        printLine(
          `${plural(licenses.length, "release")} sent to Apple again (${licenses.map((l) => l.id).join(", ")}): the worker sends them`,
        );
        return;
      }
      const adamId = flags.app ?? "";
      const deviceIds = [
        ...(flags.device ?? []),
        ...(await devicesBySerial(db, spaceId, flags.serial ?? [])),
      ];
      const retried = await retryRequests(db, {
        spaceId,
        adamId,
        ...(flags.user ? { userIds: flags.user } : {}),
        ...(deviceIds.length > 0 ? { deviceIds } : {}),
        actor,
        now,
      });
      if (json) return printJson({ retried });
      if (retried.length === 0) printLine(`no request of app ${adamId} waits with a refusal of Apple's`);
      else
        printLine(
          `${plural(retried.length, "request")} of app ${adamId} sent again: each waits in its place and is served in its turn`,
        );
    });
  });

  withExamples(
    withCommonFlags(
      refusals
        .command("abandon")
        .argument("<licenseId...>", "the licenses whose refused release is given up")
        .option("--yes", "release them here: the seat comes back, whatever Apple still holds", false)
        .description(
          "abandon releases Apple refused: each license is released here, its seat given back (the log names who)",
        ),
    ),
    ["orchard refusals abandon 6f1c… --yes"],
  ).action(async (licenseIds: string[], flags: CommonFlags & { yes: boolean }) => {
    if (!flags.yes)
      throw new CliError(
        "abandoning releases each license here, whatever Apple still holds (a sync then counts it as outside Orchard): add --yes",
      );
    await withCore(flags, async ({ core, spaceId, actor, json }) => {
      const released = await abandonReleases(core.deps.db, {
        spaceId,
        licenseIds,
        actor,
        now: core.deps.now(),
      });
      if (json) return printJson({ released: released.map((l) => ({ id: l.id, state: l.state })) });
      printLine(
        `${plural(released.length, "license")} released here, seats given back: ${licenseIds.join(", ")}`,
      );
    });
  });
}

/** Devices named by serial number (in any case, as check-in knows them); an unknown one is exit 3. */
async function devicesBySerial(db: Db, spaceId: string, serials: readonly string[]): Promise<string[]> {
  const ids: string[] = [];
  for (const serial of serials) {
    const device = await findDeviceBySerial(db, spaceId, serial);
    if (!device) throw new CliError(`no device with serial number ${serial} in this space`, 3);
    ids.push(device.id);
  }
  return ids;
}

function plural(n: number, one: string): string {
  return `${n} ${one}${n === 1 ? "" : "s"}`;
}
