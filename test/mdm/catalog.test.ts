import { expect, it } from "vitest";
import {
  addToDistribution,
  applyEvent,
  checkIn,
  delegateApp,
  publishAppVersion,
  putCatalogApp,
  removeFromCatalog,
  requestLicense,
  undelegateApp,
} from "../../src/mdm/index.js";
import { findCatalogDescription } from "../../src/store/catalog.repo.js";
import {
  createDevices,
  createSpace,
  createUser,
  findCatalogApp,
  findDefaultSpace,
  markAssigned,
  replaceInstalledApps,
} from "../../src/store/index.js";
import { listMdmCommands } from "../../src/store/mdm-command.repo.js";
import { describeEachDatabase } from "../store/databases.js";
import { accountWithSeats, devices, NOW, SYSTEM } from "../store/fixtures.js";

const ADMIN = { kind: "admin", id: "admin-1" } as const;

describeEachDatabase("catalog and updates", (database) => {
  const deps = () => ({ db: database().store.db, now: () => NOW });

  it("CA1 CA3: only a bought app joins the catalog, with its install and update options", async () => {
    const { db, keys } = database().store;
    const space = await createSpace(db, { name: "ca1" });
    await expect(
      putCatalogApp(deps(), { spaceId: space.id, adamId: "200000001", actor: ADMIN }),
    ).rejects.toMatchObject({
      code: "invalid_request",
      details: { field: "adamId" },
    });
    await accountWithSeats(db, keys, { spaceId: space.id, adamId: "200000001", total: 3 });
    const app = await putCatalogApp(deps(), {
      spaceId: space.id,
      adamId: "200000001",
      name: "Keynote",
      description: "Slides for class",
      installOnDevice: true,
      updateMode: "automatic",
      actor: ADMIN,
    });
    expect(app).toMatchObject({
      inCatalog: true,
      installOnDevice: true,
      updateMode: "automatic",
      name: "Keynote",
    });
  });

  it("CA3: an app taken out of the catalog gets no new license", async () => {
    const { db, keys } = database().store;
    const space = await createSpace(db, { name: "ca3" });
    await accountWithSeats(db, keys, { spaceId: space.id, adamId: "200000002", total: 3 });
    await putCatalogApp(deps(), { spaceId: space.id, adamId: "200000002", actor: ADMIN });
    await removeFromCatalog(deps(), { spaceId: space.id, adamId: "200000002", actor: ADMIN });
    const [device] = await devices(db, space.id, 1);
    if (!device) throw new Error("no device");
    const r = await requestLicense(deps(), {
      spaceId: space.id,
      adamId: "200000002",
      subject: { kind: "device", deviceId: device.id },
      why: "mandatory",
      actor: ADMIN,
    });
    expect(r.decision).toMatchObject({ outcome: "refuse", reason: "not_in_catalog", because: ["CA3"] });
  });

  it("DB4: 'automatic' pushes a new version to device-licensed installs at once; 'immediate' at the next check-in, once", async () => {
    const { db, keys } = database().store;
    const space = await createSpace(db, { name: "db4" });
    for (const [adamId, updateMode] of [
      ["200000003", "automatic"],
      ["200000004", "immediate"],
    ] as const) {
      await accountWithSeats(db, keys, { spaceId: space.id, adamId, total: 3 });
      await putCatalogApp(deps(), { spaceId: space.id, adamId, updateMode, actor: ADMIN });
    }
    const [device] = await devices(db, space.id, 1);
    if (!device) throw new Error("no device");
    await replaceInstalledApps(
      db,
      space.id,
      device.id,
      [
        { bundleId: "auto", adamId: "200000003", version: "1.0" },
        { bundleId: "imm", adamId: "200000004", version: "1.0" },
      ],
      NOW,
    );
    for (const adamId of ["200000003", "200000004"]) {
      const r = await requestLicense(deps(), {
        spaceId: space.id,
        adamId,
        subject: { kind: "device", deviceId: device.id },
        why: "check_in",
        actor: ADMIN,
      });
      await markAssigned(db, { spaceId: space.id, licenseIds: [r.licenseId ?? ""], actor: SYSTEM, now: NOW });
    }
    expect(await publishAppVersion(deps(), { adamId: "200000003", version: "2.0" })).toBe(1);
    expect(await publishAppVersion(deps(), { adamId: "200000004", version: "2.0" })).toBe(0);
    expect(await publishAppVersion(deps(), { adamId: "200000003", version: "2.0" })).toBe(0); // known already
    const installed = [
      { bundleId: "auto", adamId: "200000003", version: "1.0" },
      { bundleId: "imm", adamId: "200000004", version: "1.0" },
    ];
    const first = await checkIn(deps(), { spaceId: space.id, serialNumber: device.serialNumber, installed });
    expect(first.updatesQueued).toBe(1); // the immediate app; the automatic one was pushed already
    const second = await checkIn(deps(), { spaceId: space.id, serialNumber: device.serialNumber, installed });
    expect(second.updatesQueued).toBe(0); // one update per version
    const updates = (await listMdmCommands(db, space.id, { deviceId: device.id })).filter(
      (c) => c.appVersion === "2.0",
    );
    expect(updates.map((u) => [u.adamId, u.ruleIds])).toEqual([
      ["200000003", ["DB4"]],
      ["200000004", ["DB4"]],
    ]);
  });

  it("PB1: undelegating an app takes it out of the custom space's catalog and uninstalls it from its iOS devices", async () => {
    const { db, keys } = database().store;
    const home = await createSpace(db, { name: "default", isDefault: true });
    const custom = await createSpace(db, { name: "custom" });
    const other = await createSpace(db, { name: "other" });
    await accountWithSeats(db, keys, { spaceId: home.id, adamId: "200000005", total: 3 });
    await putCatalogApp(deps(), { spaceId: home.id, adamId: "200000005", actor: ADMIN });
    await expect(
      delegateApp(deps(), {
        fromSpaceId: custom.id,
        adamId: "200000005",
        toSpaceIds: [other.id],
        actor: ADMIN,
      }),
    ).rejects.toMatchObject({ code: "invalid_request" });
    await delegateApp(deps(), {
      fromSpaceId: home.id,
      adamId: "200000005",
      toSpaceIds: [custom.id, other.id],
      actor: ADMIN,
    });
    expect(await findCatalogApp(db, custom.id, "200000005")).toMatchObject({ delegatedFromSpaceId: home.id });
    const [device] = await devices(db, custom.id, 1);
    if (!device) throw new Error("no device");
    await replaceInstalledApps(db, custom.id, device.id, [{ bundleId: "x", adamId: "200000005" }], NOW);
    const c = await undelegateApp(deps(), {
      fromSpaceId: home.id,
      adamId: "200000005",
      spaceIds: [custom.id],
      actor: ADMIN,
    });
    expect(c.commands).toEqual([
      { kind: "remove", deviceId: device.id, adamId: "200000005", because: ["PB1"] },
    ]);
    // Out of its catalog and no longer delegated; its options stay for a later delegation (CA1).
    expect(await findCatalogApp(db, custom.id, "200000005")).toMatchObject({
      inCatalog: false,
      delegatedFromSpaceId: undefined,
    });
    expect(await findCatalogApp(db, other.id, "200000005")).toMatchObject({ inCatalog: true });
  });

  it("CA1: a delegation taken back keeps the space's options, which come back with the next delegation; meanwhile the space cannot add the app back; deleting it from the default space ends the delegation", async () => {
    const { db, keys } = database().store;
    const adamId = "200000006";
    // One default space per database: the PB1 test's, or this one.
    const home =
      (await findDefaultSpace(db)) ?? (await createSpace(db, { name: "default", isDefault: true }));
    const lab = await createSpace(db, { name: "lab" });
    await accountWithSeats(db, keys, { spaceId: home.id, adamId, total: 3 });
    await putCatalogApp(deps(), { spaceId: home.id, adamId, name: "Numbers", actor: ADMIN });
    const delegate = (toSpaceIds: string[]) =>
      delegateApp(deps(), { fromSpaceId: home.id, adamId, toSpaceIds, actor: ADMIN });
    await expect(delegate([home.id])).rejects.toMatchObject({
      code: "invalid_request",
      details: { field: "spaceIds" },
    });
    await delegate([lab.id]);
    // The lab's admin sets the lab's options; the default space's stay as they were.
    await putCatalogApp(deps(), {
      spaceId: lab.id,
      adamId,
      installOnDevice: true,
      updateMode: "automatic",
      description: "For the lab",
      actor: ADMIN,
    });
    expect(await findCatalogApp(db, home.id, adamId)).toMatchObject({
      installOnDevice: false,
      updateMode: "immediate",
    });
    // Delegated again while delegated: nothing of the lab's is reset.
    await delegate([lab.id]);
    const labOptions = { installOnDevice: true, updateMode: "automatic", name: "Numbers" };
    expect(await findCatalogApp(db, lab.id, adamId)).toMatchObject({ inCatalog: true, ...labOptions });

    await undelegateApp(deps(), { fromSpaceId: home.id, adamId, spaceIds: [lab.id], actor: ADMIN });
    expect(await findCatalogApp(db, lab.id, adamId)).toMatchObject({
      inCatalog: false,
      delegatedFromSpaceId: undefined,
      ...labOptions,
    });
    await expect(putCatalogApp(deps(), { spaceId: lab.id, adamId, actor: ADMIN })).rejects.toMatchObject({
      code: "invalid_request",
    });
    await expect(
      undelegateApp(deps(), { fromSpaceId: home.id, adamId, spaceIds: [lab.id], actor: ADMIN }),
    ).rejects.toMatchObject({ code: "not_found" });

    await delegate([lab.id]);
    expect(await findCatalogApp(db, lab.id, adamId)).toMatchObject({
      inCatalog: true,
      delegatedFromSpaceId: home.id,
      ...labOptions,
    });
    expect(await findCatalogDescription(db, lab.id, adamId)).toBe("For the lab");

    await removeFromCatalog(deps(), { spaceId: home.id, adamId, actor: ADMIN });
    expect(await findCatalogApp(db, lab.id, adamId)).toMatchObject({
      inCatalog: false,
      delegatedFromSpaceId: undefined,
      ...labOptions,
    });
    await expect(putCatalogApp(deps(), { spaceId: lab.id, adamId, actor: ADMIN })).rejects.toMatchObject({
      code: "invalid_request",
    });
  });
});

