import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { sendProblem } from "./errors.js";
import { problem } from "./problem.js";

/** The methods a path of the API takes, for `Allow`, 405 and OPTIONS. */
interface KnownPath {
  pattern: RegExp;
  methods: Set<string>;
}

/**
 * The routes under /api/, kept as they are declared, so that a request with a method a
 * path does not take answers 405 with `Allow` (not "no such route"), and OPTIONS answers
 * 204 with `Allow`. No CORS: OPTIONS grants nothing a browser could use cross-origin.
 */
export class ApiPaths {
  private readonly paths = new Map<string, KnownPath>();

  constructor(app: FastifyInstance) {
    app.addHook("onRoute", (route) => {
      if (!route.url.startsWith("/api/")) return;
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      const known = this.paths.get(route.url) ?? { pattern: patternOf(route.url), methods: new Set() };
      for (const m of methods) known.methods.add(m.toUpperCase());
      this.paths.set(route.url, known);
    });
  }

  /** The methods the path of this URL takes; empty when no route of the API has this path. */
  allowed(url: string): string[] {
    const path = url.split("?")[0] ?? "";
    const methods = new Set<string>();
    for (const known of this.paths.values()) {
      if (known.pattern.test(path)) for (const m of known.methods) methods.add(m);
    }
    if (methods.size > 0) methods.add("OPTIONS");
    return [...methods].sort();
  }

  /**
   * Answers a request no route took, when its path is the API's: OPTIONS gets 204 and
   * `Allow`, another method 405 and `Allow`. Returns false when the path is unknown.
   */
  answer(request: FastifyRequest, reply: FastifyReply): boolean {
    const allowed = this.allowed(request.url);
    // No route took a method the path takes (a parameter past the router's length): not a 405.
    if (allowed.length === 0 || (request.method !== "OPTIONS" && allowed.includes(request.method)))
      return false;
    void reply.header("allow", allowed.join(", "));
    if (request.method === "OPTIONS") {
      void reply.status(204).send();
      return true;
    }
    sendProblem(
      request,
      reply,
      problem(
        405,
        "method_not_allowed",
        "This route does not take this method",
        `${request.method} ${request.url.split("?")[0]}: allowed ${allowed.join(", ")}`,
      ),
    );
    return true;
  }
}

/** `/api/v1/spaces/:spaceId/devices` as a regular expression of concrete paths. */
function patternOf(url: string): RegExp {
  const source = url
    .split("/")
    .map((segment) =>
      segment.startsWith(":")
        ? "[^/]+"
        : segment === "*"
          ? ".*"
          : segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/:\w+/g, "[^/]+"),
    )
    .join("/");
  return new RegExp(`^${source}$`);
}
