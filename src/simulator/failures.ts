/**
 * Per-subject failures of one event, grouped by error number as Apple reports them:
 * `failures: [{errorNumber, errorMessage, errorInfo: {clientUserIds|serialNumbers}}]`
 * (test/fixtures/apple/status.response.failed.json), plus the failed items for the
 * FAILURE notifications.
 */
import { errorBody } from "./errors.js";
import type { SimEvent } from "./location.js";

interface Group<T> {
  serials: Set<string>;
  users: Set<string>;
  items: T[];
}

export class FailureCollector<T> {
  private readonly groups = new Map<number, Group<T>>();
  /** Tasks that failed (a task is an asset x subject, or a user). */
  count = 0;

  add(errorNumber: number, subject: { serialNumber?: string; clientUserId?: string }, item: T): void {
    let group = this.groups.get(errorNumber);
    if (!group) {
      group = { serials: new Set(), users: new Set(), items: [] };
      this.groups.set(errorNumber, group);
    }
    if (subject.serialNumber !== undefined) group.serials.add(subject.serialNumber);
    if (subject.clientUserId !== undefined) group.users.add(subject.clientUserId);
    group.items.push(item);
    this.count++;
  }

  failures(): SimEvent["failures"] {
    return [...this.groups].map(([errorNumber, group]) => {
      const info: { clientUserIds?: string[]; serialNumbers?: string[] } = {};
      if (group.users.size > 0) info.clientUserIds = [...group.users];
      if (group.serials.size > 0) info.serialNumbers = [...group.serials];
      return errorBody(errorNumber, info);
    });
  }

  byError(): Array<{ errorNumber: number; items: T[] }> {
    return [...this.groups].map(([errorNumber, group]) => ({ errorNumber, items: group.items }));
  }
}