describeEachDatabase("catalog distribution", (database) => {
  const deps = () => ({ db: database().store.db, now: () => NOW });

  it("PB1: an app removed from a user's distribution is not licensed again at the next check-in, until added back", async () => {
    const { db, keys } = database().store;
    const space = await createSpace(db, { name: "pb1" });
    await accountWithSeats(db, keys, { spaceId: space.id, adamId: "200000009", total: 5 });
    await putCatalogApp(deps(), {
      spaceId: space.id,
      adamId: "200000009",
      installOnDevice: true,
      actor: ADMIN,
    });
    const ada = await createUser(db, { spaceId: space.id, name: "Ada", appleStatus: "Associated" });
    const [ipad] = await createDevices(db, [
      { spaceId: space.id, serialNumber: "PB1AGAIN", platform: "iOS", userId: ada.id },
    ]);
    if (!ipad) throw new Error("no device");
    const first = await checkIn(deps(), { spaceId: space.id, serialNumber: "PB1AGAIN", installed: [] });
    expect(first.decisions[0]?.decision.outcome).toBe("grant");
    await applyEvent(
      deps(),
      { kind: "app_removed_from_distribution", spaceId: space.id, adamId: "200000009", userId: ada.id },
      ADMIN,
    );
    const again = await checkIn(deps(), { spaceId: space.id, serialNumber: "PB1AGAIN", installed: [] });
    expect(again.decisions[0]?.decision).toMatchObject({
      outcome: "refuse",
      reason: "not_distributed",
      because: ["PB1"],
    });
    expect(
      await addToDistribution(deps(), {
        spaceId: space.id,
        adamId: "200000009",
        userId: ada.id,
        actor: ADMIN,
      }),
    ).toBe(true);
    const back = await checkIn(deps(), { spaceId: space.id, serialNumber: "PB1AGAIN", installed: [] });
    expect(back.decisions[0]?.decision.outcome).toBe("grant");
  });
});
