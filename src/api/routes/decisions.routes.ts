import type { FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import type { Subject } from "../../licensing/index.js";
import type { Language } from "../../service/decision-texts.js";
import { describe } from "../../service/describe.js";
import { explain } from "../../service/explain.js";
import { negotiateLanguage } from "../../service/language.js";
import { whatIf } from "../../service/what-if.js";
import type { Db } from "../../store/database.js";
import { getDeviceByRef } from "../../store/device.repo.js";
import { type Api, type ApiContext, actorOf, can, heldLicense, spaceOf } from "../context.js";
import { deviceRef } from "../device-ref.js";
import { ApiError, problemResponses } from "../problem.js";
import { refuseReservedAndProhibited, ruleFields, ruleIds } from "../rules.schema.js";
import {
  adamId,
  dateTime,
  decisionSchema,
  id,
  licenseType,
  requestReason,
  ruleId,
  ruleTextSchema,
  spaceParams,
} from "../schemas.js";

const subjectQuery = z.object({
  app: adamId,
  user: id.optional(),
  device: deviceRef.optional(),
  why: requestReason
    .optional()
    .describe(
      "the reason to explain. Without it, the subject's situation: the reason it waits with in the app's queue (DB2, UB3: the wait and its place), else, when it holds a license, the keep (LT4), else `requested`; `why` and `whyFrom` in the answer say which",
    ),
});
/** Where a route has no space in its path, the query names it (authz.ts `spaceOf`). */
const spaceQuery = { space: id.optional() };
const decisionInWords = z.object({
  decision: decisionSchema,
  outcome: z.string(),
  summary: z.string(),
  rules: z.array(ruleTextSchema),
});
const accountConsideredSchema = z
  .object({
    accountId: z.string(),
    name: z.string(),
    priority: z.number().int().describe("1 = first (MA1)"),
    eligibility: z
      .enum(["reserved", "fcfs", "prohibited", "not_listed", "not_bought"])
      .describe("how the account's rules see the subject (DI7)"),
    eligible: z.boolean(),
    eligibilityBecause: z.array(ruleId),
    seats: z
      .object({
        total: z.number().int(),
        used: z.number().int(),
        heldForReservations: z.number().int().describe("seats reservations hold (DI6)"),
        free: z.number().int().describe("seats the decision could give here"),
      })
      .optional(),
    verdict: z
      .enum([
        "grant",
        "not_bought",
        "not_listed",
        "prohibited",
        "token_problem",
        "full",
        "not_device_assignable",
        "no_device",
        "no_user",
        "not_enrolled",
        "apple_refused",
      ])
      .describe("what the decision found here: the license taken, or why the account was passed over"),
    reached: z
      .boolean()
      .describe(
        "false: the decision was made before this account (MA1, MA5); the verdict is what it would have said",
      ),
    taken: z.boolean().describe("the decision's license comes from this account"),
    because: z.array(ruleId),
    summary: z.string(),
  })
  .meta({ id: "AccountConsidered" });
const explanationSchema = decisionInWords
  .extend({
    why: requestReason.describe(
      "the reason explained: the one asked, else the one the subject's situation gave",
    ),
    whyFrom: z
      .enum(["asked", "queue", "license", "default"])
      .describe(
        "where `why` came from: `asked` (the query's); `queue`: none asked, the reason the subject waits with in the app's queue (DB2, UB3); `license`: none asked, the subject holds a license (LT4: the keep, whatever the reason; `why` is the one it was granted for when known, else `requested`); `default`: none asked and nothing to go by, `requested`",
      ),
    accounts: z
      .array(accountConsideredSchema)
      .describe(
        "the space's accounts in priority order as the decision walked them; empty when it was made before any account (CA3, RV1, PB1, LT4, PB3)",
      ),
    queue: z
      .object({
        position: z.number().int().describe("1 = served next"),
        of: z.number().int().describe("requests waiting for the app"),
        waitingSince: dateTime,
      })
      .optional()
      .describe("DB2, UB3: a request that waits and is in the app's queue: where it stands"),
    appleRefusals: z
      .array(
        z.object({
          accountId: z.string(),
          accountName: z.string(),
          errorNumber: z.number().int().describe("Apple's error number; 0: Orchard had nothing to send"),
          message: z.string().optional(),
          refusedAt: dateTime,
        }),
      )
      .optional()
      .describe(
        "MA2, DB2: the accounts Apple refused to assign the app to this subject from, newest first: each is " +
          "passed over (verdict `apple_refused`); another eligible account may serve it, and when none can it " +
          "waits for an administrator (`apple_refused`). Sent again (POST …/apps/{adamId}/waiting/retry), they are lifted",
      ),
  })
  .meta({ id: "Explanation" });
const subjectBody = z.strictObject({
  app: adamId,
  user: id.optional(),
  device: deviceRef.optional(),
  why: requestReason.default("requested"),
});
const outcomeSchema = z.object({
  subject: z.object({
    kind: z.enum(["user", "device"]),
    id: z.string(),
    name: z.string().describe("the user's name or the device's serial number"),
  }),
  before: z
    .object({ outcome: z.string(), accountId: z.string().optional(), type: licenseType.optional() })
    .describe("today, without the change"),
  outcome: z.string().describe("after the change"),
  accountId: z.string().optional(),
  type: licenseType.optional(),
  summary: z.string(),
  because: z.array(z.string()),
});
const countsSchema = z.object({
  licensed: z.number().int(),
  waiting: z.number().int(),
  refused: z.number().int(),
});
const changeSchema = z.discriminatedUnion("kind", [
  z.strictObject({
    kind: z.literal("priorities"),
    order: ruleIds.min(1).describe("account ids, first = priority 1"),
  }),
  // A what-if of any rules the rules PUT accepts, refused as that route refuses.
  z
    .strictObject({ kind: z.literal("rules"), accountId: id, adamId, ...ruleFields })
    .superRefine(refuseReservedAndProhibited),
  z.strictObject({ kind: z.literal("remove_account"), accountId: id }),
]);
const whatIfBody = z.strictObject({
  changes: z.array(changeSchema).min(1).max(20),
  apps: z.array(adamId).max(500).optional(),
});
const whatIfSchema = z
  .object({
    apps: z
      .array(
        z.object({
          adamId: z.string(),
          name: z.string().optional(),
          now: countsSchema.describe("today, without the change"),
          after: countsSchema.describe("with the change"),
          gain: z.array(outcomeSchema),
          lose: z.array(outcomeSchema),
          wait: z.array(outcomeSchema),
          refuse: z.array(outcomeSchema),
          move: z
            .array(outcomeSchema)
            .describe("licensed either way, from another account or of another type"),
          keep: z.number().int(),
        }),
      )
      .describe(
        "only the apps the change affects: each subject listed is one whose outcome differs from today's",
      ),
    unaffectedApps: z.number().int().describe("apps looked at that the change does not affect"),
    totals: z.object({
      gain: z.number(),
      lose: z.number(),
      wait: z.number(),
      refuse: z.number(),
      move: z.number(),
      keep: z.number(),
    }),
    rules: z.array(ruleTextSchema),
  })
  .meta({ id: "WhatIf" });

/**
 * Decision texts (summaries, rule sentences) come in the language the client asks for:
 * English or French, English by default. Documented on each route; any value is accepted.
 */
const languageHeaders = z.object({
  "accept-language": z
    .string()
    .optional()
    .describe(
      "The language of `summary` and rule sentences: `fr` (also `fr-FR`, …) or `en`, with q-values; anything else, or none: English. The answer's Content-Language says which.",
    ),
});
const LANGUAGE_NOTE =
  "Summaries and rule sentences are in English or French, as `Accept-Language` asks (default English); `Content-Language` says which.";

/**
 * `answer` worded in the language asked for, said back in Content-Language (and Vary, for
 * caches) once it succeeded: a problem+json error stays as it is.
 */
async function inLanguage<T>(
  request: FastifyRequest,
  reply: FastifyReply,
  answer: (language: Language) => Promise<T>,
): Promise<T> {
  const language = negotiateLanguage(request.headers["accept-language"]);
  const result = await answer(language);
  void reply.header("content-language", language).header("vary", "Accept-Language");
  return result;
}

/**
 * The subject a request names: exactly one of `user` and `device`, the device by id or by
 * `serial:<serial number>` (an unknown serial number is a 404 naming `<where>.device`).
 */
async function subjectOf(
  db: Db,
  spaceId: string,
  input: { user?: string | undefined; device?: string | undefined },
  where: "querystring" | "body",
): Promise<Subject> {
  if ((input.user === undefined) === (input.device === undefined)) {
    throw new ApiError(400, "validation_failed", "give exactly one of user and device", [
      { field: `${where}.user`, message: "give exactly one of user and device" },
    ]);
  }
  return input.user !== undefined
    ? { kind: "user", userId: input.user }
    : {
        kind: "device",
        // Checked here: a bare serial number sent as the device's id is told how to name it.
        deviceId: (await getDeviceByRef(db, spaceId, input.device ?? "", `${where}.device`)).id,
      };
}

/** Decisions: explain (read-only), what-if (read-only), license requests (the decision made real). */
export function registerDecisionRoutes(app: Api, ctx: ApiContext): void {
  const { db, now, licenses } = ctx.deps;

  const explainHandler = async (
    request: { query: z.infer<typeof subjectQuery> } & FastifyRequest,
    reply: FastifyReply,
  ) => {
    const q = request.query;
    const spaceId = spaceOf(request);
    const subject = await subjectOf(db, spaceId, q, "querystring");
    const input = { spaceId, adamId: q.app, subject, why: q.why };
    return inLanguage(request, reply, (language) => explain(db, input, language));
  };
  const explainSchema = {
    tags: ["decisions"],
    summary: "The decision the engine would make now, with its rule ids in words; changes nothing",
    description: LANGUAGE_NOTE,
    querystring: subjectQuery,
    headers: languageHeaders,
    response: { 200: explanationSchema, ...problemResponses },
  };
  app.get(
    "/explain",
    {
      config: can.mdm.read,
      schema: {
        ...explainSchema,
        querystring: subjectQuery.extend(spaceQuery),
        description: `\`space\` defaults to your only space, else the default space. ${LANGUAGE_NOTE}`,
      },
    },
    explainHandler,
  );
  app.get(
    "/spaces/:spaceId/explain",
    { config: can.mdm.read, schema: { ...explainSchema, params: spaceParams } },
    explainHandler,
  );

  const whatIfHandler = async (
    request: { body: z.infer<typeof whatIfBody> } & FastifyRequest,
    reply: FastifyReply,
  ) => {
    const input = {
      spaceId: spaceOf(request),
      changes: request.body.changes,
      ...(request.body.apps ? { apps: request.body.apps } : {}),
    };
    return inLanguage(request, reply, (language) => whatIf(db, input, language));
  };
  const whatIfSchemaDef = {
    tags: ["decisions"],
    summary:
      "A proposed change (priority order, a rule edit, a token removed) against current demand; writes nothing",
    description:
      "Per app, today (`now`) beside the change (`after`), and only the subjects whose outcome the change " +
      "alters (`gain`, `lose`, `wait`, `refuse`, `move`, each with `before`); apps it does not affect are " +
      "left out and counted in `unaffectedApps`. Changed on 2026-11-26: `apps` and its lists used to hold " +
      "every app and every subject after the change, whether or not it changed; sum `after` for the old totals. " +
      "A rule change's reserved devices are named by id or by `serial:C02D0000`, as the rules PUT takes them; " +
      "an unknown serial number is a 404 naming its place (`body.changes.0.reservedDeviceIds.2`). " +
      LANGUAGE_NOTE,
    body: whatIfBody,
    headers: languageHeaders,
    response: { 200: whatIfSchema, ...problemResponses },
  };
  // Read permission: nothing is written, so a read-only administrator may ask too.
  app.post(
    "/what-if",
    { config: can.read, schema: { ...whatIfSchemaDef, querystring: z.object(spaceQuery) } },
    whatIfHandler,
  );
  app.post(
    "/spaces/:spaceId/what-if",
    { config: can.read, schema: { ...whatIfSchemaDef, params: spaceParams } },
    whatIfHandler,
  );

  app.post(
    "/spaces/:spaceId/license-requests",
    {
      config: can.mdm.write,
      schema: {
        tags: ["decisions"],
        summary: "LT2: request a license for a user or a device: the engine's decision made real",
        description:
          "Safe to send again (LT4): a subject never holds two licenses of an app, so a request sent again " +
          "after a timeout answers `keep` with the same `licenseId`, and a device's install is queued once. " +
          "The device is named by its id or by `serial:C02D0000` (an unknown serial number is a 404 naming " +
          "`body.device`). " +
          LANGUAGE_NOTE,
        params: spaceParams,
        body: subjectBody,
        headers: languageHeaders,
        response: {
          200: decisionInWords
            .extend({
              licenseId: z
                .string()
                .optional()
                .describe(
                  "the license the subject holds for the app after this request: granted now, or kept (the same request sent again answers keep with the same id)",
                ),
            })
            .meta({ id: "LicenseRequestResult" }),
          ...problemResponses,
        },
      },
    },
    async (request, reply) => {
      const spaceId = spaceOf(request);
      const b = request.body;
      const subject = await subjectOf(db, spaceId, b, "body");
      return inLanguage(request, reply, async (language) => {
        const result = await licenses.request(db, {
          spaceId,
          adamId: b.app,
          subject,
          why: b.why,
          actor: actorOf(request),
          now: now(),
        });
        // A grant or a keep names an account: its name came with the decision.
        const decision = result.decision;
        return {
          decision,
          ...describe(decision, (x) => result.accountName ?? x, language, true),
          ...(heldLicense(result) ? { licenseId: heldLicense(result) } : {}),
        };
      });
    },
  );
}
