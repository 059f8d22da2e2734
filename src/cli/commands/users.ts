import { type Command, Option } from "commander";
import { ALL_USERS } from "../../licensing/index.js";
import { inviteGroup, inviteUsers } from "../../mdm/index.js";
import { userWithRegistration, withRegistration } from "../../service/invitations.js";
import { listUsersView } from "../../store/directory.repo.js";
import { getUser, type UserRecord } from "../../store/index.js";
import { REGISTRATION_FILTERS, type RegistrationFilter } from "../../store/registration.js";
import { type CommonFlags, withCommonFlags, withCore } from "../context.js";
import { CliError } from "../errors.js";
import { withExamples } from "../help.js";
import { parsePositive } from "../options.js";
import { printJson, printLine, printNote, printTable } from "../output.js";
import { resolveGroup, resolveUsers } from "../resolve.js";

interface ListFlags extends CommonFlags {
  registration?: RegistrationFilter;
  search?: string;
  limit: number;
}

interface InviteFlags extends CommonFlags {
  group?: string;
  allUninvited?: boolean;
}

/** `orchard users …`: Apps and Books invitations (UB2): invite, and where a user stands with the link. */
export function registerUsers(program: Command): void {
  const users = program
    .command("users")
    .description(
      "users' Apps and Books invitations (UB2): list where each stands, invite them, show the link",
    );

  withExamples(
    withCommonFlags(
      users
        .command("invite")
        .argument("[user...]", "users by id, external id or email")
        .option("--group <group>", "every user of this group (id or name) not invited yet")
        .option("--all-uninvited", "every user of the space not invited yet", false)
        .description(
          "register users at Apple in every usable account of the space: Apple answers with an invitation link " +
            "(orchard users show <user>) that the user accepts; enrolled and invited users are left as they are",
        ),
    ),
    [
      "orchard users invite ada@example.com bob@example.com",
      "orchard users invite --group Teachers",
      "orchard users invite --all-uninvited --json",
    ],
  ).action(async (given: string[], flags: InviteFlags) => {
    const ways = [given.length > 0, flags.group !== undefined, flags.allUninvited === true].filter(Boolean);
    if (ways.length !== 1) throw new CliError("give users, --group <group> or --all-uninvited (one of them)");
    await withCore(flags, async ({ core, spaceId, actor, json }) => {
      const deps = core.deps;
      const db = deps.db;
      const done =
        given.length > 0
          ? await inviteUsers(deps, { spaceId, actor, userIds: await resolveUsers(db, spaceId, given) })
          : await inviteGroup(deps, {
              spaceId,
              actor,
              groupId: flags.group === undefined ? ALL_USERS : await resolveGroup(db, spaceId, flags.group),
            });
      if (json) return printJson(done);
      if (done.invited === 0) {
        printLine("no user to invite: each is invited, enrolled or being registered at Apple already");
        return;
      }
      printLine(
        `${done.invited} user${done.invited === 1 ? "" : "s"} registered at Apple in ${done.accounts} account${done.accounts === 1 ? "" : "s"}`,
      );
      printNote(
        "once Apple answers (the worker sends them), orchard users show <user> prints each invitation link",
      );
    });
  });

  withExamples(
    withCommonFlags(
      users
        .command("list")
        .description("the space's users, where each stands at Apple and, once invited, the invitation link")
        .addOption(
          new Option("--registration <where>", "only the users who stand there (UB2)").choices(
            REGISTRATION_FILTERS,
          ),
        )
        .option("--search <text>", "name, email or managed Apple ID contains")
        .option("--limit <n>", "at most this many (1-10000)", parsePositive(10_000), 100),
    ),
    [
      "orchard users list --registration invited           # whose invitation is not accepted yet",
      "orchard users list --registration invited --limit 10000 --json | jq -r '.items[] | [.email, .invitationUrl] | @csv'",
    ],
  ).action(async (flags: ListFlags) => {
    await withCore(flags, async ({ core, spaceId, json }) => {
      const db = core.deps.db;
      const page = await listUsersView(db, spaceId, {
        page: 1,
        pageSize: flags.limit,
        sort: "name",
        order: "asc",
        ...(flags.registration ? { registration: flags.registration } : {}),
        ...(flags.search ? { q: flags.search } : {}),
      });
      const items = (await withRegistration(db, spaceId, page.items)).map(view);
      if (json) return printJson({ items, total: page.total });
      if (items.length === 0) return printNote("no user matches");
      printTable(
        ["NAME", "EMAIL", "REGISTRATION", "INVITATION LINK"],
        items.map((u) => [u.name, u.email ?? "-", u.registration, u.invitationUrl ?? "-"]),
      );
      if (page.total > items.length)
        printNote(`${items.length} of ${page.total} users shown: use --limit or --search for the others`);
    });
  });

  withExamples(
    withCommonFlags(
      users
        .command("show")
        .argument("<user>", "the user by id, external id or email")
        .description("a user's registration at Apple and, once invited, Apple's invitation link"),
    ),
    ["orchard users show ada@example.com", "orchard users show 7f3c… --json"],
  ).action(async (given: string, flags: CommonFlags) => {
    await withCore(flags, async ({ core, spaceId, json }) => {
      const db = core.deps.db;
      const [userId = given] = await resolveUsers(db, spaceId, [given]);
      const user = await userWithRegistration(db, spaceId, await getUser(db, spaceId, userId));
      if (json) return printJson(view(user));
      printLine(
        `${user.name}${user.email ? ` <${user.email}>` : ""}: ${REGISTRATION_WORDS[user.registration]}`,
      );
      if (user.invitationUrl) printLine(user.invitationUrl);
      else if (user.registration === "invited")
        printNote("Apple's invitation URL is not known yet: the account's next sync reads it");
      else if (user.registration === "not_registered" || user.registration === "retired")
        printNote(`invite them: orchard users invite ${user.email ?? user.id}`);
    });
  });
}

const REGISTRATION_WORDS = {
  not_registered: "not registered at Apple",
  registering: "being registered at Apple (the invitation follows Apple's answer)",
  invited: "invited (the invitation is not accepted yet)",
  enrolled: "enrolled (the invitation is accepted)",
  retired: "retired at Apple",
} as const;

/** What `--json` prints of a user: never Orchard's own columns beyond the API's. */
function view(u: UserRecord & { registration: string; invitationUrl?: string }) {
  return {
    id: u.id,
    name: u.name,
    ...(u.externalId ? { externalId: u.externalId } : {}),
    ...(u.email ? { email: u.email } : {}),
    ...(u.managedAppleId ? { managedAppleId: u.managedAppleId } : {}),
    enrolled: u.enrolled,
    registration: u.registration,
    ...(u.invitationUrl ? { invitationUrl: u.invitationUrl } : {}),
  };
}
