import type { AddressInfo } from "node:net";
import { createServer, type Socket } from "node:net";
import { describe, expect, it } from "vitest";
import type { Notification } from "../../src/store/index.js";
import { emailChannel, NotificationDeliveryError } from "../../src/sync/index.js";

/** Just enough SMTP to accept one message (no TLS offered). */
async function smtpSink(
  options: { silent?: boolean; rcpt?: string } = {},
): Promise<{ url: string; messages: string[]; close: () => Promise<void> }> {
  const messages: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    let data: string | undefined;
    let buffer = "";
    if (options.silent) return; // accepts the connection, never greets
    socket.write("220 sink ESMTP\r\n");
    socket.on("data", (chunk: Buffer) => {
      buffer += chunk.toString("utf8");
      for (;;) {
        if (data !== undefined) {
          const end = buffer.indexOf("\r\n.\r\n");
          if (end < 0) return;
          messages.push(data + buffer.slice(0, end));
          buffer = buffer.slice(end + 5);
          data = undefined;
          socket.write("250 queued\r\n");
          continue;
        }
        const eol = buffer.indexOf("\r\n");
        if (eol < 0) return;
        const line = buffer.slice(0, eol).toUpperCase();
        buffer = buffer.slice(eol + 2);
        if (line.startsWith("EHLO") || line.startsWith("HELO")) socket.write("250 sink\r\n");
        else if (line.startsWith("DATA")) {
          data = "";
          socket.write("354 go on\r\n");
        } else if (line.startsWith("QUIT")) socket.end("221 bye\r\n");
        else if (line.startsWith("RCPT") && options.rcpt) socket.write(`${options.rcpt}\r\n`);
        else socket.write("250 ok\r\n");
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    close: () =>
      new Promise((r) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => r());
      }),
  };
}

const revoked: Notification = {
  id: "n1",
  spaceId: "s",
  kind: "token_revoked",
  severity: "alert",
  component: "Apps and Books",
  title: "Token revoked: Main",
  details: { remedy: "upload a valid token" },
  accountId: "a1",
  raisedAt: new Date(),
};

describe("notification channels", () => {
  it("NT3: a notification goes out by e-mail through SMTP, with its severity, title and remedy", async () => {
    const sink = await smtpSink();
    try {
      const channel = emailChannel({
        smtpUrl: sink.url,
        from: "orchard@example.com",
        to: ["admin@example.com"],
      });
      await channel.deliver(revoked);
      expect(sink.messages).toHaveLength(1);
      expect(sink.messages[0]).toContain("Subject: [Orchard] alert: Token revoked: Main");
      expect(sink.messages[0]).toContain("upload a valid token");
    } finally {
      await sink.close();
    }
  });

  it("NT3: an e-mail carries the notification's id, so a mail sent again can be recognised", async () => {
    const sink = await smtpSink();
    try {
      const channel = emailChannel({ smtpUrl: sink.url, from: "orchard@example.com", to: ["a@example.com"] });
      await channel.deliver(revoked);
      expect(sink.messages[0]).toContain("Message-ID: <notification-n1@orchard>");
    } finally {
      await sink.close();
    }
  });

  it("NT3: a stalled SMTP server fails the attempt within the channel's timeout, to be retried", async () => {
    const sink = await smtpSink({ silent: true });
    try {
      const channel = emailChannel({
        smtpUrl: sink.url,
        from: "orchard@example.com",
        to: ["a@example.com"],
        timeoutMs: 300,
      });
      const started = Date.now();
      const error = await channel.deliver(revoked).catch((e: unknown) => e);
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(error).toBeInstanceOf(NotificationDeliveryError);
      expect(error).toMatchObject({ retryable: true });
    } finally {
      await sink.close();
    }
  }, 10_000);

  it("NT3: an SMTP refusal (5xx) is for good, a 4xx may pass later; neither quotes the SMTP password", async () => {
    for (const [rcpt, retryable] of [
      ["550 5.1.1 no such user", false],
      ["451 4.3.0 try again later", true],
    ] as const) {
      const sink = await smtpSink({ rcpt });
      try {
        const channel = emailChannel({
          smtpUrl: sink.url.replace("smtp://", "smtp://orchard:smtp-pa55word@"),
          from: "orchard@example.com",
          to: ["a@example.com"],
        });
        const error = await channel.deliver(revoked).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(NotificationDeliveryError);
        expect(error).toMatchObject({ retryable });
        expect(String((error as Error).message)).not.toContain("smtp-pa55word");
      } finally {
        await sink.close();
      }
    }
  });
});
