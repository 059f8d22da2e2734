import { describe, expect, it } from "vitest";
import type { Notification } from "../../src/store/index.js";
import { emailChannel, NotificationDeliveryError } from "../../src/sync/index.js";
import { smtpSink } from "./smtp-sink.js";

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
