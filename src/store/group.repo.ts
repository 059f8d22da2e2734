import { randomUUID } from "node:crypto";
import type { Db } from "./database.js";
import { NotFoundError } from "./errors.js";
import { chunks, inList } from "./sql-helpers.js";

export interface Group {
  id: string;
  spaceId: string;
  name: string;
  externalId?: string;
}

export async function createGroup(
  db: Db,
  input: { id?: string; spaceId: string; name: string; externalId?: string },
): Promise<Group> {
  const row = await db
    .insertInto("groups")
    .values({
      space_id: input.spaceId,
      id: input.id ?? randomUUID(),
      name: input.name,
      external_id: input.externalId ?? null,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return { id: row.id, spaceId: row.space_id, name: row.name, externalId: row.external_id ?? undefined };
}

export async function findGroup(db: Db, spaceId: string, id: string): Promise<Group | undefined> {
  const row = await db
    .selectFrom("groups")
    .selectAll()
    .where("space_id", "=", spaceId)
    .where("id", "=", id)
    .executeTakeFirst();
  return (
    row && { id: row.id, spaceId: row.space_id, name: row.name, externalId: row.external_id ?? undefined }
  );
}

export async function getGroup(db: Db, spaceId: string, id: string): Promise<Group> {
  const group = await findGroup(db, spaceId, id);
  if (!group) throw new NotFoundError("group", id);
  return group;
}

/** Adds users to a group (already members are left as they are). */
export async function addGroupMembers(
  db: Db,
  spaceId: string,
  groupId: string,
  userIds: readonly string[],
): Promise<void> {
  for (const part of chunks(userIds, 3)) {
    await db
      .insertInto("group_members")
      .values(part.map((userId) => ({ space_id: spaceId, group_id: groupId, user_id: userId })))
      .onConflict((oc) => oc.doNothing())
      .execute();
  }
}

export async function removeGroupMembers(
  db: Db,
  spaceId: string,
  groupId: string,
  userIds: readonly string[],
): Promise<void> {
  if (userIds.length === 0) return;
  await db
    .deleteFrom("group_members")
    .where("space_id", "=", spaceId)
    .where("group_id", "=", groupId)
    .where(inList("user_id", userIds))
    .execute();
}

/** Group ids per user (the implicit All Users group is not stored). */
export async function groupIdsOfUsers(
  db: Db,
  spaceId: string,
  userIds: readonly string[],
): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  if (userIds.length === 0) return out;
  const rows = await db
    .selectFrom("group_members")
    .select(["user_id", "group_id"])
    .where("space_id", "=", spaceId)
    .where(inList("user_id", userIds))
    .execute();
  for (const row of rows) {
    const list = out.get(row.user_id);
    if (list) list.push(row.group_id);
    else out.set(row.user_id, [row.group_id]);
  }
  return out;
}
