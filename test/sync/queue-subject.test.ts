import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import { checkIn, type MdmDeps, requestLicensesFor } from "../../src/mdm/index.js";
import {
  createDevice,
  createUsers,
  findLicense,
  listActivity,
  listLicensesForApp,
  listWaitingRequests,
} from "../../src/store/index.js";
import { listMdmCommands } from "../../src/store/mdm-command.repo.js";
import { addAccount } from "../../src/sync/index.js";
import { describeEachDatabase } from "../store/databases.js";
import { userBasedForAll } from "../store/fixtures.js";
import { ADMIN, newAdamId, spaceWithApps } from "./fixtures.js";
import { drain, type Harness, startHarness } from "./harness.js";

describeEachDatabase("a refused subject waits again as the subject that asked", (tdb) => {
  let h: Harness;
  let mdm: MdmDeps;
  beforeAll(async () => {
    mdm = { db: tdb().store.db, now: () => new Date() };
    // As main binds it (src/main/compose.ts): waiting requests granted later get their installs (DB2, LT2).
    h = await startHarness(tdb(), { deps: { allocate: (request) => requestLicensesFor(mdm, request) } });
  });
  afterAll(async () => {
    await h?.close();
  });
  const userBased = (spaceId: string, accountId: string, adamId: string) =>
    userBasedForAll(tdb().store.db, { spaceId, accountId, adamId }, new Date());

  /**
   * An app with one seat at Apple in a new space (in the catalog, mandatory or not), its
   * account giving DI2's user-based licenses, and an enrolled user (a Managed Apple Account,
   * Associated at once: UB3).
   */
  async function oneSeatWithUser(mandatory: boolean, name: string) {
    const { db } = tdb().store;
    const adamId = newAdamId();
    const loc = h.newLocation();
    h.sim.operator.addAsset(loc.uId, { adamId, totalCount: 1, supportedPlatforms: ["iOS"] });
    const space = await spaceWithApps(db, [adamId], mandatory);
    const { account } = await addAccount(h.deps, {
      spaceId: space.id,
      name: "One seat",
      sTokenFile: loc.sToken,
      actor: ADMIN,
    });
    await userBased(space.id, account.id, adamId);
    const clientUserId = `${name}-${space.id.slice(0, 8)}`;
    await h.deps.apple
      .forToken(loc.sToken)
      .createUsersBatched([{ clientUserId, managedAppleId: `${clientUserId}@org.example` }]);
    await h.sim.operator.idle();
    const [user] = await createUsers(db, [
      { spaceId: space.id, name, appleClientUserId: clientUserId, appleStatus: "Associated" },
    ]);
    if (!user) throw new Error("1 user");
    return { db, adamId, loc, space, user };
  }

  it("DB2, LT2: a device granted a user-based license and refused by Apple (9709) waits again as the device, and gets its install when a license frees up", async () => {
    // "Install on device": mandatory (CA1); mandatory installs take user-based licenses here.
    const { db, adamId, loc, space, user: owner } = await oneSeatWithUser(true, "owner");
    const device = await createDevice(db, {
      spaceId: space.id,
      serialNumber: `QS${randomUUID().slice(0, 8).toUpperCase()}`,
      platform: "iOS",
      supervised: true,
      userId: owner.id,
    });

    // Another tool takes the only license at Apple; Orchard has not synced since.
    await h.deps.apple.forToken(loc.sToken).associate({ assets: [{ adamId }], serialNumbers: ["OUTSIDE1"] });
    await h.sim.operator.idle();

    // The device checks in (DB2): granted a user-based license for its user, install queued (LT2).
    const checked = await checkIn(mdm, { spaceId: space.id, serialNumber: device.serialNumber });
    const first = checked.decisions.find((d) => d.adamId === adamId);
    expect(first?.decision).toMatchObject({ outcome: "grant", type: "user" });
    expect(first?.installQueued).toBe(true);
    const granted = await findLicense(db, space.id, first?.licenseId ?? "");
    expect(granted?.userId).toBe(owner.id);
    expect(granted?.deviceId).toBeUndefined();
    expect(granted?.request).toEqual({ subject: { kind: "device", deviceId: device.id }, why: "check_in" });

    // Apple refuses the association: 9709.
    await drain(h);
    expect((await findLicense(db, space.id, granted?.id ?? ""))?.state).toBe("released");
    const refused = await listActivity(db, space.id, { adamId, action: "license.assign_failed" });
    expect(refused[0]?.message).toContain("9709");

    // The device waits again, as the device, for the reason it asked, from when it asked.
    const waiting = await listWaitingRequests(db, space.id, adamId);
    expect(waiting.map(({ subject, why }) => ({ subject, why }))).toEqual([
      { subject: { kind: "device", deviceId: device.id }, why: "check_in" },
    ]);
    expect(waiting[0]?.waitingSince).toEqual(granted?.requestedAt);

    // A license is bought (ASSET_COUNT): the queue is served through the MDM binding.
    h.sim.operator.buy(loc.uId, adamId, 1);
    await h.sim.operator.idle();
    expect(await listWaitingRequests(db, space.id, adamId)).toEqual([]);
    const [again] = await listLicensesForApp(db, space.id, adamId, { states: ["pending_assign"] });
    expect(again?.userId).toBe(owner.id);
    expect(again?.request).toEqual({ subject: { kind: "device", deviceId: device.id }, why: "check_in" });
    const installs = () =>
      listMdmCommands(db, space.id, { deviceId: device.id, state: "pending" }).then((commands) =>
        commands.filter((c) => c.kind === "install" && c.adamId === adamId),
      );
    // LT2: the device's install is queued for the new license, waiting for Apple's confirmation.
    expect((await installs()).map((c) => [c.licenseId, c.awaitingLicense])).toEqual([[again?.id, true]]);

    // Apple assigns it: the install is ready for the MDM.
    await drain(h);
    expect((await findLicense(db, space.id, again?.id ?? ""))?.state).toBe("assigned");
    const ready = await listMdmCommands(db, space.id, { deviceId: device.id, ready: true });
    expect(ready.filter((c) => c.kind === "install" && c.adamId === adamId).map((c) => c.licenseId)).toEqual([
      again?.id,
    ]);
  });

  it("UB3: a user's own request refused by Apple (9709) still waits again as the user, with its reason", async () => {
    // "Install on device" (CA1) is what makes it mandatory: a mandatory wait applies only while it is on.
    const { db, adamId, loc, space, user: asker } = await oneSeatWithUser(true, "asker");
    await h.deps.apple.forToken(loc.sToken).associate({ assets: [{ adamId }], serialNumbers: ["OUTSIDE2"] });
    await h.sim.operator.idle();

    // A mandatory user-licensed app (UB3), asked for the user: it keeps "mandatory", not "requested".
    const [result] = await requestLicensesFor(mdm, {
      spaceId: space.id,
      adamId,
      requests: [
        { spaceId: space.id, adamId, subject: { kind: "user", userId: asker.id }, why: "mandatory" },
      ],
      actor: ADMIN,
    });
    expect(result?.decision).toMatchObject({ outcome: "grant", type: "user" });
    await drain(h); // 9709
    expect((await findLicense(db, space.id, result?.licenseId ?? ""))?.state).toBe("released");
    const waiting = await listWaitingRequests(db, space.id, adamId);
    expect(waiting.map(({ subject, why }) => ({ subject, why }))).toEqual([
      { subject: { kind: "user", userId: asker.id }, why: "mandatory" },
    ]);
  });
});
