import { InvalidArgumentError } from "commander";

/** A TCP port (0-65535) from the command line. */
export function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65_535) throw new InvalidArgumentError("expected a number from 0 to 65535");
  return n;
}
