import { existsSync } from "node:fs";
import { extname, join, resolve } from "node:path";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance } from "fastify";
import { can } from "./context.js";
import { sendProblem } from "./errors.js";
import type { ApiPaths } from "./methods.js";
import { problem } from "./problem.js";

/** The built console (`npm run build:web`), next to the sources. */
export const CONSOLE_ROOT = resolve(import.meta.dirname, "../../web/dist");

/**
 * Serves the administrator console: its files, and index.html for any other page path
 * (the console routes in the browser). Public like any page: the data behind it needs
 * a session. Unknown /api paths stay JSON 404s.
 */
export async function registerConsole(
  app: FastifyInstance,
  root = CONSOLE_ROOT,
  paths?: ApiPaths,
): Promise<void> {
  await app.register(fastifyStatic, { root, serve: false });
  const built = existsSync(join(root, "index.html"));
  app.get("/*", { config: can.public, schema: { hide: true } }, async (request, reply) => {
    const path = decodeURIComponent(request.url.split("?")[0] ?? "/");
    if (path.startsWith("/api/")) {
      // A path of the API asked with a method it does not take: 405 and Allow.
      if (paths?.answer(request, reply)) return reply;
      sendProblem(
        request,
        reply,
        problem(404, "route_not_found", "No such route", `${request.method} ${path}`),
      );
      return reply;
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
    if (path.startsWith("/assets/")) {
      // A chunk of another build (a window opened before an update asks for a page's old
      // chunk): a 404, not index.html, so that the console says the page could not be loaded.
      return reply.status(404).type("text/plain; charset=utf-8").send(`No such file: ${path}`);
    }
    // Never from a cache without asking: it names the build's chunks, which an update replaces.
    // (cacheControl: false, else the static plugin writes its own "public, max-age=0" over it.)
    return reply.header("cache-control", "no-cache").sendFile("index.html", { cacheControl: false });
  });
}
