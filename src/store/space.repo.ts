import { randomUUID } from "node:crypto";
import { type Db, withTransaction } from "./database.js";
import { NotFoundError } from "./errors.js";
import { ensureAllUsersGroup } from "./group.repo.js";

export interface Space {
  id: string;
  name: string;
  isDefault: boolean;
  appsAndBooksEnabled: boolean;
  /** UB2: users a user-based request waits for are registered at Apple on their own (0034). */
  registerWaitingUsers: boolean;
  /** UB2: the MDM delivers invited users' invitation link to their devices (InviteToProgram, 0036). */
  sendInvitationsToDevices: boolean;
  createdAt: Date;
}

export interface NewSpace {
  id?: string;
  name: string;
  isDefault?: boolean;
  appsAndBooksEnabled?: boolean;
}

/** Creates a space with its All Users group (AC1: FCFS for everyone goes through it). */
export async function createSpace(db: Db, input: NewSpace): Promise<Space> {
  return withTransaction(db, async (trx) => {
    const row = await trx
      .insertInto("spaces")
      .values({
        id: input.id ?? randomUUID(),
        name: input.name,
        is_default: input.isDefault ?? false,
        apps_and_books_enabled: input.appsAndBooksEnabled ?? true,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await ensureAllUsersGroup(trx, row.id);
    return toSpace(row);
  });
}

export async function findSpace(db: Db, id: string): Promise<Space | undefined> {
  const row = await db.selectFrom("spaces").selectAll().where("id", "=", id).executeTakeFirst();
  return row && toSpace(row);
}

export async function getSpace(db: Db, id: string): Promise<Space> {
  const space = await findSpace(db, id);
  if (!space) throw new NotFoundError("space", id);
  return space;
}

/**
 * What names the default space wherever a space id is taken (API paths and `?space=`, the
 * CLI's `--space` and grants), whatever its id: no space has this id (ids are UUIDs).
 */
export const DEFAULT_SPACE_ALIAS = "default";

export async function findDefaultSpace(db: Db): Promise<Space | undefined> {
  const row = await db.selectFrom("spaces").selectAll().where("is_default", "=", true).executeTakeFirst();
  return row && toSpace(row);
}

export async function listSpaces(db: Db): Promise<Space[]> {
  const rows = await db.selectFrom("spaces").selectAll().orderBy("created_at").orderBy("id").execute();
  return rows.map(toSpace);
}

/** CA3: while off, no Apps and Books license is distributed in the space. */
export async function setAppsAndBooksEnabled(db: Db, id: string, enabled: boolean): Promise<void> {
  const result = await db
    .updateTable("spaces")
    .set({ apps_and_books_enabled: enabled })
    .where("id", "=", id)
    .executeTakeFirst();
  if (result.numUpdatedRows === 0n) throw new NotFoundError("space", id);
}

/** UB2: registering at Apple, on their own, the users a user-based request waits for. */
export async function setRegisterWaitingUsers(db: Db, id: string, on: boolean): Promise<void> {
  const result = await db
    .updateTable("spaces")
    .set({ register_waiting_users: on })
    .where("id", "=", id)
    .executeTakeFirst();
  if (result.numUpdatedRows === 0n) throw new NotFoundError("space", id);
}

/**
 * UB2: whether the MDM delivers invitation links to users' devices (the links already due are
 * then sent, or those not sent cancelled: applyInvitationSetting in invite-commands.repo.ts).
 */
export async function setSendInvitationsToDevices(db: Db, id: string, on: boolean): Promise<void> {
  const result = await db
    .updateTable("spaces")
    .set({ send_invitations_to_devices: on })
    .where("id", "=", id)
    .executeTakeFirst();
  if (result.numUpdatedRows === 0n) throw new NotFoundError("space", id);
}

/** Renames a space (its id, and every row keyed by it, stay). */
export async function renameSpace(db: Db, id: string, name: string): Promise<Space> {
  const row = await db
    .updateTable("spaces")
    .set({ name })
    .where("id", "=", id)
    .returningAll()
    .executeTakeFirst();
  if (!row) throw new NotFoundError("space", id);
  return toSpace(row);
}

function toSpace(row: {
  id: string;
  name: string;
  is_default: boolean;
  apps_and_books_enabled: boolean;
  register_waiting_users: boolean;
  send_invitations_to_devices: boolean;
  created_at: Date;
}): Space {
  return {
    id: row.id,
    name: row.name,
    isDefault: row.is_default,
    appsAndBooksEnabled: row.apps_and_books_enabled,
    registerWaitingUsers: row.register_waiting_users,
    sendInvitationsToDevices: row.send_invitations_to_devices,
    createdAt: row.created_at,
  };
}
