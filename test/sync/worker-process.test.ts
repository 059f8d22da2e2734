import { type ChildProcess, spawn } from "node:child_process";
import { afterAll, beforeAll, expect, it } from "vitest";
import { findAsset, listLicensesForApp } from "../../src/store/index.js";
import { countOpenOutbox } from "../../src/store/sync-outbox.repo.js";
import { describeEachDatabase, TEST_SECRET_KEY } from "../store/databases.js";
import { checkIn, iosDevices } from "./fixtures.js";
import { appleSubjects, type Harness, iosAppAccount, startHarness } from "./harness.js";

interface Worker {
  child: ChildProcess;
  sent: number[];
  exited: Promise<number | null>;
}

/** `orchard worker` as its own process (tsx), printing one JSON line per round. */
function spawnWorker(env: Record<string, string>): Worker {
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      "src/cli/main.ts",
      "worker",
      "--json",
      "--no-schedule",
      "--lease-ms",
      "1500",
      "--claim-limit",
      "400",
      "--idle-ms",
      "30",
    ],
    { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] },
  );
  const worker: Worker = {
    child,
    sent: [],
    exited: new Promise((resolve) => child.once("exit", (code) => resolve(code))),
  };
  let buffer = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    buffer += chunk.toString("utf8");
    const lines = buffer.split("\n");
    buffer = lines.pop() ?? "";
    for (const line of lines) {
      if (!line.startsWith("{")) continue;
      const round = JSON.parse(line) as { sent: number[] };
      worker.sent.push(...round.sent);
    }
  });
  child.stderr?.on("data", () => {});
  return worker;
}

async function until(
  check: () => Promise<boolean> | boolean,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describeEachDatabase("worker processes", (tdb) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(tdb(), {
      sim: {
        enforceRateLimit: false,
        limits: { maxSerialNumbers: 100, maxRequestPerSecond: 500 },
        eventDelayMs: 20,
      },
      notifications: false,
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  it("invariant 3: a worker killed (SIGKILL) mid-batch is repaired by the next ones; two workers never send the same operation", async (ctx) => {
    if (tdb().engine !== "postgres" || !tdb().url) ctx.skip();
    const { db } = tdb().store;
    const { adamId, loc, space, account } = await iosAppAccount(h, db, { total: 3000, name: "Workers" });
    const devices = await iosDevices(db, space.id, 3000);
    await checkIn(db, space.id, adamId, devices);
    // Slow associate calls, so that the kill lands inside a batch.
    h.sim.operator.setFaults({ latencyMs: 150 }, "/assets/associate");

    const env = {
      DATABASE_URL: tdb().url ?? "",
      APPLE_BASE_URL: h.sim.url,
      ORCHARD_SECRET_KEY: TEST_SECRET_KEY,
      ORCHARD_MDM_ID: "orchard-test",
      SYNC_POLL_INTERVAL_MS: "30",
      LOG_LEVEL: "silent",
    };
    const first = spawnWorker(env);
    await until(() => first.sent.length > 0, 30_000, "the first worker to send");
    await new Promise((r) => setTimeout(r, 200)); // inside its next round: 4 calls of 150 ms
    first.child.kill("SIGKILL");
    await first.exited;
    const claimedByTheDead = await db
      .selectFrom("apple_calls")
      .select("id")
      .where("state", "=", "sending")
      .where("claimed_until", "is not", null)
      .execute();
    expect(claimedByTheDead.length).toBeGreaterThan(0); // killed mid-batch: calls formed, not all sent

    const second = spawnWorker(env);
    const third = spawnWorker(env);
    try {
      await until(
        async () => {
          const open = await countOpenOutbox(db);
          return open.pending + open.sent === 0;
        },
        45_000,
        "the outbox to drain",
      );
    } finally {
      second.child.kill("SIGTERM");
      third.child.kill("SIGTERM");
      await Promise.all([second.exited, third.exited]);
      h.sim.operator.clearFaults();
    }

    const both = second.sent.filter((seq) => new Set(third.sent).has(seq));
    expect(both).toEqual([]); // no operation sent by two workers
    expect(second.sent.length + third.sent.length).toBeGreaterThan(0);
    const atApple = appleSubjects(h.sim, loc.uId, adamId);
    expect(atApple).toHaveLength(3000); // none doubled
    expect(new Set(atApple)).toEqual(new Set(devices.map((d) => `s:${d.serialNumber}`))); // none lost
    const licenses = await listLicensesForApp(db, space.id, adamId);
    expect(licenses.filter((l) => l.state === "assigned")).toHaveLength(3000);
    expect((await findAsset(db, space.id, account.id, adamId))?.used).toBe(3000);
  }, 90_000);
});
