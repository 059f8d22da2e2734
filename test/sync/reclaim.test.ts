import type { FastifyInstance } from "fastify";
import { sql } from "kysely";
import { afterAll, beforeAll, expect, it } from "vitest";
import { buildApi } from "../../src/api/app.js";
import { adminPrincipal, createAdministrator, issueApiToken } from "../../src/auth/auth.service.js";
import { mdmDirectoryOps, mdmLicenseOps } from "../../src/main/mdm-bindings.js";
import { localAccountOps } from "../../src/service/accounts.js";
import { listActivity, listLicensesForApp, listWaitingRequests } from "../../src/store/index.js";
import { describeEachDatabase } from "../store/databases.js";
import { checkIn, iosDevices } from "./fixtures.js";
import { appleSubjects, drain, type Harness, iosAppAccount, startHarness } from "./harness.js";

const DAY = 86_400_000;

/**
 * The reclaim end to end: the API (bound as `orchard serve` binds it: src/mdm's license
 * ops), the outbox, the Apple simulator, and the sync that confirms the releases and serves
 * the waiting queue with the seats they give back.
 */
describeEachDatabase("reclaiming inactive devices' licenses, as Apple sees it", (tdb) => {
  let h: Harness;
  let api: FastifyInstance;
  let owner: Awaited<ReturnType<typeof adminPrincipal>>;
  beforeAll(async () => {
    h = await startHarness(tdb());
    const { db, keys } = tdb().store;
    const now = () => new Date();
    api = await buildApi(
      {
        deps: {
          db,
          keys,
          now,
          accounts: localAccountOps(db, keys, now),
          licenses: mdmLicenseOps,
          directory: mdmDirectoryOps,
        },
        ping: async () => void (await sql`select 1`.execute(db)),
        secureCookies: false,
      },
      { logLevel: "silent", console: false },
    );
    await api.ready();
    const admin = await createAdministrator(db, {
      login: `reclaimer-${Math.random().toString(36).slice(2, 8)}`,
      password: "correct horse battery",
      isOwner: true,
      now: now(),
    });
    owner = await adminPrincipal(db, admin, "token");
  });
  afterAll(async () => {
    await api?.close();
    await h?.close();
  });

  it("DB2, RV2: Apple ends up without the reclaimed assignments, and the device waiting in line gets the freed license", async () => {
    const { db } = tdb().store;
    const { adamId, loc, space } = await iosAppAccount(h, db, { total: 2, name: "Main" });
    const { token } = await issueApiToken(db, owner, {
      name: "reclaim",
      grants: [{ spaceId: space.id, role: "manage" }],
      now: new Date(),
    });
    const [idle, active, waiting] = await iosDevices(db, space.id, 3);
    if (!idle || !active || !waiting) throw new Error("devices");
    for (const d of [idle, active, waiting]) await checkIn(db, space.id, adamId, [d]); // in this order
    await drain(h);
    expect(appleSubjects(h.sim, loc.uId, adamId).sort()).toEqual(
      [`s:${idle.serialNumber}`, `s:${active.serialNumber}`].sort(),
    );
    expect((await listWaitingRequests(db, space.id, adamId)).map((w) => w.subject)).toEqual([
      { kind: "device", deviceId: waiting.id },
    ]);
    // The first iPad has not checked in for 100 days; the others did yesterday.
    const ago = (days: number) => new Date(Date.now() - days * DAY);
    const lastSeen = async (deviceId: string, at: Date) =>
      db
        .updateTable("devices")
        .set({ created_at: ago(400), last_check_in_at: at })
        .where("space_id", "=", space.id)
        .where("id", "=", deviceId)
        .execute();
    await lastSeen(idle.id, ago(100));
    await lastSeen(active.id, ago(1));
    await lastSeen(waiting.id, ago(1));

    const reclaim = (body: Record<string, unknown>) =>
      api.inject({
        method: "POST",
        url: `/api/v1/spaces/${space.id}/licenses/reclaim`,
        headers: { authorization: `Bearer ${token}` },
        payload: body,
      });
    const preview = await reclaim({ inactiveDays: 90 });
    expect(preview.statusCode, preview.body).toBe(200);
    expect(preview.json()).toMatchObject({ count: 1, items: [{ serialNumber: idle.serialNumber }] });
    const done = await reclaim({ inactiveDays: 90, expect: 1, fingerprint: preview.json().fingerprint });
    expect(done.json()).toMatchObject({ reclaimed: 1 });

    await drain(h);
    // Apple released the idle iPad's assignment and assigned the freed seat to the waiting iPad.
    expect(appleSubjects(h.sim, loc.uId, adamId).sort()).toEqual(
      [`s:${active.serialNumber}`, `s:${waiting.serialNumber}`].sort(),
    );
    const licenses = await listLicensesForApp(db, space.id, adamId);
    const stateOf = (deviceId: string) =>
      licenses
        .filter((l) => l.deviceId === deviceId)
        .map((l) => l.state)
        .sort();
    expect(stateOf(idle.id)).toEqual(["released"]);
    expect(stateOf(active.id)).toEqual(["assigned"]);
    expect(stateOf(waiting.id)).toEqual(["assigned"]);
    expect(await listWaitingRequests(db, space.id, adamId)).toEqual([]);
    const idleLicense = licenses.find((l) => l.deviceId === idle.id)?.id ?? "";
    const log = await listActivity(db, space.id, { licenseId: idleLicense });
    expect(log.map((l) => l.action)).toEqual(
      expect.arrayContaining(["license.reclaimed", "license.release_requested", "license.released"]),
    );
  });
});
