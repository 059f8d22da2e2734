import type { AddressInfo } from "node:net";
import { createServer, type Socket } from "node:net";

/**
 * Just enough SMTP to accept messages (no TLS offered): each message's DATA, and the
 * envelope's recipients (RCPT TO: Bcc included) beside it, in `envelopes`.
 */
export async function smtpSink(
  options: {
    silent?: boolean;
    /** The answer to every RCPT TO (a refusal, e.g. "550 5.1.1 no such user"). */
    rcpt?: string;
    /** The answer to one recipient's RCPT TO, when it refuses it. */
    refuse?: (address: string) => string | undefined;
  } = {},
): Promise<{ url: string; messages: string[]; envelopes: string[][]; close: () => Promise<void> }> {
  const messages: string[] = [];
  const envelopes: string[][] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    let data: string | undefined;
    let buffer = "";
    let recipients: string[] = [];
    if (options.silent) return; // accepts the connection, never greets
    socket.write("220 sink ESMTP\r\n");
    socket.on("data", (chunk: Buffer) => {
      buffer += chunk.toString("utf8");
      for (;;) {
        if (data !== undefined) {
          const end = buffer.indexOf("\r\n.\r\n");
          if (end < 0) return;
          messages.push(data + buffer.slice(0, end));
          envelopes.push(recipients);
          recipients = [];
          buffer = buffer.slice(end + 5);
          data = undefined;
          socket.write("250 queued\r\n");
          continue;
        }
        const eol = buffer.indexOf("\r\n");
        if (eol < 0) return;
        const raw = buffer.slice(0, eol);
        const line = raw.toUpperCase();
        buffer = buffer.slice(eol + 2);
        if (line.startsWith("EHLO") || line.startsWith("HELO")) socket.write("250 sink\r\n");
        else if (line.startsWith("DATA")) {
          data = "";
          socket.write("354 go on\r\n");
        } else if (line.startsWith("QUIT")) socket.end("221 bye\r\n");
        else if (line.startsWith("RCPT") && options.rcpt) socket.write(`${options.rcpt}\r\n`);
        else if (line.startsWith("RCPT")) {
          const address = raw.replace(/^RCPT TO:\s*<?([^>]*)>?.*$/i, "$1");
          const refusal = options.refuse?.(address);
          if (refusal) socket.write(`${refusal}\r\n`);
          else {
            recipients.push(address);
            socket.write("250 ok\r\n");
          }
        } else socket.write("250 ok\r\n");
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    envelopes,
    close: () =>
      new Promise((r) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => r());
      }),
  };
}
