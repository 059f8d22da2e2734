import { SERIAL_REF_PREFIX } from "../store/device.repo.js";
import { MAX_RULE_LIST_IDS } from "./limits.js";
import { id } from "./schemas.js";

const WORDS =
  `the device's id, or ${SERIAL_REF_PREFIX} and its serial number (${SERIAL_REF_PREFIX}C02D0000; ` +
  "the prefix and the serial number in any case); an unknown serial number is a 404 naming it";

/**
 * A device where the API takes one: its id, or `serial:` and its serial number, in any case
 * (`serial:C02D0000`, `SERIAL:c02d0000`); ids never start with `serial:`. Resolved by
 * `getDeviceByRef`, `deviceIdOfRef` or, for a list, `deviceIdsOfRefs` (device.repo.ts), so
 * every route answers an unknown serial alike.
 */
export const deviceRef = id.describe(WORDS);

/** `deviceRef` whose description first says what the field is for ("only this device's commands"). */
export function deviceRefFor(what: string) {
  return id.describe(`${what}: ${WORDS}`);
}

/** A rule's reserved devices (the rules PUT, a what-if): each as `deviceRef`, resolved in one query. */
export const reservedDeviceRefs = id
  .array()
  .max(MAX_RULE_LIST_IDS)
  .default([])
  .describe(
    `DI1: the reserved devices, each by its id or by ${SERIAL_REF_PREFIX} and its serial number ` +
      `(${SERIAL_REF_PREFIX}C02D0000, the prefix and the serial number in any case); an unknown serial ` +
      "number is a 404 naming its place in the list (`reservedDeviceIds.3`)",
  );
