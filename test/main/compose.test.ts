import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { type Core, openCore } from "../../src/main/compose.js";
import { applyEvent, moveDevice } from "../../src/mdm/index.js";
import { createSpace, listWaitingRequests } from "../../src/store/index.js";
import { addAccount } from "../../src/sync/index.js";
import { pgliteTemplate } from "../store/databases.js";
import { ADMIN, iosDevices, newAdamId, spaceWithApps } from "../sync/fixtures.js";

const dataDir = mkdtempSync(join(tmpdir(), "orchard-compose-"));
let core: Core;
beforeAll(async () => {
  core = await openCore(loadConfig({ ORCHARD_DATA_DIR: dataDir, LOG_LEVEL: "silent" }), {
    memory: true,
    pgliteTemplate: await pgliteTemplate(),
  });
});
afterAll(async () => {
  await core?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** An app with one seat, its first device granted it (still in the outbox: no worker runs here), the second waiting. */
async function oneSeatTaken() {
  const sim = core.simulator;
  if (!sim) throw new Error("no simulator");
  const { db } = core.store;
  const adamId = newAdamId();
  const loc = sim.operator.createLocation({ orgName: "One seat" });
  sim.operator.addAsset(loc.uId, { adamId, totalCount: 1, supportedPlatforms: ["iOS"] });
  const space = await spaceWithApps(db, [adamId]);
  await addAccount(core.sync, { spaceId: space.id, name: "One seat", sTokenFile: loc.sToken, actor: ADMIN });
  const [first, second] = await iosDevices(db, space.id, 2);
  if (!first || !second) throw new Error("no devices");
  const ask = (deviceId: string) =>
    core.deps.licenses.request(db, {
      spaceId: space.id,
      adamId,
      subject: { kind: "device", deviceId },
      why: "mandatory",
      actor: ADMIN,
      now: new Date(),
    });
  const granted = await ask(first.id);
  expect(granted.decision.outcome).toBe("grant");
  expect((await ask(second.id)).decision.outcome).toBe("wait");
  return { space, adamId, first, second, licenseId: granted.licenseId ?? "" };
}

/** The app's live licenses: the waiting device's, once its turn came. */
async function liveLicenses(spaceId: string) {
  return core.store.db
    .selectFrom("licenses")
    .select(["device_id", "state"])
    .where("space_id", "=", spaceId)
    .where("state", "=", "pending_assign")
    .execute();
}

it("DB2, RV2: revoking a license that never reached Apple gives its seat to the first in the queue at once", async () => {
  const { db } = core.store;
  const { space, adamId, second, licenseId } = await oneSeatTaken();
  const [revoked] = await core.deps.licenses.revoke(db, {
    spaceId: space.id,
    licenseId,
    because: ["RV2"],
    actor: ADMIN,
    now: new Date(),
  });
  expect(revoked?.state).toBe("released");
  expect(await listWaitingRequests(db, space.id, adamId)).toEqual([]);
  expect(await liveLicenses(space.id)).toEqual([{ device_id: second.id, state: "pending_assign" }]);
});

it("DB2, RV1: a device retired before its license reached Apple gives the seat to the first in the queue at once", async () => {
  const { db } = core.store;
  const { space, adamId, first, second } = await oneSeatTaken();
  // As the MDM routes call it: the database and the clock, nothing of the worker's.
  await applyEvent(
    { db, now: () => new Date() },
    { kind: "device_retired", spaceId: space.id, deviceId: first.id },
    ADMIN,
  );
  expect(await listWaitingRequests(db, space.id, adamId)).toEqual([]);
  expect(await liveLicenses(space.id)).toEqual([{ device_id: second.id, state: "pending_assign" }]);
});

it("DB2, TR2: a device moving to another space before its license reached Apple gives the seat to the first in the queue at once", async () => {
  const { db } = core.store;
  const { space, adamId, first, second } = await oneSeatTaken();
  const elsewhere = await createSpace(db, { name: "elsewhere" });
  await moveDevice(
    { db, now: () => new Date() },
    { fromSpaceId: space.id, deviceId: first.id, toSpaceId: elsewhere.id, actor: ADMIN },
  );
  expect(await listWaitingRequests(db, space.id, adamId)).toEqual([]);
  expect(await liveLicenses(space.id)).toEqual([{ device_id: second.id, state: "pending_assign" }]);
});
