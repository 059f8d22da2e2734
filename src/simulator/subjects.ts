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

/** A registry as saved: ids 0..nextId-1 are either in a seeded block or named, in id order. */
export interface SavedSubjects {
  nextId: number;
  seeded: Array<[start: number, end: number]>;
  names: string[];
}

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

  export(): SavedSubjects {
    return {
      nextId: this.nextId,
      seeded: this.seededBlocks.map((b) => [b.start, b.end]),
      // Ids are handed out in order and named once, so insertion order is id order.
      names: [...this.names.values()],
    };
  }

  /** Fills this empty registry with what export() saved; throws when it does not add up. */
  load(saved: SavedSubjects): void {
    if (this.nextId > 0) throw new Error("load needs an empty registry");
    let free = 0;
    for (const [start, end] of saved.seeded) {
      if (start < free || end < start || end > saved.nextId)
        throw new Error("seeded blocks overlap or overflow");
      this.seededBlocks.push({ start, end });
      free = end;
    }
    let next = 0;
    for (const name of saved.names) {
      next = this.skipSeeded(next);
      if (this.find(name) >= 0) throw new Error(`subject ${name} is named twice`);
      this.ids.set(name, next);
      this.names.set(next, name);
      next++;
    }
    next = this.skipSeeded(next);
    if (next !== saved.nextId) throw new Error(`${saved.names.length} names do not fill ${saved.nextId} ids`);
    this.nextId = saved.nextId;
  }

  /** The first id from `id` on that is not in a seeded block (blocks are in ascending order). */
  private skipSeeded(id: number): number {
    let out = id;
    for (const b of this.seededBlocks) if (out >= b.start && out < b.end) out = b.end;
    return out;
  }

  private isSeeded(id: number): boolean {
    return this.seededBlocks.some((b) => id >= b.start && id < b.end);
  }
}

export function seededName(id: number): string {
  return `SIMSN${String(id).padStart(8, "0")}`;
}
