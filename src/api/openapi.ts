import type { RouteOptions } from "fastify";
import { z } from "zod";
import type { Permission } from "../auth/principal.js";
import type { TokenRole } from "../store/auth.repo.js";
import { BODY_LIMIT_BYTES } from "./limits.js";
import { mdmCommandKind, mdmCommandTargetFields, mdmInvitationFields } from "./mdm-command-target.js";

/** The tags of the document, in the order a reader meets them, each with what it holds. */
const TAGS = [
  [
    "mdm",
    "What an MDM sends (check-ins, device events, moves, invitations) and the install/remove/invite commands it polls and acknowledges",
  ],
  ["decisions", "License requests (the decision made real), explain and what-if (read-only)"],
  ["licenses", "Licenses of a space: filtered lists, revocation"],
  ["devices", "Devices of a space"],
  ["users", "Users of a space and their license usage"],
  ["groups", "Groups of users and their members"],
  ["catalog", "The space's app catalog (CA1) and its delegation to other spaces"],
  ["apps", "Bought apps, their license rules, usage and waiting queue"],
  ["accounts", "Apps and Books accounts (sTokens, never returned) and their Apple work"],
  ["activity", "The activity log: every license change with its cause and rule ids"],
  ["notifications", "NT1-NT3 notifications"],
  ["spaces", "Spaces the caller has a role in"],
  ["auth", "Sessions, API tokens and administrators"],
  ["apple", "Apple's notifications (called by Apple)"],
  ["health", "Liveness"],
] as const;

const DESCRIPTION = [
  "Apple Apps and Books license manager.",
  "",
  "**Authentication**: `Authorization: Bearer <API token>` (a token has a role per space: `manage` reads and changes, `read` only reads; a change asked with a read role is a 403 `forbidden`), or a console session cookie plus the `x-orchard-csrf: 1` header on changes. A wrong or revoked token is a 401, on every route; an expired one a 401 `api_token_expired` (distinct from an expired sToken file, a 422 `token_expired`).",
  "",
  "**Roles per route**: each space route's `x-orchard-roles` lists the roles that may call it. The API token role `mdm` (least privilege for an MDM integration, never an administrator's) calls only the routes whose list has `mdm` (check-in, device events, the command feed and its acknowledgement, license requests, the devices, users and catalog entries the MDM manages, and the reads they need), and `auth/me` and `GET spaces`; any other is a 403 `forbidden`.",
  "",
  "**Spaces**: a space the caller has no role in answers 404 `not_found`, exactly as one that does not exist; so does any id of another space's data.",
  "",
  "**Errors** are `application/problem+json` (RFC 9457): switch on `code` (stable), show `title`/`detail` (English); `errors[]` names each invalid field (`field`, `rule`, `limits`). Every response carries `X-Request-Id`, also in the problem's `requestId`. A 503 `busy` (the database made the change give way: nothing was written) or `apple_unavailable` comes with `Retry-After`.",
  "",
  `**Limits**: a JSON body is at most ${BODY_LIMIT_BYTES / 1024 / 1024} MiB (413 \`payload_too_large\`); arrays and strings have the limits their schemas say (400 \`validation_failed\`); ids are at most 200 characters.`,
  "",
  "**Created**: a 201 of a single resource (device, user, group, account, space) carries `Location`, its URL.",
  "",
  "**Devices**: wherever a device is taken (`devices/{deviceId}` and the routes under it, a `device` parameter or body field, a rule's `reservedDeviceIds`), `serial:<serial number>` names it too, the prefix and the serial number in any case (`devices/SERIAL:c02d0000`); an unknown serial number is a 404 `not_found` naming it. A serial number is kept trimmed and upper-case: one taken in the space in any case is a 409 `already_exists`.",
  "",
  "**Methods**: a path asked with a method it does not take is a 405 `method_not_allowed` with `Allow`; OPTIONS answers 204 with `Allow`; HEAD is taken wherever GET is.",
  "",
  "**Lists**: `page` (1-based), `pageSize` (at most 500), `sort`, `order` (`asc`, `desc`), `q`; the answer is `{items, total, page, pageSize}`. `GET mdm/commands` pages by `after` (the last `seq` read) instead.",
  "",
  "**Retries**: a request that timed out may be sent again. `POST license-requests` and `POST mdm/check-in` never take a second license for a subject (the second answer is `keep`, with the same `licenseId`) nor queue a second install; a device event or a removal from distribution already applied changes and logs nothing again; `POST users/invite` does not register a user at Apple twice; `POST mdm/commands/ack` acknowledges only pending commands (but installs still awaiting their license) and failed ones, and leaves a cancelled one cancelled. A device created twice (same serial number), or a user with the same `externalId`, is a 409 `already_exists` naming the field; a user without `externalId` sent twice is created twice.",
  "",
  '**Idempotency-Key** (draft-ietf-httpapi-idempotency-key-header): every POST and PATCH sent with credentials takes the header, but `auth/*`, 1 to 255 printable ASCII characters, bare or quoted (`Idempotency-Key: "8e03978e-40d5-43e8-bc93-6894a57f9324"`); a UUID per operation is best. A retry with the same key, method, URL and body gets the first answer again with `Idempotent-Replayed: true`, and nothing is done twice. Kept: a 2xx, and a 4xx other than 408, 409, 425 and 429; a 5xx is not, so a retry runs again. The same key with another method, URL or body is a 422 `idempotency_key_reused`; sent while the first request still runs, a 409 `idempotency_key_in_progress` with `Retry-After`; a key that is not valid, a 400 `idempotency_key_invalid`. Keys belong to their API token (or their administrator, in the console) and live 24 hours from the first request; then the key is new again. Without the header, a request is answered as always.',
  "",
  "**Webhook**: see `webhooks.mdmCommands` for the install/remove/invite commands Orchard POSTs to `MDM_WEBHOOK_URL`, and `webhooks.mdmWebhookTest` for the test message an administrator may send there.",
].join("\n");

