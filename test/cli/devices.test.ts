import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureDefaultSpace } from "../../src/main/default-space.js";
import { createDevices, createUser } from "../../src/store/index.js";
import { type CliHarness, expectFailure, startCli } from "./harness.js";

/**
 * `orchard devices list` and `orchard devices show`: devices by name, with their model and OS
 * version (0050); and `orchard import --kind devices` taking name, model and OS version
 * columns, checked as the API checks them, updated or cleared by `--existing update`.
 */
describe("orchard devices", () => {
  let cli: CliHarness;
  beforeAll(async () => {
    cli = await startCli();
    await cli.withCore(async ({ store, deps }) => {
      const spaceId = await ensureDefaultSpace({ store });
      const ada = await createUser(deps.db, { spaceId, name: "Ada Lovelace" });
      await createDevices(deps.db, [
        {
          spaceId,
          serialNumber: "DMPQ0012",
          platform: "iOS",
          supervised: true,
          userId: ada.id,
          name: "Classroom iPad 12",
          model: "iPad (10th generation)",
          osVersion: "17.5.1",
        },
        { spaceId, serialNumber: "C02D0001", platform: "macOS" },
      ]);
    });
  });
  afterAll(async () => {
    await cli?.close();
  });

  it("devices list shows each device's name, model, platform and OS version; --search finds one by name in any case", async () => {
    const listed = await cli.run(["devices", "list"]);
    expect(listed).toMatchObject({ code: 0, stderr: "" });
    const lines = listed.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^NAME\s+SERIAL NUMBER\s+MODEL\s+PLATFORM\s+USER\s+STATUS\s+LAST CHECK-IN$/);
    expect(lines.slice(1).map((l) => l.split(/\s{2,}/))).toEqual([
      ["-", "C02D0001", "-", "macOS", "-", "active", "-"],
      [
        "Classroom iPad 12",
        "DMPQ0012",
        "iPad (10th generation)",
        "iOS 17.5.1",
        "Ada Lovelace",
        "active",
        "-",
      ],
    ]);
    const found = await cli.json<{ items: Array<Record<string, unknown>>; total: number }>([
      "devices",
      "list",
      "--search",
      "CLASSROOM ipad",
      "--json",
    ]);
    expect(found.total).toBe(1);
    expect(found.items[0]).toMatchObject({
      serialNumber: "DMPQ0012",
      name: "Classroom iPad 12",
      model: "iPad (10th generation)",
      osVersion: "17.5.1",
      userName: "Ada Lovelace",
    });
    expect(await cli.run(["devices", "list", "--search", "nothing like it"])).toMatchObject({
      code: 0,
      stderr: expect.stringContaining("no device matches"),
    });
  });

  it("devices show names a device by serial number (any case) or id; an unknown one is exit 3", async () => {
    const shown = await cli.run(["devices", "show", "dmpq0012"]);
    expect(shown).toMatchObject({ code: 0, stderr: "" });
    expect(shown.stdout).toMatch(
      /^Classroom iPad 12 \(DMPQ0012\): active, iPad \(10th generation\), iOS 17\.5\.1, supervised\nuser: Ada Lovelace \([0-9a-f-]{36}\)\nlast check-in: never\n$/,
    );
    const mac = await cli.json<{ id: string; serialNumber: string }>([
      "devices",
      "show",
      "serial:c02d0001",
      "--json",
    ]);
    expect(mac).not.toHaveProperty("name");
    expect((await cli.run(["devices", "show", mac.id])).stdout).toBe(
      "C02D0001: active, macOS, unsupervised\nuser: none\nlast check-in: never\n",
    );
    expectFailure(await cli.run(["devices", "show", "NOPE0000"]), 3, /device NOPE0000/);
  });

  it("import --kind devices takes name, model and OS version columns; a bad OS version names its line; --existing update sets and clears them", async () => {
    const bad = await cli.file(
      "devices-bad.csv",
      "serial,platform,name,OS Version\nLAB0001,macOS,Lab Mac 1,14.5 beta\n",
    );
    expectFailure(
      await cli.run(["import", bad, "--kind", "devices"]),
      2,
      /^orchard: line 2: osVersion: an OS version: /,
    );

    const csv = await cli.file(
      "devices-named.csv",
      'serial,platform,name,model,os_version\nLAB0001,macOS,"Lab Mac 1, left",MacBook Air (M2),14.5\nLAB0002,macOS,,,\n',
    );
    expect(await cli.json(["import", csv, "--kind", "devices", "--json"])).toMatchObject({ imported: 2 });
    expect(await cli.json(["devices", "show", "LAB0001", "--json"])).toMatchObject({
      name: "Lab Mac 1, left",
      model: "MacBook Air (M2)",
      osVersion: "14.5",
    });
    expect(await cli.json(["devices", "show", "LAB0002", "--json"])).not.toHaveProperty("name");

    // Again with changes: a new OS version, the model's cell empty (cleared), no name column (kept).
    const again = await cli.file(
      "devices-named-again.csv",
      "serial,platform,model,osVersion\nLAB0001,macOS,,14.6\nLAB0002,macOS,,\n",
    );
    expect(
      await cli.json(["import", again, "--kind", "devices", "--existing", "update", "--json"]),
    ).toMatchObject({
      updated: 1,
      unchanged: 1,
    });
    const lab1 = await cli.json<Record<string, unknown>>(["devices", "show", "LAB0001", "--json"]);
    expect(lab1).toMatchObject({ name: "Lab Mac 1, left", osVersion: "14.6" });
    expect(lab1).not.toHaveProperty("model");
  });
});
