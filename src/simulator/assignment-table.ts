/**
 * All assignments of one location in columns: row -> (asset index, subject ref), with a
 * doubly linked list of rows per subject (a device or user holds few assets) and a log
 * of changes by version for `sinceVersionId`. Removal swaps the last row into the hole,
 * so every operation is O(1) or O(assets of one subject); no scan of all assignments.
 * A subject ref is `id * 2 + kind` (see subjects.ts).
 */
import { IntColumn } from "./int-column.js";

/** A table as saved (persistence.ts): rows in order and the change log, compacted. */
export interface AssignmentRows {
  /** Asset index and subject ref of each row, in row order (the order GET /assignments pages in). */
  asset: Int32Array;
  subject: Int32Array;
  /** For each row changed after logFloor: the row and the version of its latest change, in log order. */
  logRows: Int32Array;
  logSeqs: Int32Array;
  logFloor: number;
}

export class AssignmentTable {
  private readonly asset = new IntColumn();
  private readonly subject = new IntColumn();
  private readonly prev = new IntColumn();
  private readonly next = new IntColumn();
  /** subject ref -> first row, or -1. */
  private readonly head = new IntColumn();
  private readonly logSeq = new IntColumn();
  private readonly logAsset = new IntColumn();
  private readonly logSubject = new IntColumn();
  /** Changes at or before this version are not in the log (bulk seeding). */
  logFloor = 0;

  get size(): number {
    return this.asset.length;
  }

  assetAt(row: number): number {
    return this.asset.get(row);
  }

  subjectAt(row: number): number {
    return this.subject.get(row);
  }

  find(assetIndex: number, ref: number): number {
    for (let row = this.firstRow(ref); row >= 0; row = this.next.get(row)) {
      if (this.asset.get(row) === assetIndex) return row;
    }
    return -1;
  }

  /** Rows of one subject (a copy, safe to remove while iterating). */
  rowsOf(ref: number): number[] {
    const rows: number[] = [];
    for (let row = this.firstRow(ref); row >= 0; row = this.next.get(row)) rows.push(row);
    return rows;
  }

  add(assetIndex: number, ref: number, seq: number): void {
    this.insert(assetIndex, ref);
    this.log(seq, assetIndex, ref);
  }

  /** Bulk insert without logging; the caller moves `logFloor` past it. */
  insert(assetIndex: number, ref: number): void {
    const row = this.asset.length;
    this.asset.push(assetIndex);
    this.subject.push(ref);
    const first = this.firstRow(ref);
    this.prev.push(-1);
    this.next.push(first);
    if (first >= 0) this.prev.set(first, row);
    this.head.ensure(ref, -1);
    this.head.set(ref, row);
  }

  reserve(rows: number, maxRef: number): void {
    for (const column of [this.asset, this.subject, this.prev, this.next]) column.reserve(rows);
    this.head.ensure(maxRef, -1);
  }

  remove(row: number, seq: number): void {
    const assetIndex = this.asset.get(row);
    const ref = this.subject.get(row);
    this.unlink(row);
    const last = this.asset.length - 1;
    if (row !== last) this.moveRow(last, row);
    for (const column of [this.asset, this.subject, this.prev, this.next]) column.pop();
    this.log(seq, assetIndex, ref);
    // The moved row now sits on a page a walk in progress may have read already: log it as
    // changed, so that a delta from the walk's first versionId returns it (APPLE-API.md
    // "Paging semantics": full read, then sinceVersionId from the first page).
    if (row !== last) this.log(seq, this.asset.get(row), this.subject.get(row));
  }

  /**
   * Rows changed after version `since` that still exist, each once, in log order.
   * Apple documents sinceVersionId as "modified assignments since the specified version"
   * of "the set of current assignments"; removed ones have no documented tombstone.
   */
  changedSince(since: number): number[] {
    let lo = 0;
    let hi = this.logSeq.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.logSeq.get(mid) <= since) lo = mid + 1;
      else hi = mid;
    }
    const seen = new Set<number>();
    const rows: number[] = [];
    for (let i = this.logSeq.length - 1; i >= lo; i--) {
      const assetIndex = this.logAsset.get(i);
      const ref = this.logSubject.get(i);
      const key = ref * 1048576 + assetIndex;
      if (seen.has(key)) continue;
      seen.add(key);
      const row = this.find(assetIndex, ref);
      if (row >= 0) rows.push(row);
    }
    return rows.reverse();
  }

  /**
   * Rows and log as saved. The log keeps only the latest change of each pair that still
   * exists: that is all changedSince reads, so answers stay the same after a restart.
   */
  export(): AssignmentRows {
    const seen = new Set<number>();
    const rows: number[] = [];
    const seqs: number[] = [];
    for (let i = this.logSeq.length - 1; i >= 0; i--) {
      const assetIndex = this.logAsset.get(i);
      const ref = this.logSubject.get(i);
      const key = ref * 1048576 + assetIndex;
      if (seen.has(key)) continue;
      seen.add(key);
      const row = this.find(assetIndex, ref);
      if (row < 0) continue;
      rows.push(row);
      seqs.push(this.logSeq.get(i));
    }
    return {
      // Views, not copies: the caller encodes them before anything else runs.
      asset: this.asset.view(),
      subject: this.subject.view(),
      logRows: Int32Array.from(rows.reverse()),
      logSeqs: Int32Array.from(seqs.reverse()),
      logFloor: this.logFloor,
    };
  }

  /** Fills this empty table with what export() saved; throws on a repeated (asset, subject) pair. */
  load(saved: AssignmentRows): void {
    if (this.size > 0 || this.logSeq.length > 0) throw new Error("load needs an empty table");
    let maxRef = 0;
    for (const ref of saved.subject) if (ref > maxRef) maxRef = ref;
    this.reserve(saved.asset.length, maxRef);
    for (let row = 0; row < saved.asset.length; row++) {
      const assetIndex = saved.asset[row] as number;
      const ref = saved.subject[row] as number;
      if (this.find(assetIndex, ref) >= 0) throw new Error(`assignment row ${row} repeats an earlier row`);
      this.insert(assetIndex, ref);
    }
    for (let i = 0; i < saved.logRows.length; i++) {
      const row = saved.logRows[i] as number;
      this.log(saved.logSeqs[i] as number, this.asset.get(row), this.subject.get(row));
    }
    this.logFloor = saved.logFloor;
  }

  private firstRow(ref: number): number {
    return ref < this.head.length ? this.head.get(ref) : -1;
  }

  private log(seq: number, assetIndex: number, ref: number): void {
    this.logSeq.push(seq);
    this.logAsset.push(assetIndex);
    this.logSubject.push(ref);
  }

  private unlink(row: number): void {
    const p = this.prev.get(row);
    const n = this.next.get(row);
    if (p >= 0) this.next.set(p, n);
    else this.head.set(this.subject.get(row), n);
    if (n >= 0) this.prev.set(n, p);
  }

  /** Moves row `from` to slot `to` (which is free), fixing its neighbours' links. */
  private moveRow(from: number, to: number): void {
    const p = this.prev.get(from);
    const n = this.next.get(from);
    this.asset.set(to, this.asset.get(from));
    this.subject.set(to, this.subject.get(from));
    this.prev.set(to, p);
    this.next.set(to, n);
    if (p >= 0) this.next.set(p, to);
    else this.head.set(this.subject.get(from), to);
    if (n >= 0) this.prev.set(n, to);
  }
}
