import { z } from "zod";
import { SERIAL_REF_PREFIX, serialOfRef } from "../store/device.repo.js";
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
export const deviceRef = refOf(id).describe(WORDS);

/** `deviceRef` whose description first says what the field is for ("only this device's commands"). */
export function deviceRefFor(what: string) {
  return refOf(id).describe(`${what}: ${WORDS}`);
}

/** A device's route: the space and `deviceRef`. */
export const deviceParams = z.object({ spaceId: id, deviceId: deviceRef });

/** A rule's reserved devices (the rules PUT, a what-if): each as `deviceRef`, resolved in one query. */
export const reservedDeviceRefs = refOf(id)
  .array()
  .max(MAX_RULE_LIST_IDS)
  .default([])
  .describe(
    `DI1: the reserved devices, each by its id or by ${SERIAL_REF_PREFIX} and its serial number ` +
      `(${SERIAL_REF_PREFIX}C02D0000, the prefix and the serial number in any case); an unknown serial ` +
      "number is a 404 naming its place in the list (`reservedDeviceIds.3`)",
  );

/** `serial:` alone names no device: its field's 400, not a search for an empty serial number. */
function refOf(text: typeof id) {
  return text.refine((ref) => serialOfRef(ref) !== "", {
    message: `${SERIAL_REF_PREFIX} needs a serial number after it (${SERIAL_REF_PREFIX}C02D0000)`,
  });
}
