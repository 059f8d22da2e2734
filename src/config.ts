import { Cron } from "croner";
import { z } from "zod";
import { type GroupRole, parseGroupRoles } from "./auth/sso-roles.js";
import type { Language } from "./service/decision-texts.js";
import { languageOfEnvironment } from "./service/language.js";
import { isSecretKey } from "./store/crypto.js";
import type { RetentionPolicy } from "./store/retention.repo.js";

/** A schedule the worker runs on: refused here, with the others, rather than when the worker starts. */
const cronPattern = z
  .string()
  .trim()
  .min(1)
  .superRefine((pattern, ctx) => {
    try {
      new Cron(pattern, { paused: true }).stop();
    } catch (error) {
      const why = error instanceof Error ? error.message.replace(/^CronPattern: /, "") : String(error);
      ctx.addIssue({ code: "custom", message: `not a cron schedule: ${why}` });
    }
  });

/** A value that must never reach a log line: printing it shows a placeholder. */
export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return "[secret]";
  }
  toJSON(): string {
    return "[secret]";
  }
}

const port = z.coerce.number().int().min(0).max(65_535);
/** Whole days, 0 keeping forever; an empty value is an error, not 0. */
const days = z
  .string()
  .trim()
  .regex(/^\d+$/, "a whole number of days (0 keeps forever)")
  .transform(Number)
  .pipe(z.number().max(36_500));

const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** Variables that configure one channel: set together or not at all. */
const TOGETHER = [
  ["NOTIFY_WEBHOOK_URL", "NOTIFY_WEBHOOK_SECRET"],
  ["SMTP_URL", "NOTIFY_EMAIL_FROM"],
  ["MDM_WEBHOOK_URL", "MDM_WEBHOOK_SECRET"],
  ["OIDC_ISSUER", "OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET"],
] as const;

/** Each webhook's secret being replaced, and the new one it signs beside. */
const PREVIOUS_SECRETS = [
  ["NOTIFY_WEBHOOK_PREVIOUS_SECRET", "NOTIFY_WEBHOOK_SECRET"],
  ["MDM_WEBHOOK_PREVIOUS_SECRET", "MDM_WEBHOOK_SECRET"],
] as const;

