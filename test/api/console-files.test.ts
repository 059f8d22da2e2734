import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerConsole } from "../../src/api/console.js";

/**
 * How the server serves the console's build (src/api/console.ts), now that it is many
 * chunks loaded as pages are shown: a chunk (hashed name under /assets/) is cached for good;
 * a chunk this build does not have is a 404, never the page (a window opened before an
 * update asks for the previous build's chunks); any other path is the page, never cached.
 */
describe("the console's files", () => {
  let root = "";
  let app: FastifyInstance;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), "orchard-console-files-"));
    mkdirSync(join(root, "assets"));
    writeFileSync(
      join(root, "index.html"),
      '<!doctype html><script type="module" src="/assets/index-AbC123.js"></script>',
    );
    writeFileSync(join(root, "assets", "index-AbC123.js"), 'import("./SettingsPage-XyZ789.js");');
    writeFileSync(join(root, "assets", "SettingsPage-XyZ789.js"), "export function SettingsPage() {}");
    app = Fastify();
    await registerConsole(app, root);
    await app.ready();
  });

  afterAll(async () => {
    await app?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it("a page's chunk is served as JavaScript, cached for a year as immutable", async () => {
    const response = await app.inject({ url: "/assets/SettingsPage-XyZ789.js" });
    expect(response.statusCode).toBe(200);
    expect(response.headers["content-type"]).toMatch(/^text\/javascript|^application\/javascript/);
    expect(response.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
    expect(response.body).toBe("export function SettingsPage() {}");
  });

  it("a chunk of another build is a 404, not the page: the console then offers to reload", async () => {
    for (const url of ["/assets/SettingsPage-Old000.js", "/assets/index-Old000.css", "/assets/"]) {
      const response = await app.inject({ url });
      expect(response.statusCode, url).toBe(404);
      expect(response.headers["content-type"], url).toBe("text/plain; charset=utf-8");
      expect(response.body, url).not.toContain("<!doctype html>");
    }
  });

  it("a page path, or a file outside /assets/ that is not there, is the page, never cached", async () => {
    for (const url of ["/", "/s/default/settings", "/s/default/apps/361309726", "/favicon.ico"]) {
      const response = await app.inject({ url });
      expect(response.statusCode, url).toBe(200);
      expect(response.headers["content-type"], url).toMatch(/^text\/html/);
      expect(response.headers["cache-control"], url).toBe("no-cache");
      expect(response.body, url).toContain("/assets/index-AbC123.js");
    }
  });
});
