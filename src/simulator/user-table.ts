/**
 * Users of one location. Records are never deleted: a retired user stays listable and a
 * re-created clientUserId adds a new record, with at most one Registered/Associated
 * record per clientUserId (APPLE-API.md "Users"; managing-users).
 */
export type UserStatus = "Registered" | "Associated" | "Retired";

export interface UserRecord {
  clientUserId: string;
  email?: string;
  managedAppleId?: string;
  status: UserStatus;
  inviteCode?: string;
  idHash?: string;
  /** Version of the last change, for sinceVersionId. */
  seq: number;
}

export class UserTable {
  readonly records: UserRecord[] = [];
  private readonly active = new Map<string, number>();
  private readonly latest = new Map<string, number>();

  findActive(clientUserId: string): UserRecord | undefined {
    const index = this.active.get(clientUserId);
    return index === undefined ? undefined : this.records[index];
  }

  /** The active record, else the newest one (a Retired user). */
  findLatest(clientUserId: string): UserRecord | undefined {
    const index = this.active.get(clientUserId) ?? this.latest.get(clientUserId);
    return index === undefined ? undefined : this.records[index];
  }

  add(record: UserRecord): void {
    this.records.push(record);
    this.latest.set(record.clientUserId, this.records.length - 1);
    if (record.status !== "Retired") this.active.set(record.clientUserId, this.records.length - 1);
  }

  retire(record: UserRecord, seq: number): void {
    record.status = "Retired";
    record.seq = seq;
    this.active.delete(record.clientUserId);
  }

  get activeCount(): number {
    return this.active.size;
  }
}
