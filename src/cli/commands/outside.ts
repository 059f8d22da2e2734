import type { Command } from "commander";
import {
  listOutsideAssignments,
  type OutsideAssignmentRef,
  type OutsideAssignmentView,
  releaseOutsideAssignments,
} from "../../service/outside-assignments.js";
import {
  OutsideListChangedError,
  previewReleaseAll,
  releaseAllOutside,
} from "../../service/outside-release-all.js";
import { clientUserIdInput } from "../../store/client-user-id-input.js";
import { type CommonFlags, withCommonFlags, withCore } from "../context.js";
import { CliError } from "../errors.js";
import { withExamples } from "../help.js";
import { parsePositive } from "../options.js";
import { printJson, printLine, printNote, printTable, shortDate } from "../output.js";
import { resolveAccount } from "../resolve.js";

/** The most assignments one release names (as the API's). */
const MAX_RELEASED = 1000;

interface ListFlags extends CommonFlags {
  app?: string;
  page: number;
  pageSize: number;
}

interface ReleaseAllFlags extends CommonFlags {
  app?: string;
  yes?: boolean;
  expect?: number;
}

interface ReleaseFlags extends CommonFlags {
  app: string;
  serial: string[];
  clientUserId: string[];
}

/**
 * `orchard token outside` and `orchard token release-outside` (AC7): an account's
 * assignments made outside Orchard (the last full sync's), and their release at Apple.
 */
export function registerOutside(token: Command): void {
  withExamples(
    withCommonFlags(
      token
        .command("outside")
        .argument("<account>", "the account, by id or name (orchard token list)")
        .description(
          "AC7: assignments Apple holds for the account (id or name) that Orchard neither made nor adopted, as the last full sync read them",
        )
        .option("--app <adamId>", "only this app's")
        .option("--page <n>", "the page (1 = first)", parsePositive(100_000), 1)
        .option("--page-size <n>", "rows per page (at most 500)", parsePositive(500), 100),
    ),
    [
      'orchard token outside "Main campus"',
      'orchard token outside "Main campus" --app 361309726 --json | jq -r \'.items[] | select(.status == "unmatched") | .serialNumber\'',
    ],
  ).action(async (given: string, flags: ListFlags) => {
    const adamId = flags.app === undefined ? undefined : appId(flags.app);
    await withCore(flags, async ({ core, spaceId, json }) => {
      const account = await resolveAccount(core.deps.db, spaceId, given);
      const page = await listOutsideAssignments(core.deps.db, {
        spaceId,
        accountId: account.id,
        adamId,
        page: flags.page,
        pageSize: flags.pageSize,
      });
      if (json) return printJson(page);
      if (!page.syncedAt)
        return printNote(
          `not read from Apple yet: the next full sync lists them (orchard token resync ${account.id})`,
        );
      if (page.total === 0)
        return printNote(`no assignment made outside Orchard (read from Apple ${shortDate(page.syncedAt)})`);
      printTable(
        ["APP", "SUBJECT", "NAMES", "STATUS", "RELEASE"],
        page.items.map((a) => [a.appName ?? a.adamId, subjectOf(a), namesOf(a), a.status, releaseOf(a)]),
      );
      const first = (page.page - 1) * page.pageSize;
      const shown = `${first + 1}-${first + page.items.length} of ${page.total}`;
      const more = first + page.items.length < page.total ? `; next: --page ${page.page + 1}` : "";
      printNote(`${shown}, read from Apple ${shortDate(page.syncedAt)}${more}`);
    });
  });

  withExamples(
    withCommonFlags(
      token
        .command("release-outside")
        .argument("<account>", "the account, by id or name (orchard token list)")
        .description(
          "AC7: release assignments made outside Orchard at Apple (the account's id or name; through the outbox)",
        )
        .requiredOption("--app <adamId>", "the app of the assignments")
        .option("--serial <serial...>", "device-based assignments, by serial number (any case)", [])
        .option("--client-user-id <id...>", "user-based assignments, by Apple's clientUserId", []),
    ),
    [
      'orchard token release-outside "Main campus" --app 361309726 --serial C02XK1JVJG5H DMPQ2LL/A',
      'orchard token release-outside "Main campus" --app 361309726 --client-user-id jamf-4411',
    ],
  ).action(async (given: string, flags: ReleaseFlags) => {
    const assignments = refsOf(flags);
    await withCore(flags, async ({ core, spaceId, actor, json }) => {
      const account = await resolveAccount(core.deps.db, spaceId, given);
      const result = await releaseOutsideAssignments(core.deps.db, {
        spaceId,
        accountId: account.id,
        assignments,
        actor,
        now: core.deps.now(),
      });
      const missing =
        result.notListed.length === 0
          ? undefined
          : `not in the account's list of outside assignments: ${result.notListed.map((r) => r.serialNumber ?? r.clientUserId).join(", ")}`;
      // Nothing found at all is a "not found"; some found, a remark.
      if (
        missing &&
        result.requested.length + result.alreadyReleasing.length + result.heldByOrchard.length === 0
      )
        throw new CliError(missing, 3);
      if (json) return printJson(result);
      printLine(
        `${result.requested.length} release(s) queued for Apple (AC7); the seats come back once Apple confirms`,
      );
      if (result.alreadyReleasing.length > 0)
        printNote(`already on their way: ${result.alreadyReleasing.map(subjectOf).join(", ")}`);
      if (result.heldByOrchard.length > 0)
        printNote(
          `held by Orchard since the list was read (the app given in this account): not released: ${result.heldByOrchard.map(subjectOf).join(", ")}`,
        );
      if (missing) printNote(missing);
    });
  });
  registerReleaseAll(token);
}

