import { type Command, Option } from "commander";
import type { LicenseType } from "../../licensing/index.js";
import {
  previewReclaim,
  RECLAIM_BATCH,
  RECLAIM_PREVIEW_ROWS,
  ReclaimChangedError,
  type ReclaimResult,
  reclaimInactive,
} from "../../service/reclaim.js";
import type { InactiveLicense } from "../../store/reclaim.repo.js";
import { listLicensesView } from "../../store/views.repo.js";
import { type CommonFlags, withCommonFlags, withCore } from "../context.js";
import { CliError } from "../errors.js";
import { withExamples } from "../help.js";
import { type LicenseFilterFlags, resolveLicenseFilter, withLicenseFilters } from "../license-filters.js";
import { parsePositive } from "../options.js";
import { printJson, printLine, printNote, printTable, shortDate } from "../output.js";
import { startProgress } from "../progress.js";
import { resolveAppAndAccount } from "../resolve.js";

interface LicenseFlags extends CommonFlags, LicenseFilterFlags {
  limit: number;
}

/** `orchard licenses`: the space's licenses (DI5), filtered like the API's list, newest first. */
export function registerLicenses(program: Command): void {
  const licenses = withExamples(
    withCommonFlags(
      withLicenseFilters(
        program
          .command("licenses")
          .description("DI5: licenses with their subject, type, state, account and rule ids"),
      ).option("--limit <n>", "at most this many (1-10000)", parsePositive(10_000), 100),
    ),
    [
      "orchard licenses --app 361309726 --state in_grace",
      "orchard licenses --serial C02D0000",
      'orchard licenses --account "Main campus" --type device --limit 1000 --json',
      'orchard licenses --search "Lovelace"                  # VU5',
    ],
  ).action(async (flags: LicenseFlags) => {
    await withCore(flags, async ({ core, spaceId, json }) => {
      const filter = await resolveLicenseFilter(core.deps.db, spaceId, flags);
      const page = await listLicensesView(core.deps.db, spaceId, filter, {
        page: 1,
        pageSize: flags.limit,
        sort: "createdAt",
        order: "desc",
        ...(flags.search ? { q: flags.search } : {}),
      });
      if (json) return printJson({ items: page.items, total: page.total });
      if (page.items.length === 0) return printNote("no license matches");
      printTable(
        ["ID", "APP", "TYPE", "SUBJECT", "STATE", "ACCOUNT", "RULES", "CREATED"],
        page.items.map((l) => [
          l.id,
          appCell(l),
          l.type,
          subjectCell(l),
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
  registerReclaim(licenses);
  registerRevoke(licenses);
}

/** Options of `orchard licenses` a subcommand does not take: refused, never silently ignored. */
function refuseListOptions(licenses: Command, names: readonly string[], sub: string): void {
  const stray = names.find((name) => licenses.getOptionValueSource(name) === "cli");
  if (stray)
    throw new CliError(`--${stray} is an option of 'orchard licenses', not of 'orchard licenses ${sub}'`);
}

/** `orchard licenses revoke <id>`: one license, as the console's Revoke (RV2, or RV4 from a usage view). */
function registerRevoke(licenses: Command): void {
  withExamples(
    licenses
      .command("revoke")
      .argument("<license>", "the license's id (orchard licenses shows it)")
      .description("RV2, RV3: revoke one license (an iOS app stays usable 30 days; nothing is uninstalled)")
      .option("--space <space>", "the space to work in, by id or name (default: the default space)")
      .option("--json", "print one JSON document on stdout (stable shape, for scripts)"),
    [
      "orchard licenses revoke 0b7e9c1e-…",
      "orchard licenses --serial C02D0000 --state assigned --json | jq -r '.items[].id' | xargs -n1 orchard licenses revoke",
    ],
  ).action(async (licenseId: string, _own: unknown, command: Command) => {
    const flags = command.optsWithGlobals() as CommonFlags;
    refuseListOptions(licenses, [...LIST_ONLY, "app", "account", "type"], "revoke");
    await withCore(flags, async ({ core, spaceId, actor, json }) => {
      const revoked = await core.deps.licenses.revoke(core.deps.db, {
        spaceId,
        licenseId,
        because: ["RV2"],
        actor,
        now: core.deps.now(),
      });
      if (json) return printJson({ revoked });
      for (const l of revoked)
        printLine(
          `license ${l.id} revoked (RV2), now ${l.state}: its release goes to Apple with the worker's next round (RV3: iOS keeps the app 30 days)`,
        );
    });
  });
}

interface ReclaimFlags extends CommonFlags {
  inactiveDays: number;
  app?: string;
  account?: string;
  type?: LicenseType;
  yes?: boolean;
}

/** Options of `orchard licenses` that mean nothing to a reclaim: refused, never silently ignored. */
const LIST_ONLY = ["user", "device", "serial", "state", "search", "limit"] as const;

/**
 * `orchard licenses reclaim`: the licenses of devices and users inactive for N days
 * (service/reclaim.ts). Without --yes, a preview that asks nothing; with --yes, the preview's
 * count and fingerprint are what the reclaim expects, so it revokes the set it counted or
 * nothing. It goes batch after batch (RECLAIM_BATCH each, a transaction each), with a progress
 * bar on a terminal, each batch naming the rest the previous one left; interrupted, it keeps
 * the batches done, and a new preview shows the rest.
 */
function registerReclaim(licenses: Command): void {
  withExamples(
    licenses
      .command("reclaim")
      .description(
        "RV2, RV3: revoke the licenses of devices and users inactive for N days (a preview without --yes)",
      )
      .requiredOption(
        "--inactive-days <n>",
        "inactive: a device not checked in for this many days (1-3650), a user none of whose devices has",
        parsePositive(3650),
      )
      .option("--app <adamId>", "only this app's licenses")
      .option("--account <account>", "only those given by this account (id or name)")
      .addOption(new Option("--type <type>", "only this type (LT1)").choices(["user", "device"]))
      .option(
        "--yes",
        `reclaim them, ${RECLAIM_BATCH} a batch (without it: the preview only, nothing revoked)`,
      )
      // The same flags as `orchard licenses`, which reads them first: declared here for the help.
      .option("--space <space>", "the space to work in, by id or name (default: the default space)")
      .option("--json", "print one JSON document on stdout (stable shape, for scripts)"),
    [
      "orchard licenses reclaim --inactive-days 90                      # a preview: nothing revoked",
      "orchard licenses reclaim --inactive-days 90 --yes",
      'orchard licenses reclaim --inactive-days 180 --app 361309726 --account "Main campus" --type device --yes',
    ],
  ).action(async (_own: unknown, command: Command) => {
    // `orchard licenses` takes --app, --account, --type, --space and --json before this command sees them.
    const flags = command.optsWithGlobals() as ReclaimFlags;
    refuseListOptions(licenses, LIST_ONLY, "reclaim");
    await withCore(flags, async ({ core, spaceId, actor, json }) => {
      const { db } = core.deps;
      const accountId = await resolveAppAndAccount(db, spaceId, flags);
      const filter = { inactiveDays: flags.inactiveDays, adamId: flags.app, accountId, type: flags.type };
      const inactive = `inactive for ${flags.inactiveDays} ${flags.inactiveDays === 1 ? "day" : "days"} or more`;
      const preview = await previewReclaim(db, { spaceId, filter, now: core.deps.now() });
      if (json && (!flags.yes || preview.count === 0))
        return printJson(
          flags.yes
            ? { preview: false, ...preview, reclaimed: 0, remaining: 0 }
            : { preview: true, ...preview },
        );
      if (preview.count === 0) return printNote(`no license is held by a device or user ${inactive}`);
      if (!flags.yes) {
        printReclaimTable(preview.items);
        const shown =
          preview.count > preview.items.length ? ` (the first ${preview.items.length} shown)` : "";
        const what = preview.capped ? `them (${preview.limit} a batch)` : "them";
        return printNote(
          `${plural(preview.count)} held by devices or users ${inactive}${shown}; nothing reclaimed. ` +
            `To reclaim ${what}: ${reclaimCommandLine(flags)} --yes`,
        );
      }
      // Batch after batch, each naming what the previous one left (its `next`).
      const progress = startProgress("reclaiming", preview.count);
      const items: InactiveLicense[] = [];
      let reclaimed = 0;
      let named = { expect: preview.count, fingerprint: preview.fingerprint };
      let last: ReclaimResult;
      try {
        for (let handled = 0; ; ) {
          last = await reclaimInactive(core.deps, { spaceId, filter, ...named, actor, now: core.deps.now() });
          reclaimed += last.reclaimed;
          handled += Math.min(last.count, last.limit);
          items.push(...last.items.slice(0, RECLAIM_PREVIEW_ROWS - items.length));
          progress.update(handled);
          if (!last.next) break;
          named = last.next;
        }
      } catch (error) {
        if (!(error instanceof ReclaimChangedError)) throw error;
        if (reclaimed === 0) throw new CliError(error.message, 4);
        throw new CliError(
          `${plural(reclaimed)} reclaimed, then the licenses that match changed (${error.count} now, ` +
            `${error.change === "count" ? `not the ${error.expected} left` : "as many as left, but not the same ones"}): ` +
            "nothing more was reclaimed; preview again for the rest",
          4,
        );
      } finally {
        progress.stop();
      }
      if (json) return printJson({ ...preview, preview: false, reclaimed, remaining: last.remaining, items });
      printReclaimTable(items);
      printLine(
        `${plural(reclaimed)} reclaimed (devices or users ${inactive}): ` +
          "their releases go to Apple with the worker's next round (RV3: iOS keeps the app 30 days)",
      );
      if (reclaimed < preview.count)
        printNote(
          `${preview.count - reclaimed} of the ${preview.count} counted were left: their device or user came back meanwhile`,
        );
    });
  });
}

function plural(n: number): string {
  return `${n} ${n === 1 ? "license" : "licenses"}`;
}

function printReclaimTable(items: readonly InactiveLicense[]): void {
  printTable(
    ["ID", "APP", "TYPE", "SUBJECT", "ACCOUNT", "LAST CHECK-IN"],
    items.map((l) => [
      l.id,
      appCell(l),
      l.type,
      subjectCell(l),
      l.accountName,
      l.lastCheckInAt ? shortDate(l.lastCheckInAt) : "never",
    ]),
  );
}

/** The command as given, to run again with --yes. */
function reclaimCommandLine(flags: ReclaimFlags): string {
  const quoted = (v: string) => (/^[\w.:@-]+$/.test(v) ? v : JSON.stringify(v));
  const parts = ["orchard licenses reclaim", `--inactive-days ${flags.inactiveDays}`];
  if (flags.app !== undefined) parts.push(`--app ${quoted(flags.app)}`);
  if (flags.account !== undefined) parts.push(`--account ${quoted(flags.account)}`);
  if (flags.type !== undefined) parts.push(`--type ${flags.type}`);
  if (flags.space !== undefined) parts.push(`--space ${quoted(flags.space)}`);
  return parts.join(" ");
}

interface LicenseCells {
  adamId: string;
  appName?: string;
  type: "user" | "device";
  serialNumber?: string;
  deviceId?: string;
  userName?: string;
  userId?: string;
}

const appCell = (l: LicenseCells) => (l.appName ? `${l.appName} (${l.adamId})` : l.adamId);

const subjectCell = (l: LicenseCells) =>
  l.type === "device"
    ? `device ${l.serialNumber ?? l.deviceId ?? "-"}`
    : `user ${l.userName ?? l.userId ?? "-"}`;