/** One install/remove/invite command, as the webhook delivers it (src/mdm/sinks.ts, MdmCommandMessage). */
const webhookCommand = z.object({
  id: z
    .string()
    .describe(
      "the command's id: stable across deliveries; a delivery may be repeated, so act on each id once",
    ),
  seq: z.number().int().describe("the command's number in its space, as `GET mdm/commands` lists it"),
  spaceId: z.string(),
  kind: mdmCommandKind,
  deviceId: z.string(),
  serialNumber: z.string(),
  adamId: z.string().nullable().describe("the app of an install or a remove; null for an invite"),
  ...mdmInvitationFields,
  licenseId: z.string().optional().describe("the license an install relies on (Apple has confirmed it)"),
  appVersion: z.string().optional().describe("DB4: the version an update installs"),
  because: z.array(z.string()).describe("rule ids of docs/RULES.md that caused the command"),
  createdAt: z.string().describe("ISO 8601"),
  ...mdmCommandTargetFields,
});

/** X-Orchard-Event and X-Orchard-Delivery (src/webhook.ts), as every Orchard webhook POST carries them. */
function deliveryHeaders(event: "mdm_commands" | "mdm_test" | "notification") {
  return [
    {
      name: "x-orchard-event",
      in: "header",
      required: true,
      description: "what the POST carries: one endpoint may take every Orchard webhook",
      schema: { type: "string", enum: [event] },
    },
    {
      name: "x-orchard-delivery",
      in: "header",
      required: true,
      description:
        "the delivery: the same on every retry of it, so a receiver that answered too late recognises it",
      schema: { type: "string" },
    },
  ];
}

