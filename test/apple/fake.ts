/** Test doubles for the Apple client: a fake clock, a recording sleep and a scripted fetch. */
import { type AppleClient, type AppleClientOptions, createAppleClient } from "../../src/apple/index.js";

export const T0 = Date.parse("2026-01-01T00:00:00Z");

export function makeSTokenText(fields: { token?: string; expDate?: string; orgName?: string } = {}): string {
  return Buffer.from(
    JSON.stringify({
      token: fields.token ?? "secret-token-value-123",
      expDate: fields.expDate ?? "2030-11-08T22:33:22+0000",
      orgName: fields.orgName ?? "ORG12345",
    }),
  ).toString("base64");
}

export interface FakeTime {
  ms: number;
  now: () => Date;
  clock: () => number;
  sleep: (ms: number) => Promise<void>;
  sleeps: number[];
}

/** Time that moves only when the code under test sleeps. */
export function fakeTime(start = T0): FakeTime {
  const time: FakeTime = {
    ms: start,
    now: () => new Date(time.ms),
    clock: () => time.ms,
    sleeps: [],
    sleep: async (ms) => {
      time.sleeps.push(ms);
      time.ms += Math.max(0, ms);
    },
  };
  return time;
}

export interface FakeRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  body: unknown;
  headers: Record<string, string>;
  atMs: number;
}

export interface FakeReply {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Throw instead of answering (a transport failure). */
  fail?: boolean;
}

export const serviceConfigBody = (limits: Record<string, number> = {}) => ({
  limits: {
    maxAssets: 25,
    maxUsers: 100,
    maxClientUserIds: 1000,
    maxSerialNumbers: 1000,
    maxRevokeClientUserIds: 100,
    maxRevokeSerialNumbers: 100,
    maxRequestPerSecond: 1000,
    ...limits,
  },
});

export const envelope = { uId: "2049025000431439", tokenExpirationDate: "2030-11-08T22:33:22+0000" };

/**
 * A fetch that answers from `handler` (by default: service config, and an eventId for
 * every POST) and records every request with the fake time it was made at.
 */
export function fakeFetch(
  time: FakeTime,
  handler: (req: FakeRequest) => FakeReply | undefined = () => undefined,
) {
  const requests: FakeRequest[] = [];
  let eventCounter = 0;
  const fetch = async (input: string, init: RequestInit): Promise<Response> => {
    const url = new URL(input);
    const path = url.pathname.replace(/^\/mdm\/v2/, "");
    const req: FakeRequest = {
      method: init.method ?? "GET",
      path,
      query: url.searchParams,
      body: typeof init.body === "string" ? JSON.parse(init.body) : undefined,
      headers: { ...(init.headers as Record<string, string>) },
      atMs: time.ms,
    };
    requests.push(req);
    let reply = handler(req);
    if (reply === undefined) {
      if (path === "/service/config") reply = { body: serviceConfigBody() };
      else if (req.method === "POST") reply = { body: { eventId: `event-${++eventCounter}`, ...envelope } };
      else reply = { status: 404, body: { errorNumber: 9602, errorMessage: "no fake route" } };
    }
    if (reply.fail) throw new TypeError("fetch failed");
    return new Response(reply.body === undefined ? "" : JSON.stringify(reply.body), {
      status: reply.status ?? 200,
      headers: { "content-type": "application/json", ...reply.headers },
    });
  };
  return { fetch, requests, calls: (path: string) => requests.filter((r) => r.path === path) };
}

/** A client on fake time and a fake fetch. */
export function fakeClient(
  handler?: (req: FakeRequest) => FakeReply | undefined,
  overrides: Partial<AppleClientOptions> = {},
): { client: AppleClient; time: FakeTime; http: ReturnType<typeof fakeFetch> } {
  const time = fakeTime();
  const http = fakeFetch(time, handler);
  const client = createAppleClient({
    baseUrl: "https://vpp.example.test/mdm/v2/",
    sToken: makeSTokenText(),
    fetch: http.fetch,
    now: time.now,
    clock: time.clock,
    sleep: time.sleep,
    random: () => 0.5,
    retry: { maxAttempts: 4, baseDelayMs: 1000, maxDelayMs: 60_000 },
    mdmInfo: { id: "orchard-1", name: "Orchard", metadata: "0.1.0" },
    ...overrides,
  });
  return { client, time, http };
}
