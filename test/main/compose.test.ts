import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { type Core, openCore } from "../../src/main/compose.js";
import { listWaitingRequests } from "../../src/store/index.js";
import { addAccount } from "../../src/sync/index.js";
import { ADMIN, iosDevices, newAdamId, spaceWithApps } from "../sync/fixtures.js";

const dataDir = mkdtempSync(join(tmpdir(), "orchard-compose-"));
let core: Core;
beforeAll(async () => {
  core = await openCore(loadConfig({ ORCHARD_DATA_DIR: dataDir, LOG_LEVEL: "silent" }), { memory: true });
});
afterAll(async () => {
  await core?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

it("DB2, RV2: revoking a license that never reached Apple gives its seat to the first in the queue at once", async () => {
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
  // No worker runs here: the first license's association is still in the outbox.
  const [revoked] = await core.deps.licenses.revoke(db, {
    spaceId: space.id,
    licenseId: granted.licenseId ?? "",
    because: ["RV2"],
    actor: ADMIN,
    now: new Date(),
  });
  expect(revoked?.state).toBe("released");
  expect(await listWaitingRequests(db, space.id, adamId)).toEqual([]);
  const licenses = await db
    .selectFrom("licenses")
    .select(["device_id", "state"])
    .where("space_id", "=", space.id)
    .where("state", "=", "pending_assign")
    .execute();
  expect(licenses).toEqual([{ device_id: second.id, state: "pending_assign" }]);
});
