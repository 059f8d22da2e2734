import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureDefaultSpace } from "../../src/main/default-space.js";
import {
  createDevices,
  listActivity,
  listLicensesForApp,
  listOutbox,
  setCatalogApp,
} from "../../src/store/index.js";
import { makeSyncDeps } from "../../src/sync/index.js";
import { type CliHarness, expectFailure, startCli } from "./harness.js";

const APP = "3000777";

/**
 * AC7 from the command line: users imported with their Apple clientUserId and a device of
 * the space are adopted when the account is added (AC1); `orchard token outside` lists what
 * stays outside Orchard, `orchard token release-outside` releases it at Apple.
 */
describe("orchard token outside, release-outside", () => {
  let cli: CliHarness;
  let spaceId = "";
  let sToken = "";

  beforeAll(async () => {
    cli = await startCli();
    const loc = cli.sim.operator.createLocation({ orgName: "Orchard School", locationName: "Main" });
    sToken = loc.sToken;
    cli.sim.operator.addAsset(loc.uId, {
      adamId: APP,
      totalCount: 6,
      supportedPlatforms: ["iOS"],
      name: "Keynote",
    });
    // The previous MDM: a user, a device of the space, and two devices gone since.
    await cli.withCore(async (core) => {
      const sync = makeSyncDeps({
        db: core.store.db,
        keys: core.store.keys,
        appleBaseUrl: cli.sim.url,
        mdmInfo: { id: "previous-mdm", name: "Previous", metadata: "x" },
      });
      const apple = sync.apple.forToken(loc.sToken);
      await apple.createUsers([{ clientUserId: "jamf-4411" }]);
      await cli.sim.operator.idle();
      await apple.associate({
        assets: [{ adamId: APP }],
        serialNumbers: ["KEPT-DEVICE", "GONE-A", "GONE-B"],
        clientUserIds: ["jamf-4411"],
      });
      await cli.sim.operator.idle();
      spaceId = await ensureDefaultSpace({ store: core.store });
      await setCatalogApp(core.deps.db, { spaceId, adamId: APP, name: "Keynote" }, core.deps.now());
      await createDevices(core.deps.db, [{ spaceId, serialNumber: "KEPT-DEVICE", platform: "iOS" }]);
    });
  }, 120_000);

  afterAll(async () => {
    await cli?.close();
  });

  it("AC7: the users import takes Apple's clientUserId, checked line by line", async () => {
    const bad = await cli.file("bad-users.csv", "name,clientUserId\nAda,ok-1\nBob,has space\n");
    expectFailure(await cli.run(["import", bad, "--kind", "users"]), 2, /line 3: clientUserId: .*no spaces/);
    const twice = await cli.file("twice.csv", "name,Client User Id\nAda,same\nBob,same\n");
    expectFailure(
      await cli.run(["import", twice, "--kind", "users"]),
      2,
      /line 3: "same" is already on line 2/,
    );
    const good = await cli.file("users.csv", "name,clientUserId\nAda Lovelace,jamf-4411\n");
    const r = await cli.run(["import", good, "--kind", "users"]);
    expect(r.code, r.stderr).toBe(0);
    // Taken in the space: the whole import is refused.
    expectFailure(await cli.run(["import", good, "--kind", "users"]), 4, /clientUserId/);
  });

  it("AC1, AC7: adding the account adopts the assignments of the space's device and of the imported user", async () => {
    const token = await cli.file("main.vpptoken", sToken);
    const added = await cli.run(["token", "add", token, "--name", "Main campus"]);
    expect(added.code, added.stderr).toBe(0);
    const licenses = await cli.withCore(async (core) =>
      (await listLicensesForApp(core.deps.db, spaceId, APP)).map((l) => `${l.type}:${l.state}`).sort(),
    );
    expect(licenses).toEqual(["device:assigned", "user:assigned"]);
  });

  it("AC7: lists the assignments left outside Orchard, as a table and as JSON", async () => {
    const human = await cli.run(["token", "outside", "Main campus"]);
    expect(human.code, human.stderr).toBe(0);
    const lines = human.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^APP\s+SUBJECT\s+NAMES\s+STATUS\s+RELEASE$/);
    expect(lines.slice(1)).toEqual([
      expect.stringMatching(/^Keynote\s+GONE-A\s+-\s+unmatched\s+-$/),
      expect.stringMatching(/^Keynote\s+GONE-B\s+-\s+unmatched\s+-$/),
    ]);
    expect(human.stderr).toMatch(/^1-2 of 2, read from Apple \d{4}-\d\d-\d\d \d\d:\d\dZ\n$/);
    const json = await cli.json<{ total: number; items: Array<{ serialNumber: string; status: string }> }>([
      "token",
      "outside",
      "Main campus",
      "--app",
      APP,
      "--page-size",
      "1",
      "--page",
      "2",
      "--json",
    ]);
    expect(json).toMatchObject({ total: 2, page: 2, pageSize: 1, items: [{ serialNumber: "GONE-B" }] });
  });

  it("AC7: releases an outside assignment at Apple through the outbox (a serial in any case), says which were not listed", async () => {
    const r = await cli.run([
      "token",
      "release-outside",
      "Main campus",
      "--app",
      APP,
      "--serial",
      "gone-a",
      "NOT-THERE",
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe("1 release(s) queued for Apple (AC7); the seats come back once Apple confirms\n");
    expect(r.stderr).toBe("not in the account's list of outside assignments: NOT-THERE\n");
    const { outbox, lines } = await cli.withCore(async (core) => ({
      outbox: await listOutbox(core.deps.db, { spaceId, kind: "disassociate" }),
      lines: await listActivity(core.deps.db, spaceId, { action: "outside.release_requested" }),
    }));
    expect(outbox).toEqual([
      expect.objectContaining({ adamId: APP, serialNumber: "GONE-A", state: "pending" }),
    ]);
    expect(lines[0]).toMatchObject({ actor: { kind: "system" }, ruleIds: ["AC7"] });
    const listed = await cli.json<{ items: Array<{ serialNumber: string; release?: { state: string } }> }>([
      "token",
      "outside",
      "Main campus",
      "--json",
    ]);
    expect(listed.items.find((i) => i.serialNumber === "GONE-A")?.release?.state).toBe("pending");
  });

  it("AC7: release-all-outside counts the list, refuses another count (exit 4), then releases all of it once", async () => {
    const count = await cli.run(["token", "release-all-outside", "Main campus"]);
    expect(count.code, count.stderr).toBe(0);
    expect(count.stderr).toMatch(
      /^2 assignment\(s\) made outside Orchard listed \(read from Apple .*\); nothing queued\. To release them all at Apple: orchard token release-all-outside \S+ --yes --expect 2\n$/,
    );
    expectFailure(
      await cli.run(["token", "release-all-outside", "Main campus", "--yes", "--expect", "5"]),
      4,
      /holds 2 assignments made outside Orchard now, not the 5/,
    );
    const r = await cli.run(["token", "release-all-outside", "Main campus", "--yes", "--expect", "2"]);
    expect(r.code, r.stderr).toBe(0);
    // GONE-A's release was asked before: GONE-B only is queued.
    expect(r.stdout).toBe("1 release(s) queued for Apple (AC7); the seats come back once Apple confirms\n");
    expect(r.stderr).toBe("1 already on their way: not queued again\n");
    const outbox = await cli.withCore((core) => listOutbox(core.deps.db, { spaceId, kind: "disassociate" }));
    expect(outbox.map((o) => o.serialNumber).sort()).toEqual(["GONE-A", "GONE-B"]);
  });

  it("bad input is one line and a non-zero exit", async () => {
    const release = (...args: string[]) => cli.run(["token", "release-outside", "Main campus", ...args]);
    expectFailure(
      await release("--app", "keynote", "--serial", "X"),
      2,
      /--app: "keynote" is not an App Store id/,
    );
    expectFailure(await release("--app", APP), 2, /--serial or --client-user-id/);
    expectFailure(
      await release("--app", APP, "--client-user-id", "a b"),
      2,
      /--client-user-id: "a b": .*no spaces/,
    );
    expectFailure(await release("--app", APP, "--serial", "NOPE"), 3, /not in the account's list .*NOPE/);
    expectFailure(await cli.run(["token", "outside", "No such account"]), 3, /account/);
    expectFailure(await cli.run(["token", "outside", "Main campus", "--page-size", "501"]), 2, /page-size/);
  });
});
