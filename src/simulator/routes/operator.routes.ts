/**
 * The operator side over HTTP (JSON under /operator), so that a standalone simulator can
 * be driven by curl or the CLI. Errors are `{error}` with 400 (bad input) or 404.
 */
import type { FastifyInstance, FastifyReply } from "fastify";
import { z } from "zod";
import type { SimulatorOperator } from "../operator.js";

const pricingParam = z.enum(["STDQ", "PLUS"]);
const count = z.int().nonnegative();
const schemas = {
  location: z.object({
    orgName: z.string().min(1),
    locationName: z.string().optional(),
    expiresAt: z.iso.datetime({ offset: true }).optional(),
    countryISO2ACode: z.string().length(2).optional(),
  }),
  asset: z.object({
    adamId: z.string().min(1),
    pricingParam: pricingParam.optional(),
    productType: z.enum(["App", "Book"]).optional(),
    totalCount: count,
    deviceAssignable: z.boolean().optional(),
    revocable: z.boolean().optional(),
    supportedPlatforms: z.array(z.string()).optional(),
    name: z.string().min(1).optional(),
    bundleId: z.string().min(1).optional(),
    version: z.string().min(1).optional(),
    genre: z.string().min(1).optional(),
    price: z.number().nonnegative().optional(),
    custom: z.boolean().optional(),
    storefronts: z.array(z.string().length(2)).optional(),
  }),
  version: z.object({ version: z.string().min(1).max(100) }),
  licenses: z.object({ adamId: z.string().min(1), count, pricingParam: pricingParam.optional() }),
  renew: z.object({ expiresAt: z.iso.datetime({ offset: true }).optional() }),
  mdmInfo: z.object({ id: z.string(), name: z.string(), metadata: z.string() }),
  seed: z.object({
    apps: count,
    licensesPerApp: count,
    users: count.optional(),
    assignments: count.optional(),
  }),
  faults: z.object({
    endpoint: z.string().optional(),
    faults: z.object({
      rate429: z.number().min(0).max(1).optional(),
      retryAfterSeconds: z.int().nonnegative().optional(),
      rate5xx: z.number().min(0).max(1).optional(),
      status5xx: z.union([z.literal(500), z.literal(503)]).optional(),
      latencyMs: z.int().nonnegative().optional(),
      eventDelayMs: z.int().nonnegative().optional(),
      dropNotifications: z.number().min(0).max(1).optional(),
      duplicateNotifications: z.number().min(0).max(1).optional(),
      notificationJitterMs: z.int().nonnegative().optional(),
      maintenance: z.boolean().optional(),
      tokenErrorsAsHttp200: z.boolean().optional(),
    }),
  }),
  subjectFault: z.object({
    endpoint: z.enum(["/assets/associate", "/assets/disassociate", "/assets/revoke"]),
    errorNumber: z.int().positive(),
    serialNumbers: z.array(z.string()).optional(),
    clientUserIds: z.array(z.string()).optional(),
    adamId: z.string().optional(),
    uId: z.string().optional(),
    applied: z.boolean().optional(),
  }),
  limits: z.record(z.string(), z.int().positive()),
};

type Params = { uId: string; clientUserId?: string };

