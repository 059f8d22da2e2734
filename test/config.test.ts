import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../src/config.js";

describe("configuration", () => {
  it("defaults to embedded PGlite in ./data on 127.0.0.1:8080", () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ dataDir: "./data", port: 8080, host: "127.0.0.1" });
    expect(c.databaseUrl).toBeUndefined();
  });

  it("reports every invalid variable at once", () => {
    expect(() => loadConfig({ PORT: "http", DATABASE_URL: "mysql://x", LOG_LEVEL: "loud" })).toThrowError(
      ConfigError,
    );
    try {
      loadConfig({ PORT: "http", DATABASE_URL: "mysql://x", LOG_LEVEL: "loud" });
    } catch (error) {
      expect(String(error)).toMatch(/PORT.*DATABASE_URL|DATABASE_URL.*PORT/);
      expect(String(error)).toContain("LOG_LEVEL");
    }
  });

  it("keeps secrets out of logs and JSON", () => {
    const c = loadConfig({
      DATABASE_URL: "postgres://u:hunter2@db/orchard",
      ORCHARD_SECRET_KEY: "k".repeat(44),
    });
    expect(JSON.stringify(c)).not.toContain("hunter2");
    expect(`${c.secretKey}`).toBe("[secret]");
    expect(c.databaseUrl?.reveal()).toContain("hunter2");
  });
});
