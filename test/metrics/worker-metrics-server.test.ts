import { expect, it } from "vitest";
import { startMetricsServer } from "../../src/metrics/metrics-server.js";
import { createSpace } from "../../src/store/index.js";
import { describeEachDatabase } from "../store/databases.js";
import { sample } from "./samples.js";

const TOKEN = "worker-scrape-token-0123456789";

/** `orchard worker` with METRICS_PORT: the same figures as serve's /metrics, on a port of its own. */
describeEachDatabase("the worker's metrics server", (db) => {
  it("answers GET /metrics with the token, a 401 without it, a 404 elsewhere", async () => {
    const { store } = db();
    const space = await createSpace(store.db, { name: `Worker metrics ${Date.now()}` });
    const server = await startMetricsServer({
      db: store.db,
      now: () => new Date(),
      token: TOKEN,
      host: "127.0.0.1",
      port: 0,
    });
    try {
      const url = `http://127.0.0.1:${server.port}`;
      const denied = await fetch(`${url}/metrics`);
      expect(denied.status).toBe(401);
      expect(denied.headers.get("www-authenticate")).toMatch(/^Bearer/);
      expect(await denied.text()).not.toContain("orchard_");
      const wrong = await fetch(`${url}/metrics`, {
        headers: { authorization: "Bearer not-the-token-0123456" },
      });
      expect(wrong.status).toBe(401);
      const elsewhere = await fetch(`${url}/api/v1/spaces`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      expect(elsewhere.status).toBe(404);
      const scraped = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(scraped.status).toBe(200);
      expect(scraped.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
      const text = await scraped.text();
      expect(sample(text, "orchard_space_info", { space: space.id })).toBe(1);
      expect(sample(text, "process_cpu_user_seconds_total")).toBeGreaterThan(0);
    } finally {
      await server.close();
    }
  });
});