const schema = z
  .object({
    DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
    ORCHARD_DATA_DIR: z.string().min(1).default("./data"),
    ORCHARD_SECRET_KEY: z
      .string()
      .min(1)
      .refine((key) => isSecretKey(key), "must be 32 bytes, in base64 or hex (openssl rand -base64 32)")
      .optional(),
    PORT: port.default(8080),
    HOST: z.string().min(1).default("127.0.0.1"),
    // Behind a reverse proxy: which hops to believe for X-Forwarded-For/-Proto (client address,
    // https). "true" (every hop), a number of hops, or addresses and CIDRs, comma-separated.
    TRUST_PROXY: z
      .string()
      .trim()
      .regex(
        /^(true|\d{1,2}|[0-9A-Fa-f.:/]+(\s*,\s*[0-9A-Fa-f.:/]+)*)$/,
        "true, a number of hops, or addresses/CIDRs",
      )
      .optional(),
    LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    APPLE_BASE_URL: z.url().optional(),
    APPLE_METADATA_URL: z.url({ protocol: /^https?$/ }).optional(),
    SYNC_CRON: cronPattern.default("*/15 * * * *"),
    FULL_SYNC_CRON: cronPattern.default("30 3 * * *"),
    // Sync engine: where Apple reaches us, our MDM identity, polling, notification channels.
    PUBLIC_BASE_URL: z.url({ protocol: /^https?$/ }).optional(),
    ORCHARD_MDM_ID: z.string().min(1).max(100).default("orchard"),
    SYNC_POLL_INTERVAL_MS: z.coerce.number().int().min(1).default(30_000),
    // Requests per minute per API token (0: no limit): a looping integration gets 429s, not the database.
    API_TOKEN_REQUESTS_PER_MINUTE: z.coerce.number().int().min(0).max(10_000_000).default(60_000),
    // The bearer token Prometheus scrapes /metrics with (serve, and worker with METRICS_PORT); unset, off.
    METRICS_TOKEN: z.string().min(16).max(512).regex(/^\S+$/, "no spaces").optional(),
    METRICS_PORT: z.coerce.number().int().min(1).max(65_535).optional(),
    // Console sign-in through an OpenID Connect provider (Entra ID, Okta, Google, Keycloak…).
    OIDC_ISSUER: z.url({ protocol: /^https?$/ }).optional(),
    OIDC_CLIENT_ID: z.string().min(1).max(500).optional(),
    OIDC_CLIENT_SECRET: z.string().min(1).max(2000).optional(),
    // Where the provider sends the browser back; default <PUBLIC_BASE_URL>/api/v1/auth/sso/callback.
    OIDC_REDIRECT_URI: z.url({ protocol: /^https?$/ }).optional(),
    OIDC_LOGIN_CLAIM: z
      .string()
      .regex(/^[A-Za-z0-9_.:-]{1,100}$/, "a claim name")
      .default("email"),
    // Set (registered at the provider as a post-logout redirect URI): signing out of the console signs out of the provider too.
    OIDC_POST_LOGOUT_REDIRECT_URI: z.url({ protocol: /^https?$/ }).optional(),
    // What Orchard asks of the provider; add e.g. "groups" where the provider needs it for the groups claim.
    OIDC_SCOPES: z
      .string()
      .regex(/^[\x21\x23-\x5B\x5D-\x7E]+( [\x21\x23-\x5B\x5D-\x7E]+)*$/, "scopes separated by one space")
      .refine((v) => v.split(" ").includes("openid"), "must include openid")
      .optional(),
    // The claim listing the person's groups, read with OIDC_GROUP_ROLES (a dotted path reads nested claims).
    OIDC_GROUPS_CLAIM: z
      .string()
      .regex(/^[A-Za-z0-9_.:/-]{1,200}$/, "a claim name")
      .default("groups"),
    // Roles from the provider's groups: "<group>=owner; <group>=manage:<space>; <group>=read:*" (sso-roles.ts).
    OIDC_GROUP_ROLES: z
      .string()
      .max(20_000)
      .transform((text, ctx) => {
        const parsed = parseGroupRoles(text);
        if (typeof parsed === "string") {
          ctx.addIssue({ code: "custom", message: parsed });
          return z.NEVER;
        }
        return parsed;
      })
      .optional(),
    // "off": the console signs in through the provider only (API tokens are unchanged).
    PASSWORD_LOGIN: z.enum(["on", "off"]).default("on"),
    NOTIFY_WEBHOOK_URL: z.url().optional(),
    NOTIFY_WEBHOOK_SECRET: z.string().min(16).optional(),
    // The secret being replaced: signs beside the new one until the receiver has it.
    NOTIFY_WEBHOOK_PREVIOUS_SECRET: z.string().min(16).optional(),
    SMTP_URL: z.url({ protocol: /^smtps?$/ }).optional(),
    NOTIFY_EMAIL_FROM: z.string().min(3).optional(),
    NOTIFY_EMAIL_TO: z.string().min(3).optional(),
    // Where install/remove commands go: the MDM's webhook, signed; unset, the MDM polls the API.
    MDM_WEBHOOK_URL: z.url({ protocol: /^https?$/ }).optional(),
    MDM_WEBHOOK_SECRET: z.string().min(16).optional(),
    MDM_WEBHOOK_PREVIOUS_SECRET: z.string().min(16).optional(),
    // How long history is kept (the worker prunes it hourly): store/retention.repo.ts.
    ACTIVITY_RETENTION_DAYS: days.default(730),
    NOTIFICATION_RETENTION_DAYS: days.default(365),
    HISTORY_RETENTION_DAYS: days.default(90),
    RELEASED_LICENSE_RETENTION_DAYS: days.default(730),
  })
  // A channel half configured would be dropped without a word: each is all set or all unset.
  .superRefine((e, ctx) => {
    for (const group of TOGETHER) {
      const set = group.filter((name) => e[name] !== undefined);
      if (set.length === 0 || set.length === group.length) continue;
      for (const name of group.filter((n) => e[n] === undefined))
        ctx.addIssue({ code: "custom", path: [name], message: `needed with ${set.join(" and ")}` });
    }
    // A previous secret only signs beside a current one, and replacing a secret by itself is a slip.
    for (const [previous, current] of PREVIOUS_SECRETS) {
      if (e[previous] === undefined) continue;
      if (e[current] === undefined)
        ctx.addIssue({ code: "custom", path: [previous], message: `needs ${current}, the new secret` });
      else if (e[previous] === e[current])
        ctx.addIssue({ code: "custom", path: [previous], message: `is the same as ${current}` });
    }
    // NT3: a fixed list of recipients is optional, but only means something with a server to send through.
    if (e.NOTIFY_EMAIL_TO !== undefined && e.SMTP_URL === undefined)
      ctx.addIssue({ code: "custom", path: ["SMTP_URL"], message: "needed with NOTIFY_EMAIL_TO" });
    if (e.OIDC_ISSUER !== undefined) {
      const issuer = new URL(e.OIDC_ISSUER);
      // The provider's answers say who signs in: plain HTTP only on this machine (a test provider).
      if (issuer.protocol === "http:" && !LOOPBACK.has(issuer.hostname))
        ctx.addIssue({
          code: "custom",
          path: ["OIDC_ISSUER"],
          message: "must be https (http only on this machine)",
        });
      if (e.PUBLIC_BASE_URL === undefined && e.OIDC_REDIRECT_URI === undefined)
        ctx.addIssue({
          code: "custom",
          path: ["PUBLIC_BASE_URL"],
          message:
            "needed with OIDC_ISSUER (or OIDC_REDIRECT_URI): the provider sends the browser back to <PUBLIC_BASE_URL>/api/v1/auth/sso/callback",
        });
    }
    for (const key of ["OIDC_SCOPES", "OIDC_GROUP_ROLES", "OIDC_POST_LOGOUT_REDIRECT_URI"] as const)
      if (e[key] !== undefined && e.OIDC_ISSUER === undefined)
        ctx.addIssue({ code: "custom", path: [key], message: "needs OIDC_ISSUER: single sign-on is off" });
    if (e.PASSWORD_LOGIN === "off" && e.OIDC_ISSUER === undefined)
      ctx.addIssue({
        code: "custom",
        path: ["PASSWORD_LOGIN"],
        message: "off needs OIDC_ISSUER: nobody could sign in",
      });
    // A worker's metrics server is never open without a token.
    if (e.METRICS_PORT !== undefined && e.METRICS_TOKEN === undefined)
      ctx.addIssue({
        code: "custom",
        path: ["METRICS_PORT"],
        message: "needs METRICS_TOKEN, the scrape's token",
      });
    if (e.METRICS_PORT !== undefined && e.METRICS_PORT === e.PORT)
      ctx.addIssue({ code: "custom", path: ["METRICS_PORT"], message: "is the same as PORT" });
  });

