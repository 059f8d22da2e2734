import type { Command } from "commander";
import { ALL_USERS } from "../../licensing/index.js";
import { inviteGroup, inviteUsers } from "../../mdm/index.js";
import { userWithRegistration } from "../../service/invitations.js";
import type { Db } from "../../store/database.js";
import { getUser, type UserRecord } from "../../store/index.js";
import { type CommonFlags, withCommonFlags, withCore } from "../context.js";
import { CliError } from "../errors.js";
import { withExamples } from "../help.js";
import { printJson, printLine, printNote } from "../output.js";

interface InviteFlags extends CommonFlags {
  group?: string;
  allUninvited?: boolean;
}

/** `orchard users …`: Apps and Books invitations (UB2): invite, and where a user stands with the link. */
export function registerUsers(program: Command): void {
  const users = program
    .command("users")
    .description("users' Apps and Books invitations (UB2): invite them, show where each stands and the link");

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
              groupId: flags.group !== undefined ? await resolveGroup(db, spaceId, flags.group) : ALL_USERS,
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

/** Users by id, external id or email (case aside), not deleted; one matching none, or several, is an error. */
async function resolveUsers(db: Db, spaceId: string, given: readonly string[]): Promise<string[]> {
  const ids: string[] = [];
  for (const g of given) {
    const key = g.trim();
    const rows = await db
      .selectFrom("users")
      .select(["id", "external_id", "email"])
      .where("space_id", "=", spaceId)
      .where("deleted_at", "is", null)
      .where((eb) =>
        eb.or([
          eb("id", "=", key),
          eb("external_id", "=", key),
          eb(eb.fn("lower", ["email"]), "=", key.toLowerCase()),
        ]),
      )
      .execute();
    const exact = rows.find((r) => r.id === key) ?? rows.find((r) => r.external_id === key);
    if (exact) ids.push(exact.id);
    else if (rows.length === 1 && rows[0]) ids.push(rows[0].id);
    else if (rows.length > 1)
      throw new CliError(
        `${rows.length} users have the email ${key}: give an id (${rows.map((r) => r.id).join(", ")})`,
      );
    else throw new CliError(`user ${key} not found in this space`, 3);
  }
  return ids;
}

/** A group by id or name (case aside). */
async function resolveGroup(db: Db, spaceId: string, given: string): Promise<string> {
  const key = given.trim();
  const rows = await db
    .selectFrom("groups")
    .select(["id", "name"])
    .where("space_id", "=", spaceId)
    .where((eb) => eb.or([eb("id", "=", key), eb(eb.fn("lower", ["name"]), "=", key.toLowerCase())]))
    .execute();
  const found = rows.find((r) => r.id === key) ?? (rows.length === 1 ? rows[0] : undefined);
  if (found) return found.id;
  if (rows.length > 1) throw new CliError(`${rows.length} groups are named "${key}": give its id`);
  throw new CliError(`group ${key} not found in this space`, 3);
}
