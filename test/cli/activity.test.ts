import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureDefaultSpace } from "../../src/main/default-space.js";
import { activityMessage } from "../../src/store/activity-messages.js";
import { appendActivity, createDevices } from "../../src/store/index.js";
import { compiledCli } from "./compiled.js";
import { type CliHarness, expectFailure, startCli } from "./harness.js";

const SYSTEM = { kind: "system" as const, id: "cli-test" };

type FeedRead = { items: Array<{ seq: number; action: string; deviceId?: string }>; next: string };

/**
 * `orchard activity`: the change feed from the command line (invariant 4): read from the
 * start or a cursor, each line once, and followed as changes commit until interrupted.
 */
describe("orchard activity", () => {
  let cli: CliHarness;
  let spaceId = "";

  beforeAll(async () => {
    cli = await startCli();
    await cli.withCore(async ({ store }) => {
      spaceId = await ensureDefaultSpace({ store });
    });
  }, 120_000);
  afterAll(async () => {
    await cli?.close();
  });

  /** Lines naming new devices, written as any change writes its own (appendActivity). */
  const enrol = (serials: string[]) =>
    cli.withCore(async ({ deps }) => {
      const devices = await createDevices(
        deps.db,
        serials.map((serialNumber) => ({ spaceId, serialNumber, platform: "iOS" as const })),
      );
      await appendActivity(
        deps.db,
        devices.map((d) => ({
          spaceId,
          actor: SYSTEM,
          action: "mdm.device_enrolled",
          deviceId: d.id,
          message: activityMessage("mdm.device_enrolled"),
          at: deps.now(),
        })),
      );
      return devices.map((d) => d.id);
    });

  it("invariant 4: a read from the start stops at --limit and names its cursor; reading on from it repeats nothing", async () => {
    const enrolled = await enrol(["FEED-A", "FEED-B", "FEED-C"]);
    // The feed gives a line once every transaction of the server older than it has ended
    // (other test files' too: transaction ids are the cluster's): until then, read again.
    for (
      let round = 0;
      round < 120 &&
      (await cli.json<FeedRead>(["activity", "--json"])).items.filter((i) =>
        enrolled.includes(i.deviceId ?? ""),
      ).length < 3;
      round++
    )
      await new Promise((resolve) => setTimeout(resolve, 500));
    const first = await cli.json<FeedRead>(["activity", "--limit", "2", "--json"]);
    expect(first.items).toHaveLength(2);
    const rest = await cli.json<FeedRead>(["activity", "--after", first.next, "--json"]);
    const seqs = [...first.items, ...rest.items].map((i) => i.seq);
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(rest.items.length).toBeGreaterThan(0);
    // The whole log once, in the same lines as one read of it.
    const all = await cli.json<FeedRead>(["activity", "--json"]);
    expect(all.items.map((i) => i.seq)).toEqual(seqs);
    // For people: one line each, the cursor to read on from on stderr.
    const human = await cli.run(["activity", "--after", first.next, "--about", "device"]);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(
      /^\d{4}-\d\d-\d\d \d\d:\d\dZ {2}mdm\.device_enrolled {2}device FEED-C {2}device enrolled again: active {2}\(system:cli-test\)$/m,
    );
    expect(human.stderr).toMatch(/read on with --after \d+\.\d+/);
  });

  it("invariant 4: --follow prints changes as they commit and ends cleanly on Ctrl-C (SIGINT), exit 0", async () => {
    const child = spawn(
      process.execPath,
      [await compiledCli(), "activity", "--after", "now", "--follow", "--interval", "1", "--json"],
      {
        env: { PATH: process.env.PATH ?? "", ...cli.env },
      },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => {
      stdout += c.toString("utf8");
    });
    child.stderr.on("data", (c: Buffer) => {
      stderr += c.toString("utf8");
    });
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    // Started, and caught up with the log, before the change is made.
    for (let round = 0; round < 600 && !stderr.includes("following from"); round++)
      await new Promise((resolve) => setTimeout(resolve, 100));
    const [deviceId] = await enrol(["FEED-FOLLOWED"]);
    // Complete lines only: a document may still be arriving.
    const lines = async () =>
      stdout
        .split("\n")
        .slice(0, -1)
        .map((l) => JSON.parse(l) as FeedRead);
    for (
      let round = 0;
      round < 120 && !(await lines()).some((r) => r.items.some((i) => i.deviceId === deviceId));
      round++
    )
      await new Promise((resolve) => setTimeout(resolve, 500));
    child.kill("SIGINT");
    expect(await exited, `${stderr}\n${stdout}`).toBe(0);
    expect(stderr).toMatch(/^following from \d+\.\d+: Ctrl-C to stop\n$/);
    const items = (await lines()).flatMap((r) => r.items);
    // Only what committed after it started, each line once.
    expect(items.every((i) => i.deviceId === deviceId)).toBe(true);
    expect(items.map((i) => i.action)).toContain("mdm.device_enrolled");
    expect(new Set(items.map((i) => i.seq)).size).toBe(items.length);
  });

  it("a cursor or subject it does not know is a one-line error, exit 2", async () => {
    const [badCursor, badAbout] = await cli.runAll([
      ["activity", "--after", "12"],
      ["activity", "--about", "license,printer"],
    ]);
    expectFailure(badCursor, 2, /--after.*expected now, or a cursor/);
    expectFailure(badAbout, 2, /"printer" is not one of license, device, user, app, account/);
  });
});
