/**
 * The state file's JSON, version 1:
 *
 *   { "format": "orchard-simulator-state", "version": 1, "savedAt": ISO date,
 *     "prng": { "ids": n, "faults": n }, "limits": { ...Limits },
 *     "tokens": [ { "secret", "uId", "revoked" } ],
 *     "metadata" (optional, added later in version 1): [ { "adamId", "productType", "name",
 *         "bundleId"?, "version", "genre", "price", "custom", "storefronts"? } ],
 *     "locations": [ { "uId", "orgName", "locationName", "countryISO2ACode", "versionSalt",
 *         "seq", "currentToken", "tokenExpiresAt", "clientConfig", "assets": [Asset],
 *         "users": [UserRecord], "events": [SimEvent],
 *         "serials" and "userIds": { "nextId", "seeded": [[start, end]], "names": [string] },
 *         "assignments": { "asset": [int], "subject": [int], "logRows": [int], "logSeqs": [int],
 *                          "logFloor": int } } ] }
 *
 * Assignments are two parallel integer columns in row order (the order GET /assignments
 * pages in): the asset's index in "assets", and the subject as `id * 2 + kind` (kind 0 a
 * serial number, 1 a clientUserId; id indexes "serials" or "userIds", whose ids run
 * 0..nextId-1 over the seeded blocks, named SIMSN00000042, and "names" in order): about
 * 10 bytes an assignment, plus each subject's name once. Written as chunks, never as one
 * giant string; state-decode.ts reads and checks it.
 */
import type { SavedState } from "./state-world.js";

export const STATE_FORMAT = "orchard-simulator-state";
export const STATE_VERSION = 1;

/** Items per chunk of a large array. */
const CHUNK = 65_536;

/** The state as JSON text in pieces (join them, or write them one after another). */
export function encodeState(state: SavedState, savedAt: Date): string[] {
  const out: string[] = [];
  const head = {
    format: STATE_FORMAT,
    version: STATE_VERSION,
    savedAt,
    prng: state.prng,
    limits: state.limits,
  };
  out.push(JSON.stringify(head).slice(0, -1), ',"tokens":', JSON.stringify(state.tokens));
  if (state.metadata) {
    out.push(',"metadata":');
    pushArray(out, state.metadata);
  }
  out.push(',"locations":[');
  state.locations.forEach((l, i) => {
    const { users, events, serials, userIds, assignments, ...small } = l;
    out.push(i > 0 ? "," : "", JSON.stringify(small).slice(0, -1));
    out.push(',"users":');
    pushArray(out, users);
    out.push(',"events":');
    pushArray(out, events);
    for (const [name, subjects] of [
      ["serials", serials],
      ["userIds", userIds],
    ] as const) {
      out.push(
        `,"${name}":{"nextId":${subjects.nextId},"seeded":${JSON.stringify(subjects.seeded)},"names":`,
      );
      pushArray(out, subjects.names);
      out.push("}");
    }
    out.push(',"assignments":{"asset":');
    pushInts(out, assignments.asset);
    out.push(',"subject":');
    pushInts(out, assignments.subject);
    out.push(',"logRows":');
    pushInts(out, assignments.logRows);
    out.push(',"logSeqs":');
    pushInts(out, assignments.logSeqs);
    out.push(`,"logFloor":${assignments.logFloor}}}`);
  });
  out.push("]}\n");
  return out;
}

function pushArray(out: string[], items: readonly unknown[]): void {
  out.push("[");
  for (let i = 0; i < items.length; i += CHUNK) {
    out.push(i > 0 ? "," : "", JSON.stringify(items.slice(i, i + CHUNK)).slice(1, -1));
  }
  out.push("]");
}

function pushInts(out: string[], items: Int32Array): void {
  out.push("[");
  for (let i = 0; i < items.length; i += CHUNK)
    out.push(i > 0 ? "," : "", items.subarray(i, i + CHUNK).join(","));
  out.push("]");
}
