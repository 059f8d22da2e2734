import type {
  FastifyBaseLogger,
  FastifyInstance,
  FastifyRequest,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import type { Permission } from "../auth/principal.js";
import type { SsoClient } from "../auth/sso.js";
import type { MdmWebhookTestResult } from "../mdm/webhook-test.js";
import type { ServiceDeps } from "../service/deps.js";
import { DEFAULT_SPACE_ALIAS } from "../store/space.repo.js";
import type { Actor } from "../store/sql-helpers.js";
import { ApiError } from "./problem.js";

/** The Fastify instance routes are declared on: zod schemas, typed handlers. */
export type Api = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  ZodTypeProvider
>;

export interface ApiContext {
  deps: ServiceDeps;
  /** Apple's notifications for an account (src/sync), when bound: the HTTP status to answer. */
  appleNotifications?: (input: {
    accountId: string;
    body: unknown;
    headers: Record<string, string | string[] | undefined>;
  }) => Promise<{ status: number; outcome: string }>;
  /**
   * Notification deliveries (src/sync), when bound: the channels this process has configured,
   * and failed deliveries sent again with a first attempt at once. Unbound, sending again
   * only re-queues them, for the worker's rounds.
   */
  notificationDeliveries?: {
    channels: readonly string[];
    resend(input: { spaceId: string; channel?: string; notificationIds?: readonly string[] }): Promise<{
      retried: number;
      delivered: number;
      failed: number;
      pending: number;
      errors: Array<{ channel: string; error: string }>;
    }>;
  };
  /**
   * Sends one signed test message to the MDM's webhook (src/mdm/webhook-test.ts), when this
   * server has one configured (MDM_WEBHOOK_URL); unbound, there is no webhook to test.
   */
  mdmWebhookTest?: (input: { spaceId: string }) => Promise<MdmWebhookTestResult>;
  /** Health of the database. */
  ping: () => Promise<void>;
  /**
   * The bearer token Prometheus scrapes `/metrics` with (METRICS_TOKEN); unset, the
   * endpoint is off (404).
   */
  metricsToken?: string | undefined;
  /** Console sign-in through an OpenID Connect provider (OIDC_ISSUER), when configured. */
  sso?: SsoClient | undefined;
  /** Whether the console takes passwords (PASSWORD_LOGIN); unset, it does. */
  passwordLogin?: boolean | undefined;
  /** Cookies get `Secure` when the server is reached over HTTPS. */
  secureCookies: boolean;
}

/** Route permissions, so every route says what it needs in one word. */
export const can = {
  public: { permission: { kind: "public" } satisfies Permission },
  ownCredential: { permission: { kind: "own_credential" } satisfies Permission },
  signedIn: { permission: { kind: "authenticated" } satisfies Permission },
  owner: { permission: { kind: "owner" } satisfies Permission },
  read: { permission: { kind: "space", need: "read" } satisfies Permission },
  write: { permission: { kind: "space", need: "write" } satisfies Permission },
  /**
   * A route an MDM integration calls (README, "For MDM vendors"): as `read`/`write`, and open
   * to an API token of role `mdm`, which may call nothing else (least privilege).
   */
  mdm: {
    read: { permission: { kind: "space", need: "read", mdm: true } satisfies Permission },
    write: { permission: { kind: "space", need: "write", mdm: true } satisfies Permission },
  },
};

/** The authorized space of a space route (set by the authorization hook). */
export function spaceOf(request: FastifyRequest): string {
  if (!request.spaceId) throw new ApiError(404, "not_found", "Not found");
  return request.spaceId;
}

/** Who caused a change, for the activity log (invariant 4). */
export function actorOf(request: FastifyRequest): Actor {
  const p = request.principal;
  if (!p) return { kind: "system" };
  return { kind: p.kind === "admin" ? "admin" : "api_token", id: p.id };
}

/** The license a subject holds after a decision: the one granted, or the one it keeps. */
export function heldLicense(result: {
  licenseId?: string | undefined;
  decision: { outcome: string; licenseId?: string | undefined };
}): string | undefined {
  return result.licenseId ?? (result.decision.outcome === "keep" ? result.decision.licenseId : undefined);
}

/** The URL of what a POST to a collection created (its `Location`): the collection's URL and the id. */
export function locationOf(request: FastifyRequest, id: string): string {
  let path = (request.url.split("?")[0] ?? "").replace(/\/$/, "");
  // Made through the default space's alias: the resource's lasting address names the space's id.
  if (request.spaceId)
    path = path.replace(new RegExp(`/spaces/${DEFAULT_SPACE_ALIAS}(?=/|$)`), `/spaces/${request.spaceId}`);
  return `${path}/${encodeURIComponent(id)}`;
}
