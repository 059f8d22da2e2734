import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createUser, findDevice, findDeviceBySerial, listSpaces } from "../../src/store/index.js";
import { type CliHarness, expectFailure, startCli } from "./harness.js";

/**
 * `orchard import --kind devices` keeps serial numbers as the API does: trimmed and
 * upper-case (one device per serial, whatever its case), Shared iPad on iOS only (LT5), a
 * deleted user given no device (RV5), and `--serial` finds a device in any case.
 */
describe("orchard import: device identity", () => {
  let cli: CliHarness;
  beforeAll(async () => {
    cli = await startCli();
  });
  afterAll(async () => {
    await cli?.close();
  });

  it("lower-case serial numbers are imported trimmed and upper-case; a bad row names its line", async () => {
    const csv = await cli.file("lower.csv", "serial,platform\nc02dimp1,iOS\n  f9fximp2 ,ipados-no\n");
    // A bad platform first: nothing is written, and the line is named.
    expectFailure(await cli.run(["import", csv, "--kind", "devices"]), 2, /^orchard: line 3: platform: /);

    const good = await cli.file("lower-ok.csv", "serial,platform\nc02dimp1,iOS\n  f9fximp2 ,ios\n");
    const imported = await cli.json<{ imported: number; ids: string[] }>([
      "import",
      good,
      "--kind",
      "devices",
      "--json",
    ]);
    expect(imported.imported).toBe(2);
    const serials = await cli.withCore(async (core) => {
      const [space] = await listSpaces(core.store.db);
      return Promise.all(
        imported.ids.map(async (id) => (await findDevice(core.store.db, space?.id ?? "", id))?.serialNumber),
      );
    });
    expect(serials).toEqual(["C02DIMP1", "F9FXIMP2"]);
  });

  it("the same serial in another case is a duplicate, in the file or in the space; --serial finds a device in any case", async () => {
    const twice = await cli.file("twice.csv", "serial,platform\nabc001,iOS\nABC001,iOS\n");
    expectFailure(
      await cli.run(["import", twice, "--kind", "devices"]),
      2,
      /^orchard: line 3: "ABC001" is already on line 2; nothing was imported\n$/,
    );
    const taken = await cli.file(
      "taken.json",
      JSON.stringify([{ serialNumber: "C02Dimp1", platform: "iOS" }]),
    );
    expectFailure(
      await cli.run(["import", taken, "--kind", "devices"]),
      4,
      /^orchard: item 1: a device with serial number C02DIMP1 already exists; nothing was imported \(--existing keep imports the rest\)\n$/,
    );
    // --serial finds the device in any case (a device of no license: an empty list, not a 404).
    expect(await cli.json(["licenses", "--serial", "c02dimp1", "--json"])).toMatchObject({ items: [] });
  });

  it("LT5: a macOS Shared iPad is refused on one line naming the field; an id shaped like serial:… is refused", async () => {
    const mac = await cli.file("mac.csv", "serial,platform,sharedIpad\nIPAD01,iOS,yes\nMAC01,macOS,yes\n");
    expectFailure(
      await cli.run(["import", mac, "--kind", "devices"]),
      2,
      /^orchard: line 3: sharedIpad: Shared iPad is iPadOS only: a macOS device cannot be a Shared iPad \(platform iOS\); nothing was imported\n$/,
    );
    const id = await cli.file("id.csv", "id,serial,platform\nserial:X1,X1,iOS\n");
    expectFailure(
      await cli.run(["import", id, "--kind", "devices"]),
      2,
      /^orchard: line 2: id: a device id cannot start with "serial:" .*; nothing was imported\n$/,
    );
    const fixed = await cli.file(
      "mac-fixed.csv",
      "serial,platform,sharedIpad\nIPAD01,iOS,yes\nMAC01,macOS,no\n",
    );
    expect(await cli.json(["import", fixed, "--kind", "devices", "--json"])).toMatchObject({ imported: 2 });
  });

  it("a serial left in two spellings by 0026 (c02d…, C02d…) is taken: importing C02D… is refused as a duplicate; a control character names its line", async () => {
    await cli.withCore(async (core) => {
      const [space] = await listSpaces(core.store.db);
      const at = new Date("2026-01-01T00:00:00Z");
      // As 0026 leaves such a pair (neither upper-cased), written as before it.
      for (const [id, serial] of [
        ["left-a", "lftimp1"],
        ["left-b", "LFTimp1"],
      ] as const)
        await core.store.db
          .insertInto("devices")
          .values({
            space_id: space?.id ?? "",
            id,
            serial_number: serial,
            platform: "iOS",
            created_at: at,
            updated_at: at,
          })
          .execute();
    });
    const taken = await cli.file("left.csv", "serial,platform\nFRESH01,iOS\nLFTIMP1,iOS\n");
    expectFailure(
      await cli.run(["import", taken, "--kind", "devices"]),
      4,
      /^orchard: line 3: a device with serial number LFTIMP1 already exists; nothing was imported \(--existing keep imports the rest\)\n$/,
    );
    // All or nothing: the row before it was not imported either.
    const fresh = await cli.withCore(async (core) => {
      const [space] = await listSpaces(core.store.db);
      return findDeviceBySerial(core.store.db, space?.id ?? "", "FRESH01");
    });
    expect(fresh).toBeUndefined();
    const control = await cli.file(
      "control.json",
      JSON.stringify([{ serialNumber: "CTRL\tIMP1", platform: "iOS" }]),
    );
    expectFailure(
      await cli.run(["import", control, "--kind", "devices"]),
      2,
      /^orchard: item 1: serialNumber: no control characters; nothing was imported\n$/,
    );
  });

  it("RV5: a device's user deleted by the MDM is refused, one line naming the row", async () => {
    await cli.withCore(async (core) => {
      const [space] = await listSpaces(core.store.db);
      await createUser(core.store.db, { id: "gone", spaceId: space?.id ?? "", name: "Gone" });
      await core.store.db
        .updateTable("users")
        .set({ deleted_at: new Date() })
        .where("id", "=", "gone")
        .execute();
    });
    const rows = await cli.file("gone.csv", "serial,platform,userId\nGONE01,iOS,gone\n");
    expectFailure(
      await cli.run(["import", rows, "--kind", "devices"]),
      3,
      /^orchard: line 2: user gone was deleted; nothing was imported\n$/,
    );
  });
});
