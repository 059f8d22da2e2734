/**
 * The filtered row lists behind a paged read, kept while the location's version stays
 * the same, so that walking N pages of a filtered million-row result costs one filter
 * pass rather than N. A few entries, least recently used out first.
 */
const MAX_ENTRIES = 16;

export class ResultCache {
  private readonly entries = new Map<string, ArrayLike<number>>();

  get(key: string, compute: () => ArrayLike<number>): ArrayLike<number> {
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    const value = compute();
    this.entries.set(key, value);
    if (this.entries.size > MAX_ENTRIES) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    return value;
  }
}
