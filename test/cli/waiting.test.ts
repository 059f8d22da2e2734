import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureDefaultSpace } from "../../src/main/default-space.js";
import { createDevices, listActivity, setCatalogApp } from "../../src/store/index.js";
import { type CliHarness, expectFailure, startCli } from "./harness.js";

const APP = "3000201";
const SYSTEM = { kind: "system" as const, id: "cli-test" };

/**
 * `orchard waiting list` and `orchard waiting cancel`: the app's queue in the order served,
 * and one subject's request taken out of it (DB2). One seat, three iPads asking for the
 * mandatory app: the first holds the seat, the other two wait.
 */
describe("orchard waiting", () => {
  let cli: CliHarness;
  let spaceId = "";
  const serials = ["WAIT-HOLDER", "WAIT-FIRST", "WAIT-SECOND"];

  beforeAll(async () => {
    cli = await startCli();
    const loc = cli.sim.operator.createLocation({ orgName: "Orchard School", locationName: "Main" });
    cli.sim.operator.addAsset(loc.uId, { adamId: APP, totalCount: 1, supportedPlatforms: ["iOS"] });
    await cli.withCore(async ({ store, deps }) => {
      spaceId = await ensureDefaultSpace({ store });
      await deps.accounts.add({
        spaceId,
        name: "Main campus",
        sTokenFile: loc.sToken,
        autoDistribute: true,
        clearPrevious: false,
        takeOver: false,
        actor: SYSTEM,
      });
      await setCatalogApp(
        deps.db,
        { spaceId, adamId: APP, name: "Keynote", installOnDevice: true },
        deps.now(),
      );
      const devices = await createDevices(
        deps.db,
        serials.map((serialNumber) => ({ spaceId, serialNumber, platform: "iOS" as const })),
      );
      for (const d of devices)
        await deps.licenses.request(deps.db, {
          spaceId,
          adamId: APP,
          subject: { kind: "device", deviceId: d.id },
          why: "mandatory",
          actor: SYSTEM,
          now: deps.now(),
        });
    });
  }, 120_000);
  afterAll(async () => {
    await cli?.close();
  });

  const waitingSerials = async () =>
    (
      await cli.json<{ items: Array<{ position: number; serialNumber: string; why: string }> }>([
        "waiting",
        "list",
        "--app",
        APP,
        "--json",
      ])
    ).items.map((w) => `${w.position} ${w.serialNumber} ${w.why}`);

  it("DB2: lists who waits in the order served; cancels one request by serial number (any case), logged with the CLI's user; the next one moves up; cancelling it again is exit 3 naming it", async () => {
    expect(await waitingSerials()).toEqual(["1 WAIT-FIRST mandatory", "2 WAIT-SECOND mandatory"]);
    const table = await cli.run(["waiting", "list", "--app", APP]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/WAIT-FIRST/);

    const cancelled = await cli.run(["waiting", "cancel", "--app", APP, "--serial", "wait-first"]);
    expect(cancelled.code).toBe(0);
    expect(cancelled.stdout).toContain(`serial:wait-first's request for app ${APP} cancelled`);
    expect(await waitingSerials()).toEqual(["1 WAIT-SECOND mandatory"]);

    const again = await cli.run(["waiting", "cancel", "--app", APP, "--serial", "wait-first"]);
    expectFailure(again, 3, new RegExp(`serial:wait-first does not wait for app ${APP}`));
    expectFailure(await cli.run(["waiting", "cancel", "--app", APP, "--serial", "NO-SUCH"]), 3, /NO-SUCH/);

    const lines = await cli.withCore(({ deps }) =>
      listActivity(deps.db, spaceId, { adamId: APP, action: "queue.cancelled" }),
    );
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      actor: { kind: "system", id: expect.stringMatching(/^cli/) },
      ruleIds: ["DB2"],
      messageKey: "queue.cancelled",
    });
  });

  it("DB2: the subject is one of --user, --device or --serial: none, or two, is a usage error (exit 2); an unknown app is exit 3", async () => {
    expectFailure(
      await cli.run(["waiting", "cancel", "--app", APP]),
      2,
      /one of --user, --device or --serial/,
    );
    expectFailure(
      await cli.run(["waiting", "cancel", "--app", APP, "--serial", "WAIT-SECOND", "--user", "u1"]),
      2,
      /one of --user, --device or --serial/,
    );
    expectFailure(await cli.run(["waiting", "list", "--app", "999999999"]), 3, /999999999/);
    expectFailure(await cli.run(["waiting", "cancel", "--app", "999999999", "--user", "u1"]), 3, /999999999/);
    expect(await waitingSerials()).toEqual(["1 WAIT-SECOND mandatory"]);
  });
});
