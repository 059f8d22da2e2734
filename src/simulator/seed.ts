/**
 * Generated data for demos and benches: N apps with M licenses each, K users, and
 * optionally pre-existing serial-number assignments (a million in well under a second:
 * seeded serial numbers are computed names, written straight into the columns).
 */
import { makeMetadata, type SimAppMetadata } from "./app-metadata.js";
import type { Location } from "./location.js";
import type { Prng } from "./prng.js";
import { SERIAL } from "./subjects.js";
import { makeIdHash } from "./wire-out.js";

export interface SeedSpec {
  apps: number;
  licensesPerApp: number;
  users?: number;
  /** Pre-existing serial-number assignments, spread round-robin over the seeded apps. */
  assignments?: number;
}

/** First adamId of generated apps (real adamIds are 9-10 digit strings). */
const FIRST_ADAM_ID = 900_000_000;
/** One generated app in ten is a custom (B2B) app, absent from the public lookup (DB5). */
const CUSTOM_EVERY = 10;

export function seedLocation(
  location: Location,
  ids: Prng,
  spec: SeedSpec,
  metadata?: Map<string, SimAppMetadata>,
): void {
  const apps = whole(spec.apps, "apps");
  const perApp = whole(spec.licensesPerApp, "licensesPerApp");
  const userCount = whole(spec.users ?? 0, "users");
  const assignmentCount = whole(spec.assignments ?? 0, "assignments");
  if (assignmentCount > 0 && apps === 0) throw new Error("seed: assignments need at least one app");
  if (assignmentCount > apps * perApp) {
    throw new Error(`seed: ${assignmentCount} assignments exceed ${apps * perApp} licenses`);
  }
  const seq = location.bump();
  const assets = [];
  for (let i = 0; i < apps; i++) {
    let adamId = String(FIRST_ADAM_ID + location.assets.length);
    while (location.findAsset(adamId, "STDQ")) adamId = String(Number(adamId) + 1);
    assets.push(
      location.addAsset({
        adamId,
        pricingParam: "STDQ",
        productType: "App",
        totalCount: perApp,
        assignedCount: 0,
        retiredCount: 0,
        deviceAssignable: true,
        revocable: true,
        supportedPlatforms: ["iOS", "macOS"],
      }),
    );
    if (metadata && !metadata.has(adamId)) {
      const custom = Number(adamId) % CUSTOM_EVERY === CUSTOM_EVERY - 1;
      metadata.set(adamId, makeMetadata(adamId, "App", { custom }));
    }
  }
  const firstUser = location.users.records.length;
  for (let i = 0; i < userCount; i++) {
    const clientUserId = `sim-user-${firstUser + i}`;
    const email = `${clientUserId}@example.com`;
    // Half accepted their invitation (Associated), half still Registered.
    if (i % 2 === 0) {
      const idHash = makeIdHash(location.uId, email);
      location.users.add({ clientUserId, email, status: "Associated", idHash, seq });
    } else {
      location.users.add({ clientUserId, email, status: "Registered", inviteCode: ids.hex(32), seq });
    }
  }
  if (assignmentCount > 0) {
    const firstSerial = location.serials.reserveSeeded(assignmentCount);
    const table = location.assignments;
    table.reserve(table.size + assignmentCount, (firstSerial + assignmentCount) * 2);
    for (let j = 0; j < assignmentCount; j++) {
      const asset = assets[j % apps];
      if (!asset) continue;
      table.insert(asset.index, (firstSerial + j) * 2 + SERIAL);
      asset.assignedCount++;
    }
    // Seeded rows are not in the change log: a versionId from before is no longer usable (9721).
    table.logFloor = seq;
  }
}

function whole(n: number, name: string): number {
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`seed: ${name} must be a whole number >= 0`);
  return n;
}
