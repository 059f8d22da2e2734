import { z } from "zod";
import { normalizeSerial } from "./serial-number.js";

/**
 * A device's serial number as a request or an import file gives it (device create and bulk,
 * MDM check-in, list filters, `orchard import`): one schema, so every input refuses and
 * accepts alike. A control character anywhere (a newline pasted with it, a NUL) is refused
 * before the spaces around it are trimmed; empty once trimmed is refused; the rest is kept
 * as `normalizeSerial` spells it (upper-case: c02d0000 and C02D0000 are one device).
 */
export const serialNumberInput = z
  .string()
  .regex(/^\P{Cc}*$/u, "no control characters")
  .trim()
  .min(1, "a serial number is required: it is empty once spaces are trimmed")
  .max(100)
  .transform(normalizeSerial);
