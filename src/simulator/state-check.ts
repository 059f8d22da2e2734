/**
 * Checks of parsed state-file JSON: each returns the typed value or throws a
 * StateFormatError naming where in the file the problem is, so that a damaged file is
 * refused with a useful message rather than half-loaded.
 */
export class StateFormatError extends Error {}

export type Fields = Record<string, unknown>;

const INT32_MAX = 2 ** 31 - 1;

function fail(path: string, expected: string): never {
  throw new StateFormatError(`${path}: expected ${expected}`);
}

export function object(value: unknown, path: string): Fields {
  if (typeof value !== "object" || value === null || Array.isArray(value)) fail(path, "an object");
  return value as Fields;
}

export function array(value: unknown, path: string): unknown[] {
  if (!Array.isArray(value)) fail(path, "an array");
  return value;
}

export function string(value: unknown, path: string): string {
  if (typeof value !== "string") fail(path, "a string");
  return value;
}

export function optionalString(value: unknown, path: string): string | undefined {
  return value === undefined ? undefined : string(value, path);
}

export function bool(value: unknown, path: string): boolean {
  if (typeof value !== "boolean") fail(path, "true or false");
  return value;
}

/** A whole number in [min, max]. */
export function int(value: unknown, path: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min || value > max) {
    fail(path, `a whole number from ${min} to ${max}`);
  }
  return value;
}

export function oneOf<T extends string>(value: unknown, path: string, values: readonly T[]): T {
  if (typeof value !== "string" || !(values as readonly string[]).includes(value)) {
    fail(path, `one of ${values.join(", ")}`);
  }
  return value as T;
}

export function strings(value: unknown, path: string): string[] {
  const items = array(value, path);
  for (let i = 0; i < items.length; i++) if (typeof items[i] !== "string") fail(`${path}[${i}]`, "a string");
  return items as string[];
}

/** A column of whole numbers in [0, below), as an Int32Array. */
export function ints(value: unknown, path: string, below = INT32_MAX): Int32Array {
  const items = array(value, path);
  const out = new Int32Array(items.length);
  for (let i = 0; i < items.length; i++) {
    const n = items[i];
    if (typeof n !== "number" || !Number.isInteger(n) || n < 0 || n >= below) {
      fail(`${path}[${i}]`, `a whole number from 0 to ${below - 1}`);
    }
    out[i] = n;
  }
  return out;
}

export function date(value: unknown, path: string): Date {
  const text = string(value, path);
  const parsed = new Date(text);
  if (Number.isNaN(parsed.getTime())) fail(path, "an ISO date");
  return parsed;
}
