import { type Command, Option } from "commander";
import type { RequestReason, Subject } from "../../licensing/index.js";
import type { Language } from "../../service/decision-texts.js";
import { type Explanation, explain } from "../../service/explain.js";
import type { Db } from "../../store/database.js";
import {
  findCatalogApp,
  findDeviceBySerial,
  getDevice,
  getUser,
  listAssetsForApp,
  NotFoundError,
} from "../../store/index.js";
import { type CommonFlags, withCommonFlags, withCore } from "../context.js";
import { CliError } from "../errors.js";
import { withExamples } from "../help.js";
import { languageOf, languageOption } from "../options.js";
import { printJson, printLine, printTable, shortDate } from "../output.js";

interface ExplainFlags extends CommonFlags {
  app: string;
  user?: string;
  device?: string;
  serial?: string;
  why?: RequestReason;
  lang?: Language;
}

/** `orchard explain`: the decision the engine would make now, and every rule behind it; changes nothing. */
export function registerExplain(program: Command): void {
  withExamples(
    withCommonFlags(
      program
        .command("explain")
        .description("the license decision for an app and a user or device, with its rule ids in words")
        .requiredOption("--app <adamId>", "the app's adamId")
        .option("--user <id>", "a user's id")
        .option("--device <id>", "a device's id")
        .option("--serial <serial>", "a device's serial number")
        .addOption(
          new Option(
            "--why <reason>",
            "why the license is wanted (default: the subject's situation: the reason it waits with in the app's queue, else requested)",
          ).choices(["requested", "mandatory", "check_in"]),
        )
        .addOption(languageOption()),
    ),
    [
      "orchard explain --app 361309726 --serial F9FXK0ABCD12",
      "orchard explain --app 361309726 --serial F9FXK0ABCD12 --why mandatory",
      "orchard explain --app 361309726 --user u-1042 --lang fr --json",
    ],
  ).action(async (flags: ExplainFlags) => {
    const given = [flags.user, flags.device, flags.serial].filter((v) => v !== undefined).length;
    if (given !== 1) throw new CliError("give exactly one of --user, --device and --serial");
    const language = languageOf(flags.lang);
    await withCore(flags, async ({ core, spaceId, json }) => {
      const db = core.deps.db;
      const appName = await appNameOf(db, spaceId, flags.app);
      const { subject, label } = await subjectOf(db, spaceId, flags, language);
      const result = await explain(db, { spaceId, adamId: flags.app, subject, why: flags.why }, language);
      if (json) return printJson(result);
      const words = FRAME[language];
      const app = appName ? `${appName} (${flags.app})` : `app ${flags.app}`;
      printLine(
        `${words.outcome[result.outcome]}${words.colon} ${app} ${words.for} ${label} (${whyOf(result, language)})`,
      );
      printLine(result.summary);
      if (result.queue)
        printLine(words.queue(result.queue.position, result.queue.of, shortDate(result.queue.waitingSince)));
      const width = Math.max(...result.rules.map((r) => r.id.length), 0);
      for (const rule of result.rules) printLine(`  ${rule.id.padEnd(width)}  ${rule.sentence}`);
      if (result.accounts.length > 0) {
        // MA1, MA2: every account in priority order, and what the decision found there.
        printLine();
        printTable(
          words.headers,
          result.accounts.map((a) => [
            String(a.priority),
            a.taken ? `${a.name} *` : a.name,
            a.eligible ? words.yes : words.no,
            a.seats ? words.seats(a.seats.free, a.seats.total) : "-",
            a.because.join(",") || "-",
            a.summary,
          ]),
        );
      }
    });
  });
}

/** The words around the decision's own (its summary and rules come in the language already). */
const FRAME = {
  en: {
    outcome: { grant: "GRANT", keep: "KEEP", wait: "WAIT", refuse: "REFUSE" },
    for: "for",
    colon: ":",
    subject: { user: "user", device: "device" },
    why: { requested: "requested", mandatory: "mandatory", check_in: "check_in" },
    whyFrom: {
      queue: "the request it waits with",
      license: "the license it holds",
      default: "by default, it neither waits nor holds a license",
    },
    queue: (position: number, of: number, since: string) =>
      `In the queue: ${position} of ${of}, waiting since ${since}`,
    headers: ["#", "ACCOUNT", "ELIGIBLE", "FREE", "RULES", "FOUND"],
    yes: "yes",
    no: "no",
    seats: (free: number, total: number) => `${free} of ${total}`,
  },
  fr: {
    outcome: { grant: "ATTRIBUÉE", keep: "CONSERVÉE", wait: "EN ATTENTE", refuse: "REFUSÉE" },
    for: "pour",
    colon: "\u00a0:",
    subject: { user: "l'utilisateur", device: "l'appareil" },
    why: { requested: "demandée", mandatory: "obligatoire", check_in: "check-in" },
    whyFrom: {
      queue: "la demande avec laquelle il attend",
      license: "la licence qu'il détient",
      default: "par défaut, il n'attend pas et ne détient aucune licence",
    },
    queue: (position: number, of: number, since: string) =>
      `Dans la file\u00a0: ${position} sur ${of}, en attente depuis le ${since}`,
    headers: ["#", "COMPTE", "ÉLIGIBLE", "LIBRES", "RÈGLES", "CONSTAT"],
    yes: "oui",
    no: "non",
    seats: (free: number, total: number) => `${free} sur ${total}`,
  },
} as const satisfies Record<Language, unknown>;

/** The reason explained, and where it came from when it was not asked (`--why`). */
function whyOf(result: Pick<Explanation, "why" | "whyFrom">, language: Language): string {
  const words = FRAME[language];
  const why = words.why[result.why];
  return result.whyFrom === "asked" ? why : `${why}${words.colon} ${words.whyFrom[result.whyFrom]}`;
}

/**
 * The app's name, if it has one; an app neither in the catalog nor bought by any account
 * is a typo, not a decision (exit 3).
 */
async function appNameOf(db: Db, spaceId: string, adamId: string): Promise<string | undefined> {
  const [catalog, assets] = await Promise.all([
    findCatalogApp(db, spaceId, adamId),
    listAssetsForApp(db, spaceId, adamId),
  ]);
  if (!catalog && assets.length === 0)
    throw new CliError(
      `app ${adamId} not found: it is not in this space's catalog and no account bought it`,
      3,
    );
  return catalog?.name ?? assets.find((a) => a.name)?.name;
}

/** The subject, and how people know it: the user's name, the device's serial number. */
async function subjectOf(
  db: Db,
  spaceId: string,
  flags: ExplainFlags,
  language: Language,
): Promise<{ subject: Subject; label: string }> {
  if (flags.user !== undefined) {
    const user = await getUser(db, spaceId, flags.user);
    return {
      subject: { kind: "user", userId: user.id },
      label: `${FRAME[language].subject.user} ${user.name} (${user.id})`,
    };
  }
  const device =
    flags.device !== undefined
      ? await getDevice(db, spaceId, flags.device)
      : await findDeviceBySerial(db, spaceId, flags.serial ?? "");
  if (!device) throw new NotFoundError("device", `with serial number ${flags.serial ?? ""}`);
  return {
    subject: { kind: "device", deviceId: device.id },
    label: `${FRAME[language].subject.device} ${device.serialNumber}`,
  };
}
