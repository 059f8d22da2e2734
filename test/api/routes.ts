import type { FastifyInstance } from "fastify";
import type { Fixture } from "./harness.js";

/** Every documented /api/v1 route, from the OpenAPI document (so a new route is tested at once). */
export interface RouteCase {
  method: string;
  path: string;
  url: string;
  kind: "public" | "signedIn" | "owner" | "read" | "write";
}

export function routeCases(app: FastifyInstance, f: Fixture): RouteCase[] {
  const doc = app.swagger() as { paths: Record<string, Record<string, unknown>> };
  const values: Record<string, string> = {
    spaceId: f.ids.spaceA,
    accountId: f.ids.accountA,
    adamId: f.ids.adamId,
    userId: f.ids.userA,
    deviceId: f.ids.deviceA,
    groupId: f.ids.groupA,
    licenseId: f.ids.licenseA,
    notificationId: f.ids.notificationA,
    tokenId: "tok_unknown00000",
    adminId: "unknown-admin",
  };
  const out: RouteCase[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    if (!path.startsWith("/api/v1")) continue;
    for (const method of Object.keys(methods)) {
      const url = path.replace(/\{(\w+)\}/g, (_, name: string) => values[name] ?? "x");
      out.push({ method: method.toUpperCase(), path, url, kind: kindOf(method.toUpperCase(), path) });
    }
  }
  return out;
}

function kindOf(method: string, path: string): RouteCase["kind"] {
  if (
    path === "/api/v1/auth/login" ||
    path === "/api/v1/auth/methods" ||
    path.startsWith("/api/v1/auth/sso/") ||
    path.startsWith("/api/v1/apple/")
  )
    return "public";
  if (
    path.startsWith("/api/v1/admins") ||
    path.startsWith("/api/v1/apps/") ||
    (path === "/api/v1/spaces" && method === "POST") ||
    path === "/api/v1/spaces/{spaceId}/name"
  )
    return "owner";
  if (path.startsWith("/api/v1/auth/") || path === "/api/v1/spaces") return "signedIn";
  if (path.endsWith("/what-if") || path.endsWith("/explain")) return "read";
  return method === "GET" ? "read" : "write";
}

/** Top-level routes take the space from `?space=`. */
export function withSpace(c: RouteCase, spaceId: string): string {
  if (c.url.includes("/spaces/")) return c.url;
  return `${c.url}${c.url.includes("?") ? "&" : "?"}space=${spaceId}`;
}
