import { randomUUID } from "node:crypto";
import { graceEnd, type LicenseRequest } from "../../src/licensing/index.js";
import {
  createDevices,
  createSpace,
  type Db,
  type DeviceRecord,
  releaseLicenses,
  requestLicenses,
  setCatalogApp,
} from "../../src/store/index.js";

export const ADMIN = { kind: "admin", id: "admin-1" } as const;
export const SYSTEM = { kind: "system" } as const;

let nextAdam = 500_000_000 + Math.floor(Math.random() * 1_000_000) * 100;
/** A fresh adamId per test (tests of one file share a database). */
export function newAdamId(): string {
  nextAdam += 1;
  return String(nextAdam);
}

export async function spaceWithApps(db: Db, adamIds: readonly string[], installOnDevice = true) {
  const space = await createSpace(db, { name: `space ${randomUUID().slice(0, 8)}` });
  for (const adamId of adamIds)
    await setCatalogApp(
      db,
      { spaceId: space.id, adamId, name: `App ${adamId}`, installOnDevice },
      new Date(),
    );
  return space;
}

export async function iosDevices(
  db: Db,
  spaceId: string,
  n: number,
  userId?: string,
): Promise<DeviceRecord[]> {
  const prefix = randomUUID().slice(0, 6).toUpperCase();
  return createDevices(
    db,
    Array.from({ length: n }, (_, i) => ({
      spaceId,
      serialNumber: `${prefix}${String(i).padStart(6, "0")}`,
      platform: "iOS" as const,
      supervised: true,
      ...(userId ? { userId } : {}),
    })),
  );
}

/** DB2: every device checks in needing the mandatory app; requests decided in batches. */
export async function checkIn(
  db: Db,
  spaceId: string,
  adamId: string,
  devices: readonly DeviceRecord[],
  batch = 1000,
) {
  let granted = 0;
  for (let i = 0; i < devices.length; i += batch) {
    const requests: LicenseRequest[] = devices.slice(i, i + batch).map((d) => ({
      spaceId,
      adamId,
      subject: { kind: "device", deviceId: d.id },
      why: "mandatory",
    }));
    const results = await requestLicenses(db, {
      spaceId,
      adamId,
      requests,
      actor: { kind: "mdm" },
      now: new Date(),
    });
    granted += results.filter((r) => r.decision.outcome === "grant").length;
  }
  return granted;
}

/** An administrator revokes these iOS licenses now (RV2): 30 days of grace once Apple has released them (RV3). */
export function revokeOnIos(db: Db, spaceId: string, licenseIds: readonly string[]) {
  const now = new Date();
  return releaseLicenses(db, {
    spaceId,
    licenseIds,
    actor: ADMIN,
    now,
    because: ["RV2"],
    graceUntil: graceEnd(now),
  });
}
