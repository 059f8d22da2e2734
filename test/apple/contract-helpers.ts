/**
 * Shared setup of the contract suite: a simulator on 127.0.0.1, a notification receiver,
 * and clients with fast retry settings on real time.
 */
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import {
  type AppleClient,
  type AppleClientOptions,
  createAppleClient,
  type Notification,
  parseNotification,
} from "../../src/apple/index.js";
import { startSimulator } from "../../src/simulator/index.js";

export const ORCHARD = { id: "orchard-test", name: "Orchard", metadata: "0.1.0" };

export type Simulator = Awaited<ReturnType<typeof startSimulator>>;

export async function simulator(options: Parameters<typeof startSimulator>[0] = {}): Promise<Simulator> {
  return startSimulator({ host: "127.0.0.1", port: 0, eventDelayMs: 5, seed: 42, ...options });
}

export interface Received {
  headers: IncomingHttpHeaders;
  body: Notification;
}

/** An HTTP receiver for Apple's notifications; `next(pred)` waits for a matching one. */
export async function receiver(): Promise<{
  url: string;
  received: Received[];
  /** Bodies that did not match the notification schema (should stay empty). */
  malformed: unknown[];
  next(pred: (n: Notification) => boolean): Promise<Received>;
  close(): Promise<void>;
}> {
  const received: Received[] = [];
  const malformed: unknown[] = [];
  const waiters: Array<{ pred: (n: Notification) => boolean; resolve: (r: Received) => void }> = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const raw: unknown = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      const parsed = parseNotification(raw);
      res.writeHead(200).end();
      if (!parsed.ok) {
        malformed.push({ raw, problem: parsed.problem });
        return;
      }
      const body = parsed.notification;
      const entry = { headers: req.headers, body };
      received.push(entry);
      for (const w of [...waiters]) {
        if (w.pred(body)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(entry);
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/apple/notifications`,
    received,
    malformed,
    next(pred) {
      const found = received.find((r) => pred(r.body));
      if (found) return Promise.resolve(found);
      return new Promise((resolve) => waiters.push({ pred, resolve }));
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** One HTTP exchange: sent at startMs, answered at atMs (performance.now()). */
export interface Exchange {
  method: string;
  path: string;
  status: number;
  startMs: number;
  atMs: number;
  retryAfter: string | null;
}

/** A client with quick retries on real time, recording every HTTP exchange it makes. */
export function client(
  sim: Simulator,
  sToken: string,
  overrides: Partial<AppleClientOptions> = {},
): { client: AppleClient; exchanges: Exchange[] } {
  const exchanges: Exchange[] = [];
  const client = createAppleClient({
    baseUrl: sim.url,
    sToken,
    mdmInfo: ORCHARD,
    retry: { maxAttempts: 3, baseDelayMs: 20, maxDelayMs: 5_000 },
    fetch: async (input, init) => {
      const startMs = performance.now();
      const response = await fetch(input, init);
      const url = new URL(input);
      exchanges.push({
        method: init.method ?? "GET",
        path: url.pathname.replace(/^\/mdm\/v2/, ""),
        status: response.status,
        startMs,
        atMs: performance.now(),
        retryAfter: response.headers.get("retry-after"),
      });
      return response;
    },
    ...overrides,
  });
  return { client, exchanges };
}

export async function drain<T>(pages: AsyncIterable<{ items: T[] }>): Promise<T[]> {
  const items: T[] = [];
  for await (const page of pages) items.push(...page.items);
  return items;
}

export async function rejection(work: Promise<unknown>): Promise<unknown> {
  try {
    await work;
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection");
}
