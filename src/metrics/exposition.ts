/**
 * The text Prometheus scrapes, and who may scrape it: the same for `orchard serve`'s
 * `/metrics` route and `orchard worker`'s metrics server.
 */
import { Registry } from "prom-client";
import { carriesBearer } from "../auth/secrets.js";
import type { Db } from "../store/database.js";
import { processMetrics } from "./process-metrics.js";
import { stateRegistry } from "./state-metrics.js";

/** This process's figures and what Orchard holds, in Prometheus' text format. */
export async function metricsExposition(db: Db, now: Date): Promise<{ contentType: string; text: string }> {
  const merged = Registry.merge([processMetrics().registry, await stateRegistry(db, now)]);
  return { contentType: merged.contentType, text: await merged.metrics() };
}

/** Whether an Authorization header carries the metrics token as a Bearer token (constant time). */
export function isMetricsScrape(authorization: string | undefined, token: string): boolean {
  return carriesBearer(authorization, token);
}
