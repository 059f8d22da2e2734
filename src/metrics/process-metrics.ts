/**
 * What this process did, for Prometheus: Node's own figures (CPU, memory, event loop, GC),
 * the HTTP requests it answered and the requests it sent to Apple. One registry per
 * process, made on first use, as Prometheus scrapes a process. What Orchard holds (queues,
 * Apple work, tokens, seats) is read from the database at each scrape instead
 * (state-metrics.ts), so every process tells the same.
 */
import { Counter, collectDefaultMetrics, Histogram, Registry } from "prom-client";
import type { AppleAttempt } from "../apple/index.js";

interface ProcessMetrics {
  registry: Registry;
  httpRequests: Counter<"method" | "route" | "status">;
  httpSeconds: Histogram<"method" | "route">;
  appleRequests: Counter<"method" | "endpoint" | "outcome" | "status" | "error_number">;
  appleSeconds: Histogram<"method" | "endpoint">;
}

let made: ProcessMetrics | undefined;

export function processMetrics(): ProcessMetrics {
  if (made) return made;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  made = {
    registry,
    httpRequests: new Counter({
      name: "orchard_http_requests_total",
      help: "HTTP requests answered, by method, route (its pattern, not the URL) and status",
      labelNames: ["method", "route", "status"],
      registers,
    }),
    httpSeconds: new Histogram({
      name: "orchard_http_request_duration_seconds",
      help: "Time to answer an HTTP request, by method and route",
      labelNames: ["method", "route"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    appleRequests: new Counter({
      name: "orchard_apple_requests_total",
      help: "Attempts sent to Apple's Apps and Books API (retries included), by endpoint and how each ended: ok, api_error (with Apple's HTTP status and errorNumber), transport_error, protocol_error",
      labelNames: ["method", "endpoint", "outcome", "status", "error_number"],
      registers,
    }),
    appleSeconds: new Histogram({
      name: "orchard_apple_request_duration_seconds",
      help: "Time Apple took to answer an attempt, by endpoint",
      labelNames: ["method", "endpoint"],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
  };
  return made;
}

/** An HTTP request answered; `route` is the route's pattern (`/api/v1/spaces/:spaceId/devices`). */
export function observeHttpRequest(input: {
  method: string;
  route: string | undefined;
  status: number;
  seconds: number;
}): void {
  const m = processMetrics();
  // An unknown path is one label value, not one per URL tried.
  const route = input.route ?? "unmatched";
  m.httpRequests.inc({ method: input.method, route, status: String(input.status) });
  m.httpSeconds.observe({ method: input.method, route }, input.seconds);
}

/** An attempt sent to Apple (the Apple client's `onAttempt`). */
export function observeAppleAttempt(attempt: AppleAttempt): void {
  const m = processMetrics();
  m.appleRequests.inc({
    method: attempt.method,
    endpoint: attempt.path,
    outcome: attempt.outcome,
    status: attempt.httpStatus === undefined ? "" : String(attempt.httpStatus),
    error_number: attempt.errorNumber === undefined ? "" : String(attempt.errorNumber),
  });
  m.appleSeconds.observe({ method: attempt.method, endpoint: attempt.path }, attempt.seconds);
}
