import { ensureDefaultSpace } from "../main/default-space.js";
import { checkSubjectFilter } from "../service/list-filters.js";
import type { Db } from "../store/database.js";
import { type Account, DEFAULT_SPACE_ALIAS, listAccounts, listSpaces, type Space } from "../store/index.js";
import { CliError } from "./errors.js";

/**
 * What an administrator types for a space or an account: its id, or its name as the
 * console shows it (case and outer spaces aside, as account names are unique: MA1). An
 * unknown one is exit 3 with where to find the right one; a name two spaces share is exit 2.
 */
const fold = (s: string) => s.trim().toLowerCase();

export async function resolveSpace(db: Db, given: string): Promise<Space> {
  const spaces = await listSpaces(db);
  const byId = spaces.find((s) => s.id === given);
  if (byId) return byId;
  const named = spaces.filter((s) => fold(s.name) === fold(given));
  if (named.length === 1 && named[0]) return named[0];
  if (named.length > 1)
    throw new CliError(
      `${named.length} spaces are named "${given.trim()}": give its id (${named.map((s) => s.id).join(", ")})`,
    );
  throw new CliError(`space ${given} not found (orchard space list shows every space)`, 3);
}

/** An account of the space by id or display name. */
export async function resolveAccount(db: Db, spaceId: string, given: string): Promise<Account> {
  return pick(await listAccounts(db, spaceId), given);
}

/** Several accounts (`--priority a,b,c`), read once. */
export async function resolveAccounts(db: Db, spaceId: string, given: readonly string[]): Promise<Account[]> {
  const accounts = await listAccounts(db, spaceId);
  return given.map((g) => pick(accounts, g));
}

function pick(accounts: readonly Account[], given: string): Account {
  const found =
    accounts.find((a) => a.id === given) ?? accounts.find((a) => fold(a.displayName) === fold(given));
  if (found) return found;
  throw new CliError(`account ${given} not found (orchard token list shows the space's accounts)`, 3);
}

/**
 * `--app` and `--account` of a command that narrows to them: an app the space does not
 * have is a typo (exit 3), not an empty answer. Returns the account's id.
 */
export async function resolveAppAndAccount(
  db: Db,
  spaceId: string,
  flags: { app?: string; account?: string },
): Promise<string | undefined> {
  const accountId =
    flags.account === undefined ? undefined : (await resolveAccount(db, spaceId, flags.account)).id;
  await checkSubjectFilter(
    db,
    spaceId,
    { app: flags.app },
    { field: () => undefined, bySerial: (s) => `--serial ${s}` },
  );
  return accountId;
}

/**
 * Users as an administrator names them: id, external id (the identity provider's), e-mail or
 * managed Apple ID (case aside but for the ids), deleted ones aside (RV5). One the space does
 * not have is exit 3; an address two users share is exit 2, naming their ids. Returns ids.
 */
export async function resolveUsers(db: Db, spaceId: string, given: readonly string[]): Promise<string[]> {
  const keys = given.map((g) => g.trim());
  if (keys.length === 0) return [];
  const folded = keys.map(fold);
  const rows = await db
    .selectFrom("users")
    .select(["id", "external_id", "email", "managed_apple_id"])
    .where("space_id", "=", spaceId)
    .where("deleted_at", "is", null)
    .where((eb) =>
      eb.or([
        eb("id", "in", keys),
        eb("external_id", "in", keys),
        eb(eb.fn("lower", ["email"]), "in", folded),
        eb(eb.fn("lower", ["managed_apple_id"]), "in", folded),
      ]),
    )
    .execute();
  return keys.map((key) => {
    const exact = rows.find((r) => r.id === key) ?? rows.find((r) => r.external_id === key);
    if (exact) return exact.id;
    const named = rows.filter((r) => [r.email, r.managed_apple_id].some((k) => k && fold(k) === fold(key)));
    if (named.length > 1)
      throw new CliError(
        `${named.length} users have the address ${key}: give an id (${named.map((r) => r.id).join(", ")})`,
      );
    if (!named[0]) throw new CliError(`user ${key} not found in this space`, 3);
    return named[0].id;
  });
}

/** Groups by id or name (case and outer spaces aside); a name two groups share is exit 2. Returns ids. */
export async function resolveGroups(db: Db, spaceId: string, given: readonly string[]): Promise<string[]> {
  const groups = await db
    .selectFrom("groups")
    .select(["id", "name"])
    .where("space_id", "=", spaceId)
    .execute();
  return given.map((g) => {
    const key = g.trim();
    if (key === "") throw new CliError("a group is named by its id or its name: an empty one names none");
    const byId = groups.find((x) => x.id === key);
    if (byId) return byId.id;
    // Names mirror the identity provider's, which may repeat one: then the id says which.
    const named = groups.filter((x) => fold(x.name) === fold(key));
    if (named.length > 1)
      throw new CliError(
        `${named.length} groups are named "${key}": give its id (${named.map((x) => x.id).join(", ")})`,
      );
    if (!named[0]) throw new CliError(`group ${key} not found in this space`, 3);
    return named[0].id;
  });
}

export async function resolveGroup(db: Db, spaceId: string, given: string): Promise<string> {
  const [id] = await resolveGroups(db, spaceId, [given]);
  if (id === undefined) throw new CliError(`group ${given} not found in this space`, 3);
  return id;
}

/**
 * `--space` and a grant's space: `default` is the default space (created now if Orchard
 * never started), as in the API's paths; else an id or a name.
 */
export async function spaceIdOf(store: { db: Db }, given: string): Promise<string> {
  if (given === DEFAULT_SPACE_ALIAS) return ensureDefaultSpace({ store });
  return (await resolveSpace(store.db, given)).id;
}
