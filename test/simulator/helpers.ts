/**
 * Test helpers: a simulator on 127.0.0.1 with one location, a fetch wrapper, event
 * waiting by polling /status, and a notification receiver that resolves promises.
 */
import { readFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type RunningSimulator, type SimulatorOptions, startSimulator } from "../../src/simulator/index.js";

export type Json = Record<string, unknown>;

export interface Sim {
  sim: RunningSimulator;
  uId: string;
  sToken: string;
  call(
    path: string,
    init?: { method?: string; body?: unknown; token?: string | null; headers?: Record<string, string> },
  ): Promise<Reply>;
  waitEvent(eventId: string): Promise<Json>;
  close(): Promise<void>;
}

export interface Reply {
  status: number;
  headers: Headers;
  body: Json;
}

export async function startSim(options: SimulatorOptions = {}): Promise<Sim> {
  const sim = await startSimulator({
    eventDelayMs: 5,
    enforceRateLimit: false,
    notificationRetryDelayMs: 5,
    ...options,
  });
  const { uId, sToken } = sim.operator.createLocation({ orgName: "ORG12345", locationName: "PS01" });
  const call: Sim["call"] = async (path, init = {}) => {
    const headers: Record<string, string> = { ...init.headers };
    const token = init.token === undefined ? sToken : init.token;
    if (token !== null) headers.authorization = `Bearer ${token}`;
    let body: string | undefined;
    if (init.body !== undefined) {
      body = typeof init.body === "string" ? init.body : JSON.stringify(init.body);
      headers["content-type"] ??= "application/json";
    }
    const response = await fetch(`${sim.url}${path}`, {
      method: init.method ?? (body !== undefined ? "POST" : "GET"),
      headers,
      body,
    });
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      body: text ? (JSON.parse(text) as Json) : {},
    };
  };
  return {
    sim,
    uId,
    sToken,
    call,
    async waitEvent(eventId) {
      for (;;) {
        const reply = await call(`/status?eventId=${encodeURIComponent(eventId)}`);
        if (reply.body.eventStatus !== "PENDING") return reply.body;
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    },
    close: () => sim.close(),
  };
}

export function fixture(name: string): Json {
  return JSON.parse(readFileSync(new URL(`../fixtures/apple/${name}`, import.meta.url), "utf8")) as Json;
}

/** Describes a JSON value's shape: key sets and primitive types, recursively (first array item). */
export function shapeOf(value: unknown): unknown {
  if (Array.isArray(value)) return value.length > 0 ? [shapeOf(value[0])] : [];
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, shapeOf((value as Json)[k])]),
    );
  }
  return typeof value;
}

export interface ReceivedNotification {
  headers: IncomingHttpHeaders;
  body: Json;
}

/** An HTTP server that records POSTed notifications; answers `status()` (default 200). */
export class Receiver {
  readonly received: ReceivedNotification[] = [];
  status: () => number = () => 200;
  attempts = 0;
  private waiters: Array<{
    test: (n: ReceivedNotification) => boolean;
    resolve: (n: ReceivedNotification) => void;
  }> = [];
  private server: Server = createServer((request, response) => {
    let data = "";
    request.on("data", (chunk) => {
      data += chunk;
    });
    request.on("end", () => {
      this.attempts++;
      const status = this.status();
      response.statusCode = status;
      response.end();
      if (status >= 300) return;
      const notification = { headers: request.headers, body: JSON.parse(data) as Json };
      this.received.push(notification);
      this.waiters = this.waiters.filter((w) => {
        if (!w.test(notification)) return true;
        w.resolve(notification);
        return false;
      });
    });
  });

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/notify`;
  }

  /** Resolves with the first (already or later) notification that passes `test`. */
  next(test: (n: ReceivedNotification) => boolean): Promise<ReceivedNotification> {
    const found = this.received.find(test);
    if (found) return Promise.resolve(found);
    return new Promise((resolve) => this.waiters.push({ test, resolve }));
  }

  ofType(type: string): ReceivedNotification[] {
    return this.received.filter((n) => n.body.notificationType === type);
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** Subscribes the location to every type at a fresh receiver. */
export async function withReceiver(s: Sim, token = "SUp3rS3Cr3t"): Promise<Receiver> {
  const receiver = new Receiver();
  const url = await receiver.start();
  const reply = await s.call("/client/config", {
    body: {
      mdmInfo: { id: "orchard-test", name: "Orchard", metadata: "1.0.0" },
      notificationUrl: url,
      notificationAuthToken: token,
      notificationTypes: ["ASSET_MANAGEMENT", "ASSET_COUNT", "USER_MANAGEMENT", "USER_ASSOCIATED"],
    },
  });
  if (reply.status !== 200) throw new Error(`client config failed: ${JSON.stringify(reply.body)}`);
  return receiver;
}
