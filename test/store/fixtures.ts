import { randomUUID } from "node:crypto";
import { ALL_USERS, type LicenseState, type Platform } from "../../src/licensing/index.js";
import { setAssetMetadata } from "../../src/store/asset-metadata.repo.js";
import {
  type Account,
  type AssetRecord,
  createAccount,
  createDevices,
  createSpace,
  type Db,
  type DeviceRecord,
  insertLicenses,
  type KeyRing,
  type Space,
  setAppRules,
  setCatalogApp,
  upsertAsset,
} from "../../src/store/index.js";

export const NOW = new Date("2026-01-15T10:00:00Z");
export const SYSTEM = { kind: "system" } as const;

/** A space with Apps and Books on and an app in its catalog. */
export async function spaceWithApp(db: Db, adamId = "361309726"): Promise<{ space: Space; adamId: string }> {
  const space = await createSpace(db, { name: `space ${randomUUID().slice(0, 8)}` });
  await setCatalogApp(db, { spaceId: space.id, adamId, name: "Pages" }, NOW);
  return { space, adamId };
}

/** An account (auto-distribute on: FCFS for All Users) holding `total` seats of the app, `used` taken outside. */
export async function accountWithSeats(
  db: Db,
  keys: KeyRing,
  input: {
    spaceId: string;
    adamId: string;
    total: number;
    used?: number;
    autoDistribute?: boolean;
    deviceAssignable?: boolean;
  },
): Promise<{ account: Account; asset: AssetRecord }> {
  const account = await createAccount(db, keys, {
    spaceId: input.spaceId,
    displayName: `account ${randomUUID().slice(0, 8)}`,
    sToken: `stoken-${randomUUID()}`,
    autoDistribute: input.autoDistribute ?? true,
  });
  const asset = await upsertAsset(
    db,
    {
      spaceId: input.spaceId,
      accountId: account.id,
      adamId: input.adamId,
      pricingParam: "STDQ",
      productType: "App",
      total: input.total,
      used: input.used ?? 0,
      deviceAssignable: input.deviceAssignable ?? true,
      platforms: ["iOS", "macOS"],
    },
    NOW,
  );
  return { account, asset };
}

/** `n` active, supervised iOS devices without users. */
export async function devices(
  db: Db,
  spaceId: string,
  n: number,
  platform: Platform = "iOS",
): Promise<DeviceRecord[]> {
  const prefix = randomUUID().slice(0, 8).toUpperCase();
  return createDevices(
    db,
    Array.from({ length: n }, (_, i) => ({
      spaceId,
      serialNumber: `${prefix}${String(i).padStart(6, "0")}`,
      platform,
      supervised: true,
    })),
  );
}

/** A device-based license of the account for each device, written as is (no allocation); their ids. */
export async function deviceLicenses(
  db: Db,
  input: {
    spaceId: string;
    accountId: string;
    adamId: string;
    devices: readonly DeviceRecord[];
    state: LicenseState;
  },
): Promise<string[]> {
  return insertLicenses(
    db,
    input.devices.map((d) => ({
      spaceId: input.spaceId,
      accountId: input.accountId,
      adamId: input.adamId,
      type: "device" as const,
      deviceId: d.id,
      state: input.state,
      now: NOW,
    })),
  );
}

/** DI2: the account's FCFS rule for All Users, user-based for requested and mandatory apps alike. */
export async function userBasedForAll(
  db: Db,
  key: { spaceId: string; accountId: string; adamId: string },
  now: Date = NOW,
): Promise<void> {
  await setAppRules(
    db,
    {
      ...key,
      fcfs: { groupIds: [ALL_USERS], requestedType: "user", mandatoryType: "user" },
      reservedUserIds: [],
      reservedDeviceIds: [],
      prohibitedUserIds: [],
    },
    SYSTEM,
    now,
  );
}

/** An Apple notification's dedupe record, received at `receivedAt`; returns its key. */
export async function appleNotificationAt(db: Db, spaceId: string, receivedAt: Date): Promise<string> {
  const dedupeKey = randomUUID();
  await db
    .insertInto("apple_notifications")
    .values({
      space_id: spaceId,
      account_id: "acc-1",
      dedupe_key: dedupeKey,
      notification_type: "ASSET_MANAGEMENT",
      received_at: receivedAt,
    })
    .execute();
  return dedupeKey;
}

/** The store's lookup found the app's bundle id (and name): what setAssetMetadata records. */
export function bundleIdFound(
  db: Db,
  asset: { spaceId: string; accountId: string; adamId: string; bundleId: string; name?: string },
): Promise<void> {
  const { bundleId, name, ...of } = asset;
  return setAssetMetadata(db, {
    ...of,
    metadata: {
      custom: false,
      name,
      price: undefined,
      genre: undefined,
      bundleId,
      artworkUrl: undefined,
      latestVersion: undefined,
    },
    now: NOW,
  });
}
