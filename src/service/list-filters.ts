import type { Db } from "../store/database.js";
import { deviceIdOfRef } from "../store/device.repo.js";
import { NotFoundError } from "../store/errors.js";
import {
  findAccount,
  findCatalogApp,
  findDevice,
  findDeviceBySerial,
  findUser,
  listAssetsForApp,
} from "../store/index.js";

/** The ids a list of licenses is filtered by, as a request names them. */
export interface SubjectFilter {
  app?: string | undefined;
  user?: string | undefined;
  device?: string | undefined;
  /** A device by its serial number, as check-in (`serialNumber`) and `explain --serial` know it. */
  serial?: string | undefined;
  account?: string | undefined;
}

export interface FilterWords {
  /** Where the request named each filter (`querystring.device`); undefined: nowhere to name. */
  field(name: keyof SubjectFilter): string | undefined;
  /** How the caller filters by serial number (`serial=C02…`, `--serial C02…`). */
  bySerial(serial: string): string;
}

/**
 * A filter naming an id the space does not have is a typo, not an empty list: a 404
 * (exit 3) naming the filter, as an unknown id anywhere else (invariant 6: another
 * space's is unknown too). An app the space does not have is one neither in its catalog
 * nor bought by any of its accounts. A device is given by id (`device`) or by serial
 * number (`serial`, or `device` as `serial:<serial number>`, as devices/:deviceId takes it),
 * never one for the other; a bare serial number sent as an id says so.
 * Returns the device's id for a serial number.
 */
export async function checkSubjectFilter(
  db: Db,
  spaceId: string,
  filter: SubjectFilter,
  words: FilterWords,
): Promise<{ deviceId?: string }> {
  const { app, user, serial, account } = filter;
  const device =
    filter.device === undefined
      ? undefined
      : await deviceIdOfRef(db, spaceId, filter.device, words.field("device"));
  if (account !== undefined && !(await findAccount(db, spaceId, account)))
    throw new NotFoundError("account", account, words.field("account"));
  if (app !== undefined) {
    const [catalog, assets] = await Promise.all([
      findCatalogApp(db, spaceId, app),
      listAssetsForApp(db, spaceId, app),
    ]);
    if (!catalog && assets.length === 0)
      throw new NotFoundError(
        "app",
        app,
        words.field("app"),
        "it is not in this space's catalog and no account of the space bought it",
      );
  }
  if (user !== undefined && !(await findUser(db, spaceId, user)))
    throw new NotFoundError("user", user, words.field("user"));
  if (device !== undefined && !(await findDevice(db, spaceId, device))) {
    const bySerial = await findDeviceBySerial(db, spaceId, device);
    throw new NotFoundError(
      "device",
      device,
      words.field("device"),
      bySerial ? `it is a device's serial number: filter with ${words.bySerial(device)}` : undefined,
    );
  }
  if (serial === undefined) return device !== undefined ? { deviceId: device } : {};
  const found = await findDeviceBySerial(db, spaceId, serial);
  if (!found) throw new NotFoundError("device", `with serial number ${serial}`, words.field("serial"));
  if (device !== undefined && device !== found.id)
    throw new NotFoundError("device", `${device} with serial number ${serial}`, words.field("serial"));
  return { deviceId: found.id };
}
