import { existsSync } from "node:fs";
import { extname, join, resolve } from "node:path";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance } from "fastify";
import { can } from "./context.js";

/** The built console (`npm run build:web`), next to the sources. */
export const CONSOLE_ROOT = resolve(import.meta.dirname, "../../web/dist");

/**
 * Serves the administrator console: its files, and index.html for any other page path
 * (the console routes in the browser). Public like any page: the data behind it needs
 * a session. Unknown /api paths stay JSON 404s.
 */
export async function registerConsole(app: FastifyInstance, root = CONSOLE_ROOT): Promise<void> {
  await app.register(fastifyStatic, { root, serve: false });
  const built = existsSync(join(root, "index.html"));
  app.get("/*", { config: can.public, schema: { hide: true } }, async (request, reply) => {
    const path = decodeURIComponent(request.url.split("?")[0] ?? "/");
    if (path.startsWith("/api/")) {
      return reply.status(404).type("application/problem+json").send({
        type: "/problems/route-not-found",
        title: "No such route",
        status: 404,
        code: "route_not_found",
      });
    }
    if (!built) {
      return reply
        .status(503)
        .type("text/plain; charset=utf-8")
        .send("The console is not built: run `npm run build:web` (npm start does it for you).");
    }
    const file = resolve(root, `.${path}`);
    if (extname(path) !== "" && file.startsWith(root) && existsSync(file)) {
      // Vite names assets by content hash: they never change, cache them for a year.
      const immutable = path.startsWith("/assets/");
      return reply.sendFile(path.slice(1), { maxAge: immutable ? 31_536_000_000 : 0, immutable });
    }
    return reply.header("cache-control", "no-cache").sendFile("index.html");
  });
}
