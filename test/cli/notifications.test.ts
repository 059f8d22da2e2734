import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureDefaultSpace } from "../../src/main/default-space.js";
import { raiseTokenRevoked, webhookReceiver } from "../sync/delivery-fixtures.js";
import { type CliHarness, expectFailure, startCli } from "./harness.js";

const SECRET = "whsec-cli-deliveries-secret";

/**
 * `orchard notifications deliveries` and `resend` (NT3) against a webhook receiver in this
 * process: it refuses with 401 (a wrong secret) until the test says it is fixed.
 */
describe("orchard notifications", () => {
  let cli: CliHarness;
  let receiver: Awaited<ReturnType<typeof webhookReceiver>>;
  const ids: string[] = [];

  beforeAll(async () => {
    receiver = await webhookReceiver();
    cli = await startCli();
    Object.assign(cli.env, {
      NOTIFY_WEBHOOK_URL: `${receiver.url}?token=url-token`,
      NOTIFY_WEBHOOK_SECRET: SECRET,
    });
    await cli.withCore(async (core) => {
      const spaceId = await ensureDefaultSpace({ store: core.store });
      for (const [i, account] of ["Main campus", "North campus"].entries())
        ids.push(
          await raiseTokenRevoked(core.sync, { spaceId, account, now: new Date(Date.UTC(2026, 3, 1, 9, i)) }),
        );
    });
  });
  afterAll(async () => {
    await cli?.close();
    await receiver?.close();
  });

  it("NT3: deliveries lists each delivery, newest first, failed with the receiver's answer; a note says how to send them again", async () => {
    expect(ids).toHaveLength(2);
    const human = await cli.run(["notifications", "deliveries"]);
    expect(human.code, human.stderr).toBe(0);
    const [header, ...rows] = human.stdout.trimEnd().split("\n");
    expect(header).toMatch(
      /^RAISED\s+NOTIFICATION\s+CHANNEL\s+STATE\s+ATTEMPTS\s+LAST ATTEMPT\s+LAST ERROR$/,
    );
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatch(
      /^2026-04-01 09:01Z\s+.*North campus.*\s+webhook\s+failed\s+1\s+\S+ \S+\s+the webhook answered HTTP 401$/,
    );
    expect(rows[1]).toMatch(/Main campus/);
    expect(human.stderr).toBe("2 deliveries failed: fix the channel, then 'orchard notifications resend'\n");
    const json = await cli.json<{ total: number; items: Array<{ notificationId: string; state: string }> }>([
      "notifications",
      "deliveries",
      "--state",
      "failed",
      "--channel",
      "webhook",
      "--json",
    ]);
    expect(json.total).toBe(2);
    expect(json.items.map((d) => d.notificationId)).toEqual([...ids].reverse());
    for (const out of [human.stdout, JSON.stringify(json)]) {
      expect(out).not.toContain(SECRET);
      expect(out).not.toContain("url-token");
    }
    const none = await cli.run(["notifications", "deliveries", "--state", "delivered"]);
    expect(none).toEqual({ code: 0, stdout: "", stderr: "no delivery matches\n" });
  });

  it("NT3: bad options are one line, exit 2: a state not among the choices, a channel that is not a name, one not configured", async () => {
    const [state, shape] = await Promise.all([
      cli.run(["notifications", "deliveries", "--state", "lost"]),
      cli.run(["notifications", "resend", "--channel", "Web Hook"]),
    ]);
    expectFailure(
      state,
      2,
      /^orchard: option '--state <state>' argument 'lost' is invalid\. Allowed choices are pending, delivered, failed\./,
    );
    expectFailure(shape, 2, /^orchard: --channel: "Web Hook" is not a channel's name/);
    expectFailure(
      await cli.run(["notifications", "resend", "--channel", "email"]),
      2,
      /^orchard: the channel "email" is not configured \(configured: webhook\) \(check SMTP_URL, NOTIFY_EMAIL_FROM\)\n$/,
    );
  });

  it("NT3: resend while the receiver still refuses fails again: one line naming why, exit 4", async () => {
    expectFailure(
      await cli.run(["notifications", "resend"]),
      4,
      /^orchard: 2 of 2 deliveries sent again failed again \(webhook: the webhook answered HTTP 401\) \(check NOTIFY_WEBHOOK_URL, NOTIFY_WEBHOOK_SECRET\)\n$/,
    );
    expect(receiver.state.received).toEqual([]);
  });

  it("NT3: once fixed, resend delivers them at once, the same notification ids; again, nothing to send (exit 0)", async () => {
    receiver.state.status = 200;
    const sent = await cli.run(["notifications", "resend", "--channel", "webhook"]);
    expect(sent).toEqual({ code: 0, stdout: "2 deliveries sent again: 2 delivered\n", stderr: "" });
    expect(receiver.state.received.sort()).toEqual([...ids].sort());
    const again = await cli.run(["notifications", "resend"]);
    expect(again).toEqual({ code: 0, stdout: "", stderr: "no failed delivery to send again\n" });
    expect(await cli.json(["notifications", "resend", "--json"])).toEqual({
      retried: 0,
      delivered: 0,
      failed: 0,
      pending: 0,
      errors: [],
    });
    const listed = await cli.json<{ items: Array<{ state: string; attempts: number }> }>([
      "notifications",
      "deliveries",
      "--json",
    ]);
    expect(listed.items.map((d) => [d.state, d.attempts])).toEqual([
      ["delivered", 1],
      ["delivered", 1],
    ]);
  });
});
