/** A growable Int32Array: 4 bytes a value, where a JS number array costs 8 or more. */
export class IntColumn {
  private data: Int32Array;
  length = 0;

  constructor(capacity = 1024) {
    this.data = new Int32Array(Math.max(16, capacity));
  }

  static from(values: ArrayLike<number>): IntColumn {
    const column = new IntColumn(values.length);
    column.data.set(values);
    column.length = values.length;
    return column;
  }

  /** The values, without copying (valid until the next change). */
  view(): Int32Array {
    return this.data.subarray(0, this.length);
  }

  get(index: number): number {
    return this.data[index] ?? -1;
  }

  set(index: number, value: number): void {
    this.data[index] = value;
  }

  push(value: number): void {
    if (this.length === this.data.length) this.grow(this.length * 2);
    this.data[this.length++] = value;
  }

  pop(): void {
    if (this.length > 0) this.length--;
  }

  /** Makes index valid, filling new slots with `fill`. */
  ensure(index: number, fill: number): void {
    if (index < this.length) return;
    if (index >= this.data.length) this.grow(Math.max(index + 1, this.data.length * 2));
    this.data.fill(fill, this.length, index + 1);
    this.length = index + 1;
  }

  reserve(capacity: number): void {
    if (capacity > this.data.length) this.grow(capacity);
  }

  private grow(capacity: number): void {
    const next = new Int32Array(capacity);
    next.set(this.data.subarray(0, this.length));
    this.data = next;
  }
}
