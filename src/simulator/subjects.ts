/**
 * Interned subjects (serial numbers and clientUserIds) as small integers, so that a
 * million assignments cost a few typed-array slots each instead of a string and a Map
 * entry. Seeded serial numbers are not stored at all: their names are computed
 * (`SIMSN00000042`) and parsed back.
 */
export const SERIAL = 0;
export const USER = 1;
export type SubjectKind = typeof SERIAL | typeof USER;

const SEEDED = /^SIMSN(\d{8,})$/;

export class SubjectRegistry {
  private readonly ids = new Map<string, number>();
  private readonly names = new Map<number, string>();
  private readonly seededBlocks: Array<{ start: number; end: number }> = [];
  private nextId = 0;

  constructor(readonly kind: SubjectKind) {}

  /** The id of a known subject, or -1. */
  find(name: string): number {
    const seeded = this.kind === SERIAL ? SEEDED.exec(name) : null;
    if (seeded?.[1]) {
      const id = Number(seeded[1]);
      if (this.isSeeded(id) && seededName(id) === name) return id;
    }
    return this.ids.get(name) ?? -1;
  }

  intern(name: string): number {
    const found = this.find(name);
    if (found >= 0) return found;
    const id = this.nextId++;
    this.ids.set(name, id);
    this.names.set(id, name);
    return id;
  }

  name(id: number): string {
    return this.names.get(id) ?? seededName(id);
  }

  /** Reserves `count` computed-name subjects; returns the first id. */
  reserveSeeded(count: number): number {
    const start = this.nextId;
    this.nextId += count;
    this.seededBlocks.push({ start, end: this.nextId });
    return start;
  }

  private isSeeded(id: number): boolean {
    return this.seededBlocks.some((b) => id >= b.start && id < b.end);
  }
}

export function seededName(id: number): string {
  return `SIMSN${String(id).padStart(8, "0")}`;
}
