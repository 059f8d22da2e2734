import type { ColumnType, Selectable } from "kysely";
import type { Db } from "./database.js";

/**
 * An `Idempotency-Key` is answered for 24 hours from its first request; after that it is
 * new again (and the worker's housekeeping deletes it: retention.repo.ts).
 */
export const IDEMPOTENCY_KEY_TTL_MS = 24 * 60 * 60 * 1000;
/**
 * A key still in progress after this long belongs to a request that will never finish (its
 * process ended mid-request): the next request with the key takes it over, rather than
 * being told "in progress" until the key expires. Longer than any request of the API takes.
 */
export const IDEMPOTENCY_ABANDONED_MS = 10 * 60 * 1000;

/** Who sent a key: keys of two principals never meet. */
export interface KeyOwner {
  kind: "admin" | "api_token";
  id: string;
}

/** What a key was first sent with: a retry must send the same. */
export interface KeyedRequest {
  method: string;
  /** The URL's path and query. */
  path: string;
  /** SHA-256 of the body as the route read it; never the body itself (an sToken upload). */
  bodyHash: string;
}

/** The answer kept for a key, replayed to its retries. */
export interface StoredResponse {
  status: number;
  contentType?: string;
  location?: string;
  etag?: string;
  body?: string;
}

export type KeyRecord = KeyedRequest &
  ({ state: "in_progress"; createdAt: Date } | { state: "done"; createdAt: Date; response: StoredResponse });

interface IdempotencyKeyTable {
  principal_kind: "admin" | "api_token";
  principal_id: string;
  key: string;
  method: string;
  path: string;
  body_hash: string;
  state: "in_progress" | "done";
  request_id: string;
  response_status: number | null;
  response_content_type: string | null;
  response_location: string | null;
  response_etag: string | null;
  response_body: string | null;
  created_at: ColumnType<Date, Date, Date>;
}

/** The table, known to this module only: nothing else reads it. */
const keysOf = (db: Db) => db.withTables<{ idempotency_keys: IdempotencyKeyTable }>();

/**
 * Takes the key for this request, or says what holds it. One INSERT: of two requests sent at
 * once with the same key, the primary key lets one in; the other finds its row. A row past
 * its 24 hours, or in progress past IDEMPOTENCY_ABANDONED_MS, is taken over as if new.
 * `claimId` (the request's id) marks the claim, so that only its request finishes it.
 */
export async function claimIdempotencyKey(
  db: Db,
  input: { owner: KeyOwner; key: string; request: KeyedRequest; claimId: string; now: Date },
): Promise<{ claimed: true } | { claimed: false; held: KeyRecord }> {
  const { owner, key, request, claimId, now } = input;
  const expiredBefore = new Date(now.getTime() - IDEMPOTENCY_KEY_TTL_MS);
  const abandonedBefore = new Date(now.getTime() - IDEMPOTENCY_ABANDONED_MS);
  const row = {
    method: request.method,
    path: request.path,
    body_hash: request.bodyHash,
    state: "in_progress" as const,
    request_id: claimId,
    response_status: null,
    response_content_type: null,
    response_location: null,
    response_etag: null,
    response_body: null,
    created_at: now,
  };
  // A row released between the INSERT and the SELECT (a 5xx is not kept): try again.
  for (let attempt = 0; attempt < 3; attempt++) {
    const taken = await keysOf(db)
      .insertInto("idempotency_keys")
      .values({ principal_kind: owner.kind, principal_id: owner.id, key, ...row })
      .onConflict((oc) =>
        oc
          .columns(["principal_kind", "principal_id", "key"])
          .doUpdateSet(row)
          .where((eb) =>
            eb.or([
              eb("idempotency_keys.created_at", "<", expiredBefore),
              eb.and([
                eb("idempotency_keys.state", "=", "in_progress"),
                eb("idempotency_keys.created_at", "<", abandonedBefore),
              ]),
            ]),
          ),
      )
      .returning("request_id")
      .executeTakeFirst();
    if (taken) return { claimed: true };
    const held = await keysOf(db)
      .selectFrom("idempotency_keys")
      .selectAll()
      .where("principal_kind", "=", owner.kind)
      .where("principal_id", "=", owner.id)
      .where("key", "=", key)
      .executeTakeFirst();
    if (held) return { claimed: false, held: toRecord(held) };
  }
  throw new Error("the idempotency key was neither free nor held");
}

/** The request that claimed the key is done: its answer is kept for the key's retries. */
export async function completeIdempotencyKey(
  db: Db,
  input: { owner: KeyOwner; key: string; claimId: string; response: StoredResponse },
): Promise<void> {
  const { owner, key, claimId, response } = input;
  await keysOf(db)
    .updateTable("idempotency_keys")
    .set({
      state: "done",
      response_status: response.status,
      response_content_type: response.contentType ?? null,
      response_location: response.location ?? null,
      response_etag: response.etag ?? null,
      response_body: response.body ?? null,
    })
    .where("principal_kind", "=", owner.kind)
    .where("principal_id", "=", owner.id)
    .where("key", "=", key)
    .where("request_id", "=", claimId)
    .where("state", "=", "in_progress")
    .execute();
}

/** The request that claimed the key ended with an answer not kept (a 5xx): the key is free again. */
export async function releaseIdempotencyKey(
  db: Db,
  input: { owner: KeyOwner; key: string; claimId: string },
): Promise<void> {
  await keysOf(db)
    .deleteFrom("idempotency_keys")
    .where("principal_kind", "=", input.owner.kind)
    .where("principal_id", "=", input.owner.id)
    .where("key", "=", input.key)
    .where("request_id", "=", input.claimId)
    .where("state", "=", "in_progress")
    .execute();
}

function toRecord(row: Selectable<IdempotencyKeyTable>): KeyRecord {
  const request = { method: row.method, path: row.path, bodyHash: row.body_hash };
  if (row.state === "in_progress" || row.response_status === null)
    return { ...request, state: "in_progress", createdAt: row.created_at };
  return {
    ...request,
    state: "done",
    createdAt: row.created_at,
    response: {
      status: row.response_status,
      ...(row.response_content_type === null ? {} : { contentType: row.response_content_type }),
      ...(row.response_location === null ? {} : { location: row.response_location }),
      ...(row.response_etag === null ? {} : { etag: row.response_etag }),
      ...(row.response_body === null ? {} : { body: row.response_body }),
    },
  };
}
