/**
 * Seeded pseudo-random numbers (mulberry32), so that ids and injected faults are
 * reproducible for a given `seed`; the simulator never uses Math.random.
 */
export interface Prng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [0, max). */
  int(max: number): number;
  hex(length: number): string;
  digits(length: number): string;
  /** A version-4-shaped UUID string. */
  uuid(): string;
  /** The internal state, so that a restarted simulator continues the stream (no repeated ids). */
  state(): number;
}

/** `resume` is a `state()` saved earlier; it takes precedence over `seed`. */
export function createPrng(seed: number, resume?: number): Prng {
  let state = (resume ?? seed) >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (max: number): number => Math.floor(next() * max);
  const hex = (length: number): string => {
    let out = "";
    for (let i = 0; i < length; i++) out += int(16).toString(16);
    return out;
  };
  return {
    next,
    int,
    hex,
    digits(length) {
      let out = String(1 + int(9));
      for (let i = 1; i < length; i++) out += String(int(10));
      return out;
    },
    uuid() {
      const variant = (8 + int(4)).toString(16);
      return `${hex(8)}-${hex(4)}-4${hex(3)}-${variant}${hex(3)}-${hex(12)}`;
    },
    state: () => state,
  };
}
