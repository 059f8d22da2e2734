import { SERIAL_REF_PREFIX } from "../store/device.repo.js";
import { id } from "./schemas.js";

/**
 * A device where the API takes one: its id, or `serial:` and its serial number, in any case
 * (`serial:C02D0000`); ids never start with `serial:`. Resolved by `getDeviceByRef` or
 * `deviceIdOfRef` (device.repo.ts), so every route answers an unknown serial alike.
 */
export const deviceRef = id.describe(
  `the device's id, or ${SERIAL_REF_PREFIX} and its serial number (${SERIAL_REF_PREFIX}C02D0000, any case); ` +
    "an unknown serial number is a 404 naming it",
);
