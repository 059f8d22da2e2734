import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureDefaultSpace } from "../../src/main/default-space.js";
import { createDevices, setCatalogApp } from "../../src/store/index.js";
import { listMdmCommands, queueMdmCommands, settleMdmCommands } from "../../src/store/mdm-command.repo.js";
import { verifyWebhookSignature } from "../../src/webhook.js";
import { accountWithSeats, deviceLicenses } from "../store/fixtures.js";
import { type CliHarness, expectFailure, startCli } from "./harness.js";

const SECRET = "mdm-cli-webhook-secret-01";
const APP = "3100001";

/**
 * `orchard mdm commands`, `retry` and `test-webhook` against the real binary, with an MDM
 * webhook receiver on 127.0.0.1 that checks the signature as an MDM does.
 */
describe("orchard mdm", () => {
  let cli: CliHarness;
  let receiver: Server;
  let status = 204;
  const received: Array<{ signed: boolean; body: string }> = [];
  let spaceId = "";
  const seqs = { live: 0, dead: 0, pending: 0 };

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      let body = "";
      req.on("data", (chunk: Buffer) => {
        body += chunk.toString("utf8");
      });
      req.on("end", () => {
        const header = String(req.headers["x-orchard-signature"] ?? "");
        const signed = verifyWebhookSignature({ header, body, secret: SECRET, now: new Date() });
        received.push({ signed, body });
        res.writeHead(signed ? status : 401, { connection: "close" }).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
    cli = await startCli();
    Object.assign(cli.env, {
      MDM_WEBHOOK_URL: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/mdm`,
      MDM_WEBHOOK_SECRET: SECRET,
    });
    await cli.withCore(async (core) => {
      const { db, keys } = core.store;
      const now = core.deps.now();
      spaceId = await ensureDefaultSpace({ store: core.store });
      await setCatalogApp(db, { spaceId, adamId: APP, name: "Keynote" }, now);
      const { account } = await accountWithSeats(db, keys, { spaceId, adamId: APP, total: 5 });
      const devices = await createDevices(
        db,
        ["MDM-LIVE", "MDM-DEAD", "MDM-WAIT"].map((serialNumber) => ({
          spaceId,
          serialNumber,
          platform: "iOS" as const,
        })),
      );
      const queue = async (i: number, state?: "assigned" | "released") => {
        const device = devices[i];
        if (!device) throw new Error("no device");
        const [licenseId] = state
          ? await deviceLicenses(db, {
              spaceId,
              accountId: account.id,
              adamId: APP,
              devices: [device],
              state,
            })
          : [];
        await queueMdmCommands(db, [
          {
            spaceId,
            kind: state ? "install" : "remove",
            deviceId: device.id,
            serialNumber: device.serialNumber,
            adamId: APP,
            ...(licenseId ? { licenseId } : {}),
            ruleIds: ["LT2"],
            now,
          },
        ]);
        return Math.max(...(await listMdmCommands(db, spaceId, { deviceId: device.id })).map((c) => c.seq));
      };
      seqs.live = await queue(0, "assigned");
      seqs.dead = await queue(1, "released");
      seqs.pending = await queue(2);
      await settleMdmCommands(db, {
        commands: [seqs.live, seqs.dead].map((seq) => ({ spaceId, seq })),
        state: "failed",
        fromStates: ["pending"],
        error: "the MDM webhook answered HTTP 503",
        now,
      });
    });
  }, 120_000);

  afterAll(async () => {
    await cli?.close();
    await new Promise<void>((resolve) => receiver?.close(() => resolve()));
  });

  it("commands lists failed ones first with why, app names and serials; a note says how to send them again", async () => {
    const human = await cli.run(["mdm", "commands"]);
    expect(human.code, human.stderr).toBe(0);
    const [header, ...rows] = human.stdout.trimEnd().split("\n");
    expect(header).toMatch(/^SEQ\s+STATE\s+KIND\s+DEVICE\s+APP\s+ATTEMPTS\s+UPDATED\s+LAST ERROR$/);
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatch(
      new RegExp(
        `^${seqs.dead}\\s+failed\\s+install\\s+MDM-DEAD\\s+Keynote \\(${APP}\\)\\s+0\\s+\\S+ \\S+\\s+the MDM webhook answered HTTP 503$`,
      ),
    );
    expect(rows[1]).toMatch(new RegExp(`^${seqs.live}\\s+failed\\s+install\\s+MDM-LIVE\\s`));
    expect(rows[2]).toMatch(new RegExp(`^${seqs.pending}\\s+pending\\s+remove\\s+MDM-WAIT\\s.*\\s-$`));
    expect(human.stderr).toBe(
      "2 commands failed: fix the MDM webhook ('orchard mdm test-webhook'), then 'orchard mdm retry --all'\n",
    );
    const json = await cli.json<{
      total: number;
      counts: Record<string, number>;
      items: Array<{ seq: number }>;
    }>(["mdm", "commands", "--state", "failed", "--json"]);
    expect(json.total).toBe(2);
    expect(json.counts).toEqual({ pending: 1, delivered: 0, cancelled: 0, failed: 2 });
    expect(json.items.map((c) => c.seq)).toEqual([seqs.dead, seqs.live]);
  });

  it("retry refuses bad usage before the database opens (exit 2), and seqs of no command (exit 3)", async () => {
    const [none, both, word, state] = await Promise.all([
      cli.run(["mdm", "retry"]),
      cli.run(["mdm", "retry", String(seqs.live), "--all"]),
      cli.run(["mdm", "retry", "12a"]),
      cli.run(["mdm", "commands", "--state", "lost"]),
    ]);
    expectFailure(none, 2, /^orchard: give the seqs of the failed commands to send again, or --all/);
    expectFailure(both, 2, /^orchard: give the commands' seqs or --all, not both\n$/);
    expectFailure(word, 2, /^orchard: "12a" is not a command's seq/);
    expectFailure(
      state,
      2,
      /argument 'lost' is invalid\. Allowed choices are failed, pending, delivered, cancelled/,
    );
    expectFailure(
      await cli.run(["mdm", "retry", "99999999"]),
      3,
      /^orchard: no command 99999999 in this space/,
    );
  });

  it("LT2: retry sends the live install again and cancels the one whose license is gone, saying why", async () => {
    const r = await cli.run(["mdm", "retry", String(seqs.live), String(seqs.dead), String(seqs.pending)]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split("\n").filter(Boolean)).toEqual([
      `1 command back to pending (${seqs.live}): the worker sends them to the MDM webhook`,
      `${seqs.dead} not sent again: its license is no longer live (LT2): cancelled`,
      `${seqs.pending} not sent again: it is pending, not failed`,
    ]);
    const states = await cli.withCore(async (core) =>
      (await listMdmCommands(core.store.db, spaceId, {})).map((c) => [c.seq, c.state, c.attempts]),
    );
    expect(states).toEqual([
      [seqs.live, "pending", 0],
      [seqs.dead, "cancelled", 0],
      [seqs.pending, "pending", 0],
    ]);
    expect(await cli.json(["mdm", "retry", "--all", "--json"])).toEqual({
      retried: 0,
      seqs: [],
      skipped: [],
    });
  });

  it("test-webhook sends one signed test message and says what the MDM answered; a refusal is exit 4, no webhook exit 2", async () => {
    const ok = await cli.run(["mdm", "test-webhook"]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(
      /^test message [0-9a-f-]{36} delivered: the MDM webhook answered HTTP 204 in \d+ ms\n$/,
    );
    expect(received).toHaveLength(1);
    expect(received[0]?.signed).toBe(true);
    expect(JSON.parse(received[0]?.body ?? "{}")).toMatchObject({
      type: "test",
      test: { spaceId },
      commands: [],
    });
    status = 401;
    expectFailure(
      await cli.run(["mdm", "test-webhook", "--json"]),
      4,
      /^orchard: test message not delivered: the MDM webhook answered HTTP 401 after \d+ ms \(check MDM_WEBHOOK_URL, MDM_WEBHOOK_SECRET\)\n$/,
    );
    // Refused before the database opens: nothing to test.
    const url = cli.env.MDM_WEBHOOK_URL;
    delete cli.env.MDM_WEBHOOK_URL;
    delete cli.env.MDM_WEBHOOK_SECRET;
    try {
      expectFailure(
        await cli.run(["mdm", "test-webhook"]),
        2,
        /^orchard: no MDM webhook is configured: set MDM_WEBHOOK_URL, MDM_WEBHOOK_SECRET/,
      );
    } finally {
      Object.assign(cli.env, { MDM_WEBHOOK_URL: url, MDM_WEBHOOK_SECRET: SECRET });
    }
    expect(received).toHaveLength(2);
  });
});
