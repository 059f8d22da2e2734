import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import { checkIn as mdmCheckIn, verifyWebhookSignature } from "../../src/mdm/index.js";
import { findAsset, listLicensesForApp } from "../../src/store/index.js";
import { listMdmCommands } from "../../src/store/mdm-command.repo.js";
import { countOpenOutbox } from "../../src/store/sync-outbox.repo.js";
import { compiledCli } from "../cli/compiled.js";
import { describeEachDatabase, TEST_SECRET_KEY } from "../store/databases.js";
import { checkIn, iosDevices } from "./fixtures.js";
import { appleSubjects, type Harness, iosAppAccount, startHarness } from "./harness.js";

interface Worker {
  child: ChildProcess;
  sent: number[];
  exited: Promise<number | null>;
}

/** The CLI as the CLI suites run it (compiled.ts), resolved before the first spawn. */
let cliEntry = "";

/** `orchard worker` as its own process, printing one JSON line per round. */
function spawnWorker(env: Record<string, string>, extraArgs: readonly string[] = []): Worker {
  const child = spawn(
    process.execPath,
    [
      cliEntry,
      "worker",
      "--json",
      "--no-schedule",
      "--lease-ms",
      "1500",
      "--claim-limit",
      "400",
      "--idle-ms",
      "30",
      ...extraArgs,
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
    cliEntry = await compiledCli();
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
  it("DB2: an `orchard worker` delivers the install commands to MDM_WEBHOOK_URL, signed, once Apple confirmed the licenses; without a webhook they wait for the MDM's poll", async (ctx) => {
    if (tdb().engine !== "postgres" || !tdb().url) ctx.skip();
    const { db } = tdb().store;
    const { adamId, space } = await iosAppAccount(h, db, { total: 10, name: "Commands" });
    const [polled, pushed] = [await iosDevices(db, space.id, 2), await iosDevices(db, space.id, 2)];
    const received: Array<{ serialNumber: string; kind: string; adamId: string }> = [];
    const receiver = createServer((req, res) => {
      let body = "";
      req.on("data", (chunk: Buffer) => {
        body += chunk.toString("utf8");
      });
      req.on("end", () => {
        const header = String(req.headers["x-orchard-signature"] ?? "");
        if (!verifyWebhookSignature({ header, body, secret: "mdm-webhook-secret-0123", now: new Date() })) {
          res.writeHead(401).end();
          return;
        }
        received.push(...(JSON.parse(body) as { commands: typeof received }).commands);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
    const env = {
      DATABASE_URL: tdb().url ?? "",
      APPLE_BASE_URL: h.sim.url,
      ORCHARD_SECRET_KEY: TEST_SECRET_KEY,
      ORCHARD_MDM_ID: "orchard-test",
      SYNC_POLL_INTERVAL_MS: "30",
      LOG_LEVEL: "silent",
    };
    const commandsOf = async (serials: readonly string[], ready?: boolean) =>
      (await listMdmCommands(db, space.id, { limit: 100, ...(ready ? { ready } : {}) })).filter((c) =>
        serials.includes(c.serialNumber),
      );
    const checkInAll = async (devices: typeof polled) => {
      for (const d of devices)
        await mdmCheckIn({ db, now: () => new Date() }, { spaceId: space.id, serialNumber: d.serialNumber });
    };
    try {
      // Without a webhook: Apple assigns, the installs stay pending for GET mdm/commands?ready=true.
      await checkInAll(polled);
      const quiet = spawnWorker(env);
      try {
        await until(
          async () => (await countOpenOutbox(db)).pending + (await countOpenOutbox(db)).sent === 0,
          30_000,
          "the licenses to be assigned",
        );
        await new Promise((r) => setTimeout(r, 300)); // a few rounds more
      } finally {
        quiet.child.kill("SIGTERM");
        await quiet.exited;
      }
      const waiting = await commandsOf(
        polled.map((d) => d.serialNumber),
        true,
      );
      expect(waiting.map((c) => [c.kind, c.state])).toEqual([
        ["install", "pending"],
        ["install", "pending"],
      ]);

      // With a webhook: every ready install is pushed, signed, and marked delivered.
      await checkInAll(pushed);
      const { port } = receiver.address() as AddressInfo;
      const worker = spawnWorker({
        ...env,
        MDM_WEBHOOK_URL: `http://127.0.0.1:${port}/mdm`,
        MDM_WEBHOOK_SECRET: "mdm-webhook-secret-0123",
      });
      try {
        await until(() => received.length >= 4, 30_000, "the installs at the MDM's webhook");
      } finally {
        worker.child.kill("SIGTERM");
        expect(await worker.exited).toBe(0);
      }
      expect(new Set(received.map((c) => `${c.kind} ${c.adamId} ${c.serialNumber}`))).toEqual(
        new Set([...polled, ...pushed].map((d) => `install ${adamId} ${d.serialNumber}`)),
      );
      const all = await commandsOf([...polled, ...pushed].map((d) => d.serialNumber));
      expect(all.map((c) => c.state)).toEqual(["delivered", "delivered", "delivered", "delivered"]);
    } finally {
      await new Promise((resolve) => receiver.close(resolve));
    }
  }, 90_000);
});