/** A configured webhook: where, the secret signing, and the one being replaced, if any. */
export interface ConfiguredWebhook {
  url: string;
  secret: Secret;
  previousSecret?: Secret;
}

function webhook(url: string, secret: string, previousSecret: string | undefined): ConfiguredWebhook {
  return {
    url,
    secret: new Secret(secret),
    ...(previousSecret ? { previousSecret: new Secret(previousSecret) } : {}),
  };
}

/** Apple's notification dedupe records and delivered notification deliveries: a month at most. */
const SHORT_HISTORY_DAYS = 30;

export interface Config {
  /** PostgreSQL when set; else embedded PGlite in `dataDir`. */
  databaseUrl?: Secret;
  dataDir: string;
  /** Key for sTokens at rest (AES-256-GCM); else a key file in `dataDir`. */
  secretKey?: Secret;
  port: number;
  host: string;
  /** Fastify's trustProxy: the reverse proxies whose X-Forwarded-* headers are believed; unset, none. */
  trustProxy?: boolean | number | string[];
  logLevel: z.infer<typeof schema>["LOG_LEVEL"];
  /** Apple's service; unset means the built-in simulator. */
  appleBaseUrl?: string;
  /** The store's metadata lookup in the public iTunes lookup format; wins over /service/config's URL. */
  appleMetadataUrl?: string;
  syncCron: string;
  fullSyncCron: string;
  /** Where Apple can reach this server's notification endpoint; unset, /status polling only. */
  publicBaseUrl?: string;
  /** Our mdmInfo.id at Apple: the same for every process of one installation (AC6). */
  mdmId: string;
  /** Between /status polls of an Apple event (Apple: 30 s). */
  syncPollIntervalMs: number;
  /** Requests per minute each API token may send (0: unlimited); console sessions are not counted. */
  apiTokenRequestsPerMinute: number;
  /** Prometheus' bearer token for /metrics; unset, /metrics is off. */
  metricsToken?: Secret;
  /** Where `orchard worker` serves /metrics (it has no other HTTP server); unset, it does not. */
  metricsPort?: number;
  /** Console sign-in through an OpenID Connect provider; unset, passwords only. */
  sso?: {
    issuer: string;
    clientId: string;
    clientSecret: Secret;
    redirectUri: string;
    loginClaim: string;
    scopes?: string[];
    groupsClaim: string;
    groupRoles?: GroupRole[];
    postLogoutRedirectUri?: string;
  };
  /** Whether the console takes passwords (PASSWORD_LOGIN); off only with `sso`. */
  passwordLogin: boolean;
  /** Signed webhook for notifications (HMAC-SHA256 with the secret). */
  notifyWebhook?: ConfiguredWebhook;
  /** E-mail for notifications through SMTP. */
  notifyEmail?: { smtpUrl: Secret; from: string; to: string[] };
  /** The MDM's webhook for install/remove commands (HMAC-SHA256 signed). */
  mdmWebhook?: ConfiguredWebhook;
  /** Days each kind of history is kept (0: forever); the worker prunes the rest. */
  retention: RetentionPolicy;
}