export function registerOperatorRoutes(app: FastifyInstance, operator: SimulatorOperator): void {
  const run = async (reply: FastifyReply, work: () => unknown) => {
    try {
      const result = await work();
      return result ?? { ok: true };
    } catch (error) {
      const message = error instanceof z.ZodError ? z.prettifyError(error) : String((error as Error).message);
      return reply.status(/^unknown location/.test(message) ? 404 : 400).send({ error: message });
    }
  };
  const body = (raw: unknown): unknown => {
    if (typeof raw !== "string" || raw.trim() === "") return {};
    try {
      return JSON.parse(raw);
    } catch {
      throw new Error("the body is not JSON");
    }
  };

  app.get("/operator/locations", async () => operator.locations());
  app.post("/operator/locations", async (req, reply) =>
    run(reply, () => {
      const input = schemas.location.parse(body(req.body));
      const { expiresAt, ...rest } = input;
      return operator.createLocation(expiresAt ? { ...rest, expiresAt: new Date(expiresAt) } : rest);
    }),
  );
  app.post<{ Params: Params }>("/operator/locations/:uId/assets", async (req, reply) =>
    run(reply, () => operator.addAsset(req.params.uId, schemas.asset.parse(body(req.body)))),
  );
  for (const action of ["buy", "refund"] as const) {
    app.post<{ Params: Params }>(`/operator/locations/:uId/${action}`, async (req, reply) =>
      run(reply, () => {
        const input = schemas.licenses.parse(body(req.body));
        operator[action](req.params.uId, input.adamId, input.count, input.pricingParam);
      }),
    );
  }
  app.post<{ Params: { adamId: string } }>("/operator/apps/:adamId/version", async (req, reply) =>
    run(reply, () =>
      operator.publishVersion(req.params.adamId, schemas.version.parse(body(req.body)).version),
    ),
  );
  app.get<{ Params: Params }>("/operator/locations/:uId/token", async (req, reply) =>
    run(reply, () => operator.currentToken(req.params.uId)),
  );
  app.post<{ Params: Params }>("/operator/locations/:uId/token/revoke", async (req, reply) =>
    run(reply, () => operator.revokeToken(req.params.uId)),
  );
  app.post<{ Params: Params }>("/operator/locations/:uId/token/expire", async (req, reply) =>
    run(reply, () => operator.expireToken(req.params.uId)),
  );
  app.post<{ Params: Params }>("/operator/locations/:uId/token/renew", async (req, reply) =>
    run(reply, () => {
      const { expiresAt } = schemas.renew.parse(body(req.body));
      return operator.renewToken(req.params.uId, expiresAt ? new Date(expiresAt) : undefined);
    }),
  );
  app.post<{ Params: Params }>("/operator/locations/:uId/users/:clientUserId/accept", async (req, reply) =>
    run(reply, () => operator.acceptInvitation(req.params.uId, req.params.clientUserId ?? "")),
  );
  // The link GET /service/config gives as urls.invitationEmail.
  app.get<{ Querystring: { inviteCode?: string } }>("/operator/invitations/accept", async (req, reply) =>
    run(reply, () => operator.acceptInvitationCode(String(req.query.inviteCode ?? ""))),
  );
  app.post<{ Params: Params }>("/operator/locations/:uId/claim", async (req, reply) =>
    run(reply, () => operator.claimByOtherMdm(req.params.uId, schemas.mdmInfo.parse(body(req.body)))),
  );
  app.post<{ Params: Params }>("/operator/locations/:uId/seed", async (req, reply) =>
    run(reply, () => operator.seed(req.params.uId, schemas.seed.parse(body(req.body)))),
  );
  app.get<{ Params: Params }>("/operator/locations/:uId/snapshot", async (req, reply) =>
    run(reply, () => operator.snapshot(req.params.uId)),
  );
  app.put("/operator/faults", async (req, reply) =>
    run(reply, () => {
      const input = schemas.faults.parse(body(req.body));
      operator.setFaults(input.faults, input.endpoint);
    }),
  );
  // Per-subject refusals (an asynchronous error for these subjects only); DELETE /operator/faults clears them.
  app.post("/operator/faults/subjects", async (req, reply) =>
    run(reply, () => operator.failSubjects(schemas.subjectFault.parse(body(req.body)))),
  );
  app.delete("/operator/faults", async (_req, reply) => run(reply, () => operator.clearFaults()));
  app.put("/operator/limits", async (req, reply) =>
    run(reply, () => operator.setLimits(schemas.limits.parse(body(req.body)))),
  );
  app.get("/operator/stats", async () => operator.stats());
  app.post("/operator/idle", async () => {
    await operator.idle();
    return { ok: true };
  });
}
