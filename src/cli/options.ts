import { InvalidArgumentError } from "commander";

/** A TCP port (0-65535) from the command line. */
export function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65_535)
    throw new InvalidArgumentError("expected a number from 0 to 65535");
  return n;
}

/** A whole number from 1 to `max` from the command line. */
export function parsePositive(max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1 || n > max)
      throw new InvalidArgumentError(`expected a whole number from 1 to ${max}`);
    return n;
  };
}
