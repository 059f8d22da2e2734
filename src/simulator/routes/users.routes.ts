/**
 * GET /users (paged) and POST /users/create, /users/update, /users/retire.
 * https://developer.apple.com/documentation/devicemanagement/managing-users
 */
import type { FastifyInstance } from "fastify";
import type { EventResponse, GetUsersResponse } from "../../apple/wire.js";
import { envelopeOf, locationOf, type SimContext } from "../context.js";
import { AppleError } from "../errors.js";
import { pageOf } from "../paging.js";
import { firstDuplicate, jsonBody, queryBool, queryOf, queryPageIndex, queryString } from "../request.js";
import { ResultCache } from "../result-cache.js";
import { runUsers, type UserInput, type UserOp } from "../user-ops.js";
import { wireUser } from "../wire-out.js";

const OPS: Array<{ op: UserOp; path: string }> = [
  { op: "CREATE", path: "/users/create" },
  { op: "UPDATE", path: "/users/update" },
  { op: "RETIRE", path: "/users/retire" },
];

/** A plain address check; Apple does not document its rule for 9717. */
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function registerUserRoutes(app: FastifyInstance, ctx: SimContext): void {
  const cache = new ResultCache();

  app.get("/mdm/v2/users", async (request): Promise<GetUsersResponse> => {
    const location = locationOf(ctx, request);
    const q = queryOf(request);
    const clientUserId = queryString(q, "clientUserId");
    const activeOnly = queryBool(q, "activeOnly") === true;
    const retiredOnly = queryBool(q, "retiredOnly") === true;
    if (activeOnly && retiredOnly) throw new AppleError(9602);
    queryString(q, "includeRetired"); // legacy parameter: accepted, no effect
    const sinceId = queryString(q, "sinceVersionId");
    const since = sinceId === undefined ? undefined : location.parseVersionId(sinceId);
    const pageIndex = queryPageIndex(q);
    const records = location.users.records;
    const key = `${location.uId}|${location.seq}|${records.length}|${clientUserId}|${activeOnly}|${retiredOnly}|${since}`;
    const rows = cache.get(key, () => {
      const out: number[] = [];
      records.forEach((user, i) => {
        if (clientUserId !== undefined && user.clientUserId !== clientUserId) return;
        if (activeOnly && user.status === "Retired") return;
        if (retiredOnly && user.status !== "Retired") return;
        if (since !== undefined && user.seq <= since) return;
        out.push(i);
      });
      return out;
    });
    const page = pageOf(rows.length, ctx.pageSize, pageIndex);
    const users: GetUsersResponse["users"] = [];
    for (let i = page.start; i < page.end; i++) {
      const record = records[rows[i] as number];
      if (record) users.push(wireUser(record));
    }
    return { users, ...page.meta, ...envelopeOf(location), versionId: location.versionId() };
  });

  for (const { op, path } of OPS) {
    app.post(`/mdm/v2${path}`, async (request): Promise<EventResponse> => {
      const location = locationOf(ctx, request);
      const users = parseUsers(ctx, jsonBody(request), op);
      const event = ctx.events.submit(location, op, users.length, path, (eventId, forced) =>
        runUsers(location, ctx.notifier, ctx.world.ids, op, users, eventId, forced),
      );
      return { eventId: event.eventId, ...envelopeOf(location) };
    });
  }
}

/** ManageUsersRequest: 9720 none, 9714 over maxUsers, 9715 duplicates, 9717 bad email. */
function parseUsers(ctx: SimContext, body: Record<string, unknown>, op: UserOp): UserInput[] {
  const raw = body.users;
  if (raw === undefined || raw === null || (Array.isArray(raw) && raw.length === 0))
    throw new AppleError(9720);
  if (!Array.isArray(raw)) throw new AppleError(9602);
  const users = raw.map((value): UserInput => {
    if (typeof value !== "object" || value === null || Array.isArray(value)) throw new AppleError(9602);
    const { clientUserId, email, managedAppleId } = value as Record<string, unknown>;
    if (typeof clientUserId !== "string" || clientUserId === "") throw new AppleError(9602);
    const user: UserInput = { clientUserId };
    if (op === "RETIRE") return user; // retire reads clientUserId only
    if (email !== undefined && email !== null) {
      if (typeof email !== "string" || !EMAIL.test(email)) throw new AppleError(9717);
      user.email = email;
    }
    if (managedAppleId !== undefined && managedAppleId !== null) {
      if (typeof managedAppleId !== "string" || managedAppleId === "") throw new AppleError(9602);
      user.managedAppleId = managedAppleId;
    }
    return user;
  });
  if (users.length > ctx.world.limits.maxUsers) throw new AppleError(9714);
  if (firstDuplicate(users.map((u) => u.clientUserId)) >= 0) throw new AppleError(9715);
  return users;
}