const WEBHOOKS = {
  mdmCommands: {
    post: {
      summary: "Install/remove/invite commands for the MDM (MDM_WEBHOOK_URL)",
      description: [
        "Orchard POSTs the commands to act on, oldest first, up to 200 at once, once Apple confirmed an install's license.",
        "",
        'Signature: `X-Orchard-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" with MDM_WEBHOOK_SECRET>`. Check it on the raw body with a constant-time comparison, and refuse a `t` more than 5 minutes from your clock (replays); `verifyWebhookSignature` in src/webhook.ts does both. A URL with `user:password@` sends them as HTTP Basic.',
        "",
        "Answer 2xx once the commands are stored: they are then delivered. A timeout, a network error, a 408, 429 or 5xx is retried with exponential backoff (2 s doubling, at most 15 minutes apart) for nearly 3 hours; then, or at once on another 4xx, the commands are marked `failed` and stay listed by `GET mdm/commands?state=failed`. A delivery may be repeated: deduplicate by command `id`.",
      ].join("\n"),
      requestBody: {
        required: true,
        content: {
          "application/json": {
            schema: z.toJSONSchema(z.object({ commands: z.array(webhookCommand) }), { io: "output" }),
          },
        },
      },
      parameters: [
        {
          name: "x-orchard-signature",
          in: "header",
          required: true,
          schema: {
            type: "string",
            example: "t=1767225600,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd",
          },
        },
        ...deliveryHeaders("mdm_commands"),
      ],
      responses: { "2XX": { description: "Stored: the commands are delivered" } },
    },
  },
  mdmWebhookTest: {
    post: {
      summary: "A test message to the MDM's webhook (MDM_WEBHOOK_URL): nothing to do",
      description: [
        'Sent when an administrator checks the webhook (`POST mdm/webhook/test`, the console\'s "Send test webhook", `orchard mdm test-webhook`), to the same URL, signed the same way as the commands (`X-Orchard-Signature`). It is marked `type: "test"` and its `commands` is always empty, so a receiver that reads only `commands` does nothing with it.',
        "",
        "Check the signature as for commands and answer 2xx: the administrator sees your HTTP status and the time it took. An answer other than 2xx, or none within 10 s, shows as a failure. It is sent once, never retried; `test.id` is new for each test.",
      ].join("\n"),
      requestBody: {
        required: true,
        content: {
          "application/json": {
            schema: z.toJSONSchema(
              z.object({
                type: z.literal("test"),
                test: z.object({
                  id: z.string().describe("new for each test"),
                  spaceId: z.string().describe("the space the administrator tested from"),
                  sentAt: z.string().describe("ISO 8601"),
                }),
                commands: z.array(webhookCommand).max(0).describe("always empty"),
              }),
              { io: "output" },
            ),
          },
        },
      },
      parameters: [
        {
          name: "x-orchard-signature",
          in: "header",
          required: true,
          schema: { type: "string", example: "t=1767225600,v1=…" },
        },
        ...deliveryHeaders("mdm_test"),
      ],
      responses: { "2XX": { description: "Received: the test shows as delivered" } },
    },
  },
  notification: {
    post: {
      summary: "A notification raised (NOTIFY_WEBHOOK_URL)",
      description: [
        "Orchard POSTs each notification (NT1 usage, NT2 token problems, expiry warnings) to each configured channel, at least once: deduplicate by `notification.id`.",
        "",
        'Signed as the MDM webhook is: `X-Orchard-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" with NOTIFY_WEBHOOK_SECRET>` (one verifier for both). A 4xx other than 408 and 429 fails the delivery at once; the rest are retried with backoff for nearly 3 hours. Failed deliveries are listed by `GET notifications/deliveries?state=failed` and sent again by `POST notifications/deliveries/retry`.',
      ].join("\n"),
      requestBody: {
        required: true,
        content: {
          "application/json": {
            schema: {
              type: "object",
              required: ["type", "notification"],
              properties: {
                type: { const: "notification" },
                notification: { $ref: "#/components/schemas/Notification" },
              },
            },
          },
        },
      },
      parameters: [
        {
          name: "x-orchard-signature",
          in: "header",
          required: true,
          schema: { type: "string", example: "t=1767225600,v1=…" },
        },
        ...deliveryHeaders("notification"),
      ],
      responses: { "2XX": { description: "Received" } },
    },
  },
};

/** The `openapi` options of @fastify/swagger. */
export const openapiOptions = {
  openapi: "3.1.0",
  info: { title: "Orchard API", version: "1", description: DESCRIPTION },
  tags: TAGS.map(([name, description]) => ({ name, description })),
  components: {
    securitySchemes: {
      bearer: { type: "http", scheme: "bearer" },
      session: { type: "apiKey", in: "cookie", name: "orchard_session" },
    },
    parameters: {
      IdempotencyKey: {
        name: "idempotency-key",
        in: "header",
        required: false,
        description:
          "Sent again with the same request, gets the first answer (`Idempotent-Replayed: true`) instead of a second effect; see **Idempotency-Key** above. Kept 24 hours.",
        schema: {
          type: "string",
          minLength: 1,
          maxLength: 255,
          example: "8e03978e-40d5-43e8-bc93-6894a57f9324",
        },
      },
    },
  },
  security: [{ bearer: [] }, { session: [] }],
  webhooks: WEBHOOKS,
} as const;

