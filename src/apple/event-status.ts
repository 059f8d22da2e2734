/**
 * Per-subject outcomes of an asynchronous event. Apple reports partial success as FAILED
 * with numCompleted < numRequested and a `failures` list naming the subjects in `errorInfo`.
 * https://developer.apple.com/documentation/devicemanagement/events-status
 * https://developer.apple.com/documentation/devicemanagement/managing-assets (FAILED example)
 */
import type { AssetRef, EventStatus, StatusResponse } from "./wire.js";

export type SubjectRef = { clientUserId: string } | { serialNumber: string };

export interface SubjectFailure {
  errorNumber: number;
  errorMessage: string | undefined;
  /** The subject that failed; undefined when Apple named only assets or nothing. */
  subject: SubjectRef | undefined;
  /** Assets named by the failure, when Apple names them. */
  assets: AssetRef[] | undefined;
}

export interface EventOutcomes {
  eventStatus: EventStatus;
  /** True once the event is COMPLETE or FAILED. */
  done: boolean;
  numCompleted: number | undefined;
  numRequested: number | undefined;
  /** Requested subjects not named by any failure (only once done; empty while PENDING). */
  completed: SubjectRef[];
  failed: SubjectFailure[];
}

/**
 * Maps a StatusResponse to per-subject outcomes. `requested` is what the call sent (users
 * and/or serials); without it only the failures are known.
 */
export function eventOutcomes(
  status: StatusResponse,
  requested: { clientUserIds?: readonly string[]; serialNumbers?: readonly string[] } = {},
): EventOutcomes {
  const failed: SubjectFailure[] = [];
  const failedUsers = new Set<string>();
  const failedSerials = new Set<string>();
  for (const f of status.failures ?? []) {
    const info = f.errorInfo;
    const assets = info?.assets;
    const users = info?.clientUserIds ?? [];
    const serials = info?.serialNumbers ?? [];
    for (const clientUserId of users) {
      failedUsers.add(clientUserId);
      failed.push({
        errorNumber: f.errorNumber,
        errorMessage: f.errorMessage,
        subject: { clientUserId },
        assets,
      });
    }
    for (const serialNumber of serials) {
      failedSerials.add(serialNumber);
      failed.push({
        errorNumber: f.errorNumber,
        errorMessage: f.errorMessage,
        subject: { serialNumber },
        assets,
      });
    }
    if (users.length === 0 && serials.length === 0) {
      failed.push({ errorNumber: f.errorNumber, errorMessage: f.errorMessage, subject: undefined, assets });
    }
  }
  const done = status.eventStatus !== "PENDING";
  const completed: SubjectRef[] = [];
  // A failure that names no subject leaves every subject's fate unknown: claim none completed.
  const unattributed = failed.some((f) => f.subject === undefined);
  if (done && !unattributed) {
    for (const clientUserId of requested.clientUserIds ?? []) {
      if (!failedUsers.has(clientUserId)) completed.push({ clientUserId });
    }
    for (const serialNumber of requested.serialNumbers ?? []) {
      if (!failedSerials.has(serialNumber)) completed.push({ serialNumber });
    }
  }
  return {
    eventStatus: status.eventStatus,
    done,
    numCompleted: status.numCompleted,
    numRequested: status.numRequested,
    completed,
    failed,
  };
}
