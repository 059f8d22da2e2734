import type { AddressInfo } from "node:net";
import { createServer, type Socket } from "node:net";
import { describe, expect, it } from "vitest";
import type { Notification } from "../../src/store/index.js";
import { emailChannel, webhookChannel } from "../../src/sync/index.js";
import { parseDeliveryError } from "../../web/src/notifications/delivery-error.js";
import { at, LANGUAGES, words } from "./console-words.js";

const revoked: Notification = {
  id: "n1",
  spaceId: "s",
  kind: "token_revoked",
  severity: "alert",
  component: "Apps and Books",
  title: "Token revoked: Main",
  details: {},
  raisedAt: new Date(),
};

/** The English a channel stores for a failed attempt (src/sync/channels.ts). */
async function failure(deliver: () => Promise<unknown>): Promise<string> {
  const error = await deliver().then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof Error)) throw new Error("the delivery did not fail");
  return error.message;
}

/** A port that was free a moment ago: connecting to it is refused. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** An SMTP server that greets, then answers RCPT with `reply`. */
async function refusingSmtp(reply: string): Promise<{ url: string; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.write("220 sink ESMTP\r\n");
    let buffer = "";
    socket.on("data", (chunk: Buffer) => {
      buffer += chunk.toString("utf8");
      for (let eol = buffer.indexOf("\r\n"); eol >= 0; eol = buffer.indexOf("\r\n")) {
        const line = buffer.slice(0, eol).toUpperCase();
        buffer = buffer.slice(eol + 2);
        if (line.startsWith("RCPT")) socket.write(`${reply}\r\n`);
        else if (line.startsWith("QUIT")) socket.end("221 bye\r\n");
        else socket.write("250 ok\r\n");
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `smtp://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/**
 * NT3: the console words a delivery's last error in its language from the English the
 * channels store. Bound to the channels' own texts here, so that a change of their wording
 * cannot leave the console showing raw English without a test failing.
 */
describe("console: why a notification delivery failed", () => {
  const webhook = (answer: () => Promise<Response>) =>
    webhookChannel({ url: "http://hook.test/x", secret: "s", fetch: answer });

  it("NT3: every error the webhook and e-mail channels store is recognised, with its status or code", async () => {
    const answered = await failure(() =>
      webhook(async () => new Response(null, { status: 401 })).deliver(revoked),
    );
    expect(parseDeliveryError(answered)).toEqual({ kind: "webhookStatus", status: 401 });
    const timedOut = await failure(() =>
      webhook(async () => {
        throw Object.assign(new Error("The operation was aborted due to timeout"), { name: "TimeoutError" });
      }).deliver(revoked),
    );
    expect(parseDeliveryError(timedOut)).toEqual({ kind: "webhookUnreachable", timedOut: true });
    // A port nothing listens on (not 9: fetch refuses it as a "bad port" before connecting).
    const closed = await closedPort();
    const refused = await failure(() =>
      webhookChannel({ url: `http://127.0.0.1:${closed}/x`, secret: "s" }).deliver(revoked),
    );
    expect(parseDeliveryError(refused)).toEqual({
      kind: "webhookUnreachable",
      timedOut: false,
      code: "ECONNREFUSED",
    });
    const bare = await failure(() =>
      webhook(async () => {
        throw new TypeError("fetch failed");
      }).deliver(revoked),
    );
    expect(parseDeliveryError(bare)).toEqual({ kind: "webhookUnreachable", timedOut: false });

    const sink = await refusingSmtp("550 5.1.1 no such user");
    try {
      const rejected = await failure(() =>
        emailChannel({ smtpUrl: sink.url, from: "o@example.com", to: ["a@example.com"] }).deliver(revoked),
      );
      expect(parseDeliveryError(rejected)).toMatchObject({ kind: "smtpReply", status: 550 });
    } finally {
      await sink.close();
    }
    const noSmtp = await failure(() =>
      emailChannel({
        smtpUrl: `smtp://127.0.0.1:${closed}`,
        from: "o@example.com",
        to: ["a@example.com"],
      }).deliver(revoked),
    );
    expect(parseDeliveryError(noSmtp)).toMatchObject({ kind: "smtpUnreachable" });
    expect(parseDeliveryError("not tried: the channel failed")).toEqual({ kind: "notTried" });
    // Another version's text is shown as stored.
    expect(parseDeliveryError("the pager answered 500")).toEqual({
      kind: "text",
      text: "the pager answered 500",
    });
  }, 20_000);

  it("NT3: each kind has its words in English and French, and the HTTP statuses the same in both", () => {
    const keys = [
      "webhookStatus",
      "webhookUnreachable",
      "webhookUnreachableCode",
      "webhookTimedOut",
      "smtpReply",
      "smtpUnreachable",
      "smtpUnreachableCode",
      "notTried",
    ];
    for (const lng of LANGUAGES) {
      for (const key of keys)
        expect(at(words[lng], `deliveries.error.${key}`), `${lng} ${key}`).toMatch(/\S/);
      expect(at(words[lng], "errors.httpStatus.401"), lng).toMatch(/\S/);
    }
    expect(Object.keys(at(words.fr, "errors.httpStatus") as object)).toEqual(
      Object.keys(at(words.en, "errors.httpStatus") as object),
    );
  });
});