/**
 * Each documented route gets a stable `operationId` (for client generators), from its
 * method and path: `GET /api/v1/spaces/:spaceId/devices/:deviceId` is
 * `getSpacesBySpaceIdDevicesByDeviceId`; public routes say they need no credentials.
 * Taken as the route is declared, before the document collects it.
 */
export function describeRoute(route: RouteOptions): void {
  if (!route.schema || route.schema.hide) return;
  const method = (Array.isArray(route.method) ? route.method[0] : route.method) ?? "get";
  const schema = { ...route.schema } as Record<string, unknown>;
  if (schema.operationId === undefined) schema.operationId = operationIdOf(method, route.url);
  const permission = (route.config as { permission?: Permission } | undefined)?.permission;
  if (permission?.kind === "public") schema.security = [];
  if (permission?.kind === "space") {
    schema["x-orchard-roles"] = rolesOf(permission);
    if (permission.mdm)
      schema.description = [schema.description, MDM_TOKEN_NOTE].filter((d) => d !== undefined).join("\n\n");
  }
  route.schema = schema;
}

const MDM_TOKEN_NOTE = "An API token of role `mdm` may call this route (an MDM integration route).";

/** The roles in the space that may call a space route: `x-orchard-roles` of its operation. */
function rolesOf(permission: Extract<Permission, { kind: "space" }>): TokenRole[] {
  const roles: TokenRole[] = permission.need === "read" ? ["manage", "read"] : ["manage"];
  return permission.mdm ? [...roles, "mdm"] : roles;
}

function operationIdOf(method: string, url: string): string {
  const words = url
    .replace(/^\/api\/v\d+\//, "")
    .split("/")
    .filter((s) => s !== "")
    .map((segment) => (segment.startsWith(":") ? `By${capital(segment.slice(1))}` : camel(segment)));
  return method.toLowerCase() + words.map(capital).join("");
}

const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
const camel = (s: string) => s.replace(/[^A-Za-z0-9]+(.)/g, (_, c: string) => c.toUpperCase());

type Media = { schema?: Record<string, unknown> };
type Response = { content?: Record<string, Media>; headers?: Record<string, unknown> };
type Operation = {
  parameters?: unknown[];
  security?: unknown[];
  responses?: Record<string, Response>;
  requestBody?: { required?: boolean; content?: Record<string, Media> };
};
type Doc = { paths?: Record<string, Record<string, Operation>> };

/** The operations that take `Idempotency-Key` (src/api/idempotency.ts): POST and PATCH but sign-in. */
function takesIdempotencyKey(path: string, method: string, operation: Operation): boolean {
  const isPublic = Array.isArray(operation.security) && operation.security.length === 0;
  return (
    (method === "post" || method === "patch") &&
    path.startsWith("/api/") &&
    !path.startsWith("/api/v1/auth/") &&
    !isPublic
  );
}

/**
 * After the document is built: errors are `application/problem+json` (as the API sends
 * them), a 503 documents `Retry-After`, CSV is a string, a body the route can do without
 * (its schema has a default) is not required, and POST and PATCH take `Idempotency-Key`.
 */
export function finishDocument<T>(doc: T): T {
  for (const [path, operations] of Object.entries((doc as Doc).paths ?? {})) {
    for (const [method, operation] of Object.entries(operations)) {
      if (takesIdempotencyKey(path, method, operation)) {
        operation.parameters = [
          ...(operation.parameters ?? []),
          { $ref: "#/components/parameters/IdempotencyKey" },
        ];
        for (const [status, response] of Object.entries(operation.responses ?? {}))
          if (Number(status) < 300)
            response.headers = {
              ...response.headers,
              "idempotent-replayed": {
                description: "`true` on the answer kept for an `Idempotency-Key` sent again",
                schema: { type: "string", enum: ["true"] },
              },
            };
      }
      const body = operation.requestBody;
      if (body && Object.values(body.content ?? {}).some((m) => m.schema && "default" in m.schema))
        body.required = false;
      for (const [status, response] of Object.entries(operation.responses ?? {})) {
        const content = response.content;
        if (!content) continue;
        if (Number(status) < 400) {
          if (content["text/csv"]) content["text/csv"] = { schema: { type: "string" } };
        } else {
          const media = Object.values(content)[0];
          if (media) response.content = { "application/problem+json": media };
          if (status === "503" || status === "429")
            response.headers = {
              "retry-after": {
                description: "seconds to wait before trying again",
                schema: { type: "integer" },
              },
            };
        }
      }
    }
  }
  return doc;
}
