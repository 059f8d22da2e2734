/**
 * The waiting queue (DB2, UB3, UB4): requests that found no license wait in order of
 * request and are decided again as soon as a license frees up, Apple reports a purchase
 * (ASSET_COUNT) or the user enrolls. Never dropped: a request leaves the queue only when
 * decided for good (granted, kept or refused), or by a decision logged with its cause: its
 * reason went or its subject did (store/stale-waits.repo.ts), or an administrator cancelled it.
 */
import {
  type QueuePosition,
  waitingAfter,
  waitingAppsWithFreeSeats,
  waitingRequestsOfUsers,
} from "../store/sync-licenses.repo.js";
import type { SyncDeps } from "./deps.js";
import { SYSTEM } from "./deps.js";

const PAGE = 1000;

/**
 * Decides the app's waiting requests again in order of request, page by page; returns the
 * licenses granted (each keeps its queue row's time: writeGrants). Requests that still wait keep their place; a page that found no
 * free license ends the round (those after it would not find one either). A page is read
 * before its allocation: `served` has the allocation check, under each row's lock, that the
 * request still waits and still applies ("Install on device" still on, the app still in the
 * catalog), so a catalog change racing a freed seat installs nothing.
 */
export async function serveQueue(deps: SyncDeps, spaceId: string, adamId: string): Promise<number> {
  let granted = 0;
  let after: QueuePosition | undefined;
  for (let round = 0; round < 1000; round++) {
    const waiting = await waitingAfter(deps.db, spaceId, adamId, after, PAGE);
    const last = waiting[waiting.length - 1];
    if (!last) break;
    after = last.position;
    const results = await deps.allocate({
      spaceId,
      adamId,
      requests: waiting.map(({ position: _, ...request }) => request),
      actor: SYSTEM,
      served: true,
    });
    granted += results.filter((r) => r.decision.outcome === "grant").length;
    // A request Apple refused somewhere may wait for another account's seat while the
    // refusing one has free seats (MA2): not a sign that the app is out of licenses.
    const outOfLicenses = results.some(
      (r) => r.decision.outcome === "wait" && r.decision.reason === "no_license" && !r.appleRefusedAccountIds,
    );
    if (outOfLicenses || waiting.length < PAGE) break;
  }
  if (granted > 0) deps.logger.info({ spaceId, adamId, granted }, "waiting requests served");
  return granted;
}

/** Every app with someone waiting and a free seat (the worker's safety net). */
export async function serveWaitingQueues(deps: SyncDeps): Promise<number> {
  let granted = 0;
  for (const { spaceId, adamId } of await waitingAppsWithFreeSeats(deps.db)) {
    granted += await serveQueue(deps, spaceId, adamId);
  }
  return granted;
}

/** UB4: users who just enrolled: their waiting requests (and their devices') are decided at once. */
export async function redecideEnrolledUsers(
  deps: SyncDeps,
  spaceId: string,
  userIds: readonly string[],
): Promise<number> {
  let granted = 0;
  const byApp = await waitingRequestsOfUsers(deps.db, spaceId, userIds);
  for (const [adamId, requests] of byApp) {
    const results = await deps.allocate({ spaceId, adamId, requests, actor: SYSTEM, served: true });
    granted += results.filter((r) => r.decision.outcome === "grant").length;
  }
  return granted;
}