function registerReleaseAll(token: Command): void {
  withExamples(
    withCommonFlags(
      token
        .command("release-all-outside")
        .argument("<account>", "the account, by id or name (orchard token list)")
        .description(
          "AC7: release at Apple every assignment made outside Orchard that the account's list holds (a count without --yes)",
        )
        .option("--app <adamId>", "only this app's")
        .option("--yes", "release them (without it: the count only, nothing queued)")
        .option(
          "--expect <n>",
          "with --yes: release only if the list still holds this many (the count shown), else exit 4",
          parsePositive(100_000_000),
        ),
    ),
    [
      'orchard token release-all-outside "Main campus"                      # the count: nothing queued',
      'orchard token release-all-outside "Main campus" --yes --expect 1240',
      'orchard token release-all-outside "Main campus" --app 361309726 --yes',
    ],
  ).action(async (given: string, flags: ReleaseAllFlags) => {
    const adamId = flags.app === undefined ? undefined : appId(flags.app);
    if (flags.expect !== undefined && !flags.yes) throw new CliError("--expect goes with --yes");
    await withCore(flags, async ({ core, spaceId, actor, json }) => {
      const { db } = core.deps;
      const account = await resolveAccount(db, spaceId, given);
      const ids = { spaceId, accountId: account.id, adamId };
      const preview = await previewReleaseAll(db, ids);
      const what = adamId === undefined ? "" : ` of app ${adamId}`;
      if (!flags.yes) {
        if (json) return printJson({ preview: true, ...preview });
        if (!preview.syncedAt)
          return printNote(
            `not read from Apple yet: the next full sync lists them (orchard token resync ${account.id})`,
          );
        return printNote(
          `${preview.count} assignment(s) made outside Orchard${what} listed (read from Apple ${shortDate(preview.syncedAt)}); ` +
            `nothing queued. To release them all at Apple: orchard token release-all-outside ${account.id}` +
            `${adamId === undefined ? "" : ` --app ${adamId}`} --yes --expect ${preview.count}`,
        );
      }
      let result: Awaited<ReturnType<typeof releaseAllOutside>>;
      try {
        result = await releaseAllOutside(db, {
          ...ids,
          expect: flags.expect ?? preview.count,
          fingerprint: preview.fingerprint,
          actor,
          now: core.deps.now(),
        });
      } catch (error) {
        if (error instanceof OutsideListChangedError) throw new CliError(error.message, 4);
        throw error;
      }
      if (json) return printJson({ preview: false, ...result });
      printLine(
        `${result.requested} release(s)${what} queued for Apple (AC7); the seats come back once Apple confirms`,
      );
      if (result.alreadyReleasing > 0)
        printNote(`${result.alreadyReleasing} already on their way: not queued again`);
      if (result.heldByOrchard > 0)
        printNote(
          `${result.heldByOrchard} held by Orchard since the list was read (adopted or given the app): not released`,
        );
    });
  });
}

function appId(value: string): string {
  if (!/^[0-9]{1,20}$/.test(value)) throw new CliError(`--app: "${value}" is not an App Store id (digits)`);
  return value;
}

/** The assignments a release names, checked before the database opens (exit 2). */
function refsOf(flags: ReleaseFlags): OutsideAssignmentRef[] {
  const adamId = appId(flags.app);
  const serials = flags.serial.map((s) => s.trim());
  const bad = serials.find((s) => s === "" || s.length > 100 || /\p{Cc}/u.test(s));
  if (bad !== undefined) throw new CliError(`--serial: "${bad}" is not a serial number`);
  const clientUserIds = flags.clientUserId.map((id) => {
    const parsed = clientUserIdInput.safeParse(id);
    if (!parsed.success) throw new CliError(`--client-user-id: "${id}": ${parsed.error.issues[0]?.message}`);
    return parsed.data;
  });
  const refs = [
    ...serials.map((serialNumber) => ({ adamId, serialNumber })),
    ...clientUserIds.map((clientUserId) => ({ adamId, clientUserId })),
  ];
  if (refs.length === 0) throw new CliError("name the assignments to release: --serial or --client-user-id");
  if (refs.length > MAX_RELEASED) throw new CliError(`at most ${MAX_RELEASED} assignments per release`);
  return refs;
}

function subjectOf(a: { serialNumber?: string; clientUserId?: string }): string {
  return a.serialNumber ?? `user ${a.clientUserId ?? ""}`;
}

function namesOf(a: OutsideAssignmentView): string {
  if (a.device) return `device ${a.device.serialNumber} (${a.device.status})`;
  if (a.user) return `user ${a.user.name}${a.user.deleted ? " (deleted)" : ""}`;
  return "-";
}

function releaseOf(a: OutsideAssignmentView): string {
  if (!a.release) return "-";
  return a.release.state === "pending" ? "pending" : `refused: ${a.release.error ?? ""}`;
}
