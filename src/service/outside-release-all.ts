import { appendActivity } from "../store/activity.repo.js";
import { activityMessage } from "../store/activity-messages.js";
import { type Db, withTransaction } from "../store/database.js";
import { getAccount } from "../store/index.js";
import { outsideListState, queueReleaseOfList } from "../store/outside-release-all.repo.js";
import type { Actor } from "../store/sql-helpers.js";
import { PreviewChangedError } from "./preview-changed.js";

/**
 * AC7: "Release all unmatched": an account's whole list of assignments made outside Orchard
 * (of one app, optionally) released at Apple in one request, after the administrator saw
 * how many. As a reclaim does (service/reclaim.ts), the release names what the preview
 * showed, the count (`expect`) and the fingerprint of the list: when either differs now,
 * nothing is queued (OutsideListChangedError). Safe to send again: an assignment whose
 * release is on its way is not queued twice (`alreadyReleasing`).
 */

export interface ReleaseAllPreview {
  /** Assignments the list holds (of the app, when one is named). */
  count: number;
  /** Of exactly those: what the release names with `expect`. */
  fingerprint: string;
  /** When the list was read from Apple; absent before the account's first full sync. */
  syncedAt?: Date;
}

export interface ReleaseAllResult extends ReleaseAllPreview {
  /** Queued for Apple now: the seats come back as Apple confirms. */
  requested: number;
  /** On their way already (asked before, not confirmed yet): not queued again. */
  alreadyReleasing: number;
  /**
   * Listed, but their device or user holds a license of the app in the account now (it
   * adopted the assignment, or was given the app, since the list was read): Orchard's, not
   * released.
   */
  heldByOrchard: number;
}

/** The list is not what the preview showed: nothing was queued. */
export class OutsideListChangedError extends PreviewChangedError {
  override readonly name = "OutsideListChangedError";
  constructor(expected: number, count: number, change: "count" | "set") {
    super(
      expected,
      count,
      change,
      change === "count"
        ? `the list holds ${count} ${count === 1 ? "assignment" : "assignments"} made outside Orchard now, not the ${expected} ` +
            "the preview showed: nothing was released; preview again"
        : `the list of assignments made outside Orchard changed since the preview (${count}, as many, but not the same ones): ` +
            "nothing was released; preview again",
    );
  }
}

/** How many assignments a release of the whole list would ask Apple for, and their fingerprint. Writes nothing. */
export async function previewReleaseAll(
  db: Db,
  input: { spaceId: string; accountId: string; adamId?: string | undefined },
): Promise<ReleaseAllPreview> {
  await getAccount(db, input.spaceId, input.accountId);
  const { generation: _, ...state } = await outsideListState(db, input);
  return state;
}

/**
 * Releases the whole list (of one app) when it is still what the preview showed, in one
 * transaction: the outbox operations (Apple's calls group them, as many per call as Apple
 * takes) and one activity-log line that says who asked and how many (each assignment gets
 * its own line when Apple confirms or refuses: `outside.released`, `outside.release_failed`).
 */
export async function releaseAllOutside(
  db: Db,
  input: {
    spaceId: string;
    accountId: string;
    adamId?: string | undefined;
    expect: number;
    fingerprint: string;
    actor: Actor;
    now: Date;
  },
): Promise<ReleaseAllResult> {
  const { spaceId, accountId, adamId, now } = input;
  await getAccount(db, spaceId, accountId);
  return withTransaction(db, async (trx) => {
    const { generation, ...state } = await outsideListState(trx, { spaceId, accountId, adamId, lock: true });
    if (state.count !== input.expect) throw new OutsideListChangedError(input.expect, state.count, "count");
    if (state.fingerprint !== input.fingerprint)
      throw new OutsideListChangedError(input.expect, state.count, "set");
    if (generation === undefined || state.count === 0)
      return { ...state, requested: 0, alreadyReleasing: 0, heldByOrchard: 0 };
    const { requested, held, listed } = await queueReleaseOfList(trx, {
      spaceId,
      accountId,
      adamId,
      generation,
      now,
    });
    const alreadyReleasing = listed - held - requested;
    if (requested > 0)
      await appendActivity(trx, [
        {
          spaceId,
          actor: input.actor,
          action: "outside.release_requested",
          accountId,
          ...(adamId !== undefined ? { adamId } : {}),
          ruleIds: ["AC7"],
          message: activityMessage("outside.release_all_queued", { requested, already: alreadyReleasing }),
          details: { all: true, count: state.count, requested, alreadyReleasing, heldByOrchard: held },
          at: now,
        },
      ]);
    return { ...state, requested, alreadyReleasing, heldByOrchard: held };
  });
}
