import { createServer, type Socket } from "node:net";

/**
 * A PostgreSQL server as far as SCRAM authentication: it asks for SCRAM-SHA-256, then sends
 * its first message, and keeps the connection open, as a real server waits for the client.
 */
export async function scramOnlyServer(): Promise<{
  port: number;
  /** Resolves when every connection a client opened is closed again. */
  allClosed(): Promise<void>;
  close(): Promise<void>;
}> {
  const sockets = new Set<Socket>();
  const waiting: Array<() => void> = [];
  const auth = (code: number, body: string) => {
    const head = Buffer.alloc(9);
    head.write("R", 0);
    head.writeInt32BE(8 + Buffer.byteLength(body), 1);
    head.writeInt32BE(code, 5);
    return Buffer.concat([head, Buffer.from(body)]);
  };
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => {});
    socket.on("close", () => {
      sockets.delete(socket);
      if (sockets.size === 0) for (const resolve of waiting.splice(0)) resolve();
    });
    let messages = 0;
    socket.on("data", () => {
      messages += 1;
      // The startup message: SASL with SCRAM-SHA-256; the client's first message: the server's.
      if (messages === 1) socket.write(auth(10, "SCRAM-SHA-256\0\0"));
      if (messages === 2) socket.write(auth(11, "r=clientnonceservernonce,s=c2FsdA==,i=4096"));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  return {
    port: typeof address === "object" && address ? address.port : 0,
    allClosed: () =>
      sockets.size === 0 ? Promise.resolve() : new Promise<void>((resolve) => waiting.push(resolve)),
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