/**
 * The POSIX locale's language (LC_ALL, else LC_MESSAGES, else LANG), for the CLI's decision
 * texts: read here, like every other variable.
 */
export function localeLanguage(env: NodeJS.ProcessEnv = process.env): Language {
  return languageOfEnvironment(env);
}

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

/**
 * Reads the configuration from the environment once, at start-up. Reports every
 * invalid variable at once. This file is the only place in the code that reads `process.env`.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    throw new ConfigError(`invalid configuration: ${problems.join("; ")}`);
  }
  const e = parsed.data;
  return {
    ...(e.DATABASE_URL ? { databaseUrl: new Secret(e.DATABASE_URL) } : {}),
    dataDir: e.ORCHARD_DATA_DIR,
    ...(e.ORCHARD_SECRET_KEY ? { secretKey: new Secret(e.ORCHARD_SECRET_KEY) } : {}),
    port: e.PORT,
    host: e.HOST,
    ...(e.TRUST_PROXY ? { trustProxy: trustProxyOf(e.TRUST_PROXY) } : {}),
    logLevel: e.LOG_LEVEL,
    ...(e.APPLE_BASE_URL ? { appleBaseUrl: e.APPLE_BASE_URL } : {}),
    ...(e.APPLE_METADATA_URL ? { appleMetadataUrl: e.APPLE_METADATA_URL } : {}),
    syncCron: e.SYNC_CRON,
    fullSyncCron: e.FULL_SYNC_CRON,
    ...(e.PUBLIC_BASE_URL ? { publicBaseUrl: e.PUBLIC_BASE_URL } : {}),
    mdmId: e.ORCHARD_MDM_ID,
    syncPollIntervalMs: e.SYNC_POLL_INTERVAL_MS,
    apiTokenRequestsPerMinute: e.API_TOKEN_REQUESTS_PER_MINUTE,
    ...(e.METRICS_TOKEN ? { metricsToken: new Secret(e.METRICS_TOKEN) } : {}),
    ...(e.METRICS_PORT ? { metricsPort: e.METRICS_PORT } : {}),
    ...(e.OIDC_ISSUER &&
    e.OIDC_CLIENT_ID &&
    e.OIDC_CLIENT_SECRET &&
    (e.OIDC_REDIRECT_URI || e.PUBLIC_BASE_URL)
      ? {
          sso: {
            issuer: e.OIDC_ISSUER,
            clientId: e.OIDC_CLIENT_ID,
            clientSecret: new Secret(e.OIDC_CLIENT_SECRET),
            // Spelt once, as URL spells it: the authorization and the token requests must send the same.
            redirectUri: new URL(
              e.OIDC_REDIRECT_URI ??
                `${(e.PUBLIC_BASE_URL ?? "").replace(/\/+$/, "")}/api/v1/auth/sso/callback`,
            ).href,
            loginClaim: e.OIDC_LOGIN_CLAIM,
            ...(e.OIDC_SCOPES ? { scopes: e.OIDC_SCOPES.split(" ") } : {}),
            groupsClaim: e.OIDC_GROUPS_CLAIM,
            ...(e.OIDC_GROUP_ROLES ? { groupRoles: e.OIDC_GROUP_ROLES } : {}),
            ...(e.OIDC_POST_LOGOUT_REDIRECT_URI
              ? { postLogoutRedirectUri: new URL(e.OIDC_POST_LOGOUT_REDIRECT_URI).href }
              : {}),
          },
        }
      : {}),
    passwordLogin: e.PASSWORD_LOGIN === "on",
    retention: {
      expiredSessionDays: 1,
      appleNotificationDays: shorterHistory(e.HISTORY_RETENTION_DAYS),
      deliveredDeliveryDays: shorterHistory(e.HISTORY_RETENTION_DAYS),
      failedDeliveryDays: e.HISTORY_RETENTION_DAYS,
      clearedNotificationDays: e.NOTIFICATION_RETENTION_DAYS,
      finishedMdmCommandDays: e.HISTORY_RETENTION_DAYS,
      finishedAppleOperationDays: e.HISTORY_RETENTION_DAYS,
      releasedLicenseDays: e.RELEASED_LICENSE_RETENTION_DAYS,
      activityDays: e.ACTIVITY_RETENTION_DAYS,
      // An Idempotency-Key is answered for 24 hours (IDEMPOTENCY_KEY_TTL_MS), then pruned.
      idempotencyKeyDays: 1,
    },
    ...(e.NOTIFY_WEBHOOK_URL && e.NOTIFY_WEBHOOK_SECRET
      ? {
          notifyWebhook: webhook(
            e.NOTIFY_WEBHOOK_URL,
            e.NOTIFY_WEBHOOK_SECRET,
            e.NOTIFY_WEBHOOK_PREVIOUS_SECRET,
          ),
        }
      : {}),
    ...(e.MDM_WEBHOOK_URL && e.MDM_WEBHOOK_SECRET
      ? { mdmWebhook: webhook(e.MDM_WEBHOOK_URL, e.MDM_WEBHOOK_SECRET, e.MDM_WEBHOOK_PREVIOUS_SECRET) }
      : {}),
    // NOTIFY_EMAIL_TO is optional: without it, e-mails reach the administrators who ask (NT3).
    ...(e.SMTP_URL && e.NOTIFY_EMAIL_FROM
      ? {
          notifyEmail: {
            smtpUrl: new Secret(e.SMTP_URL),
            from: e.NOTIFY_EMAIL_FROM,
            to: (e.NOTIFY_EMAIL_TO ?? "")
              .split(",")
              .map((a) => a.trim())
              .filter(Boolean),
          },
        }
      : {}),
  };
}

/** The short-lived records: 30 days, or HISTORY_RETENTION_DAYS when shorter; forever when that is 0. */
function shorterHistory(historyDays: number): number {
  return historyDays === 0 ? 0 : Math.min(SHORT_HISTORY_DAYS, historyDays);
}

/** TRUST_PROXY as Fastify takes it: every hop, a number of hops, or the proxies' addresses. */
function trustProxyOf(value: string): boolean | number | string[] {
  if (value === "true") return true;
  if (/^\d+$/.test(value)) return Number(value);
  return value.split(",").map((a) => a.trim());
}
