/**
 * `orchard worker`'s metrics server (METRICS_PORT): the worker sends Orchard's requests to
 * Apple and has no other HTTP server, so Prometheus scrapes it here. GET /metrics only,
 * with the metrics token, as `orchard serve`'s route; anything else is a 404.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Db } from "../store/database.js";
import { isMetricsScrape, metricsExposition } from "./exposition.js";

export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

export async function startMetricsServer(input: {
  db: Db;
  now: () => Date;
  token: string;
  host: string;
  port: number;
  onError?: (error: unknown) => void;
}): Promise<MetricsServer> {
  const server: Server = createServer((request, response) => {
    const answer = (status: number, text: string, type = "text/plain; charset=utf-8") => {
      response.writeHead(status, {
        "content-type": type,
        ...(status === 401 ? { "www-authenticate": 'Bearer realm="orchard-metrics"' } : {}),
      });
      response.end(text);
    };
    if (request.method !== "GET" || request.url?.split("?")[0] !== "/metrics")
      return answer(404, "not found\n");
    if (!isMetricsScrape(request.headers.authorization, input.token))
      return answer(401, "send the metrics token (METRICS_TOKEN) as a Bearer token\n");
    metricsExposition(input.db, input.now()).then(
      ({ contentType, text }) => answer(200, text, contentType),
      (error: unknown) => {
        input.onError?.(error);
        answer(503, "the database did not answer\n");
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(input.port, input.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
