import { z } from "zod";
import { freeLicenses } from "../../store/held-reservations.js";
import {
  appleWorkOfAccount,
  getAccount,
  listAccounts,
  listAssetsOfAccount,
  NotFoundError,
} from "../../store/index.js";
import { accountDeletionPreview } from "../../store/sync-account-data.repo.js";
import { APP_SORTS, listAppsView } from "../../store/views.repo.js";
import { type Api, type ApiContext, actorOf, can, locationOf, spaceOf } from "../context.js";
import { wantsRepresentation } from "../preconditions.js";
import { ApiError, problemResponses, problemSchema } from "../problem.js";
import {
  accountDeletedSchema,
  accountDeletionPreviewSchema,
  accountSchema,
  addedAccountSchema,
  appleWorkSchema,
  appRowSchema,
  assetSchema,
  flag,
  id,
  label,
  pageOf,
  pageQuery,
  queryInt,
  spaceParams,
  withId,
} from "../schemas.js";

const accountParams = withId("accountId");
/** The sToken file's text: a `.vpptoken` (Apple's name) or `.stoken` file, as multipart or JSON. */
const sToken = z.string().min(1).max(16_384).describe("the .vpptoken / .stoken file content; never returned");
const options = {
  autoDistribute: flag.optional().describe("AC1: FCFS for All Users on every app of the account"),
  clearPrevious: flag
    .optional()
    .describe("AC1, AC2: release every assignment of this token at Apple, even another MDM's"),
  takeOver: flag.optional().describe("AC6: take over a token another MDM manages"),
};
const multipartAndJson = { consumes: ["multipart/form-data", "application/json"] };

/** Accounts (AC1-AC6, CA2): never the sToken in a response. */
export function registerAccountRoutes(app: Api, ctx: ApiContext): void {
  const { db, accounts, now } = ctx.deps;

  app.get(
    "/spaces/:spaceId/accounts",
    {
      config: can.read,
      schema: {
        tags: ["accounts"],
        summary: "Accounts in priority order (MA1)",
        params: spaceParams,
        response: { 200: z.object({ items: z.array(accountSchema) }), ...problemResponses },
      },
    },
    async (request) => ({ items: await listAccounts(db, spaceOf(request)) }),
  );

  app.post(
    "/spaces/:spaceId/accounts",
    {
      config: can.write,
      schema: {
        tags: ["accounts"],
        summary: "AC1: add an account from its token file (multipart field `sToken`)",
        description:
          "The account is added once Apple accepted its token and Orchard's client config. `firstImport` says " +
          "whether the import of its apps, assignments and users that follows finished; when Apple failed it " +
          "(`apple_unavailable`, for example), the account stays and the next scheduled sync imports everything: " +
          "do not add it again.",
        ...multipartAndJson,
        params: spaceParams,
        body: z.strictObject({ name: label, sToken, ...options }),
        response: { 201: addedAccountSchema, ...problemResponses },
      },
    },
    async (request, reply) => {
      const b = request.body;
      const { account, importFailed } = await accounts.add({
        spaceId: spaceOf(request),
        name: b.name,
        sTokenFile: b.sToken,
        autoDistribute: b.autoDistribute ?? true,
        clearPrevious: b.clearPrevious ?? false,
        takeOver: b.takeOver ?? false,
        actor: actorOf(request),
      });
      return reply
        .status(201)
        .header("location", locationOf(request, account.id))
        .send({
          ...account,
          firstImport: importFailed
            ? {
                state: "failed" as const,
                ...importFailed,
                retry: "at the next scheduled sync, or on a resync",
              }
            : { state: "done" as const },
        });
    },
  );

  app.get(
    "/spaces/:spaceId/accounts/:accountId",
    {
      config: can.read,
      schema: {
        tags: ["accounts"],
        summary: "CA2: the account and its token's details",
        params: accountParams,
        response: { 200: accountSchema, ...problemResponses },
      },
    },
    async (request) => getAccount(db, spaceOf(request), request.params.accountId),
  );

  app.get(
    "/spaces/:spaceId/accounts/:accountId/deletion-preview",
    {
      config: can.read,
      schema: {
        tags: ["accounts"],
        summary: "AC5: what deleting the account would take with it, for the admin to read before confirming",
        params: accountParams,
        response: { 200: accountDeletionPreviewSchema, ...problemResponses },
      },
    },
    async (request) => {
      const spaceId = spaceOf(request);
      const account = await getAccount(db, spaceId, request.params.accountId);
      return accountDeletionPreview(db, spaceId, account.id);
    },
  );

  app.patch(
    "/spaces/:spaceId/accounts/:accountId",
    {
      config: can.write,
      schema: {
        tags: ["accounts"],
        summary: "AC2: rename, replace the token file, change the options",
        description:
          "Only the fields sent change. A field the route does not take (`displayName` for `name`) is a 400 " +
          "`validation_failed` naming it, so that a typo never loses a change silently. An update that changes " +
          "nothing (the same name, the same option, no token file; or `{}`) writes nothing, logs nothing and " +
          "answers the account as it is.",
        ...multipartAndJson,
        params: accountParams,
        body: z.strictObject({
          name: label.optional(),
          sToken: sToken.optional(),
          ...options,
        }),
        response: { 200: accountSchema, ...problemResponses },
      },
    },
    async (request) => {
      const b = request.body;
      return accounts.update({
        spaceId: spaceOf(request),
        accountId: request.params.accountId,
        ...(b.name !== undefined ? { name: b.name } : {}),
        ...(b.sToken !== undefined ? { sTokenFile: b.sToken } : {}),
        ...(b.autoDistribute !== undefined ? { autoDistribute: b.autoDistribute } : {}),
        ...(b.clearPrevious !== undefined ? { clearPrevious: b.clearPrevious } : {}),
        ...(b.takeOver !== undefined ? { takeOver: b.takeOver } : {}),
        actor: actorOf(request),
      });
    },
  );

  app.delete(
    "/spaces/:spaceId/accounts/:accountId",
    {
      config: can.write,
      schema: {
        tags: ["accounts"],
        summary: "AC5: delete an account (irreversible): `confirm` must repeat the account's name",
        description:
          "Every license the account gave is released at Apple first. Answers 204; with " +
          "`Prefer: return=representation` (RFC 7240), 200 with how many licenses were released and how many " +
          "are still assigned at Apple (a token Apple refused, or one that stopped working partway): those an " +
          "administrator must release in Apple Business Manager.",
        params: accountParams,
        querystring: z.object({ confirm: z.string().min(1).max(200) }),
        response: {
          200: accountDeletedSchema,
          204: z.undefined(),
          ...problemResponses,
        },
      },
    },
    async (request, reply) => {
      const spaceId = spaceOf(request);
      const account = await getAccount(db, spaceId, request.params.accountId);
      if (request.query.confirm !== account.displayName) {
        throw new ApiError(422, "confirmation_mismatch", "confirm must repeat the account's name exactly", [
          { field: "querystring.confirm", message: "does not match the account's name" },
        ]);
      }
      const removed = await accounts.remove({ spaceId, accountId: account.id, actor: actorOf(request) });
      return wantsRepresentation(request, reply) ? removed : reply.status(204).send();
    },
  );

  app.put(
    "/spaces/:spaceId/accounts/order",
    {
      config: can.write,
      schema: {
        tags: ["accounts"],
        summary: "AC4, MA6: put the accounts in this order, at once; MA3: no license moves",
        description:
          "`order` names each account of the space once, first to last; it is applied in one " +
          "transaction (nobody sees it half made). An account left out, unknown or named twice is a " +
          "400 `invalid_priority` naming `order`. With `from`, the order it was made from (as GET " +
          "accounts listed it), a space whose accounts were reordered since is a 412 " +
          "`accounts_reordered` and nothing moves. Each account that moves is logged with its old " +
          "and new position.",
        params: spaceParams,
        body: z.strictObject({
          order: z.array(id).min(1).max(10_000),
          from: z.array(id).max(10_000).optional().describe("the order this one was made from"),
        }),
        response: {
          200: z.object({ items: z.array(accountSchema) }),
          412: problemSchema,
          ...problemResponses,
        },
      },
    },
    async (request) => ({
      items: await accounts.setOrder({
        spaceId: spaceOf(request),
        order: request.body.order,
        from: request.body.from,
        actor: actorOf(request),
      }),
    }),
  );

  app.put(
    "/spaces/:spaceId/accounts/:accountId/priority",
    {
      config: can.write,
      schema: {
        tags: ["accounts"],
        summary: "AC4, MA6: move the account to a position; MA3: no license moves",
        description:
          "`position` is 1 (first) to the number of accounts of the space: beyond it is a 400 " +
          "`invalid_priority` naming `position` and the valid range. The activity log records the position " +
          "taken; a move to the account's own position changes and logs nothing.",
        params: accountParams,
        body: z.strictObject({ position: z.number().int().min(1).max(10_000) }),
        response: { 200: z.object({ items: z.array(accountSchema) }), ...problemResponses },
      },
    },
    async (request) => ({
      items: await accounts.setPriority({
        spaceId: spaceOf(request),
        accountId: request.params.accountId,
        position: request.body.position,
        actor: actorOf(request),
      }),
    }),
  );

  app.post(
    "/spaces/:spaceId/accounts/:accountId/resync",
    {
      config: can.write,
      schema: {
        tags: ["accounts"],
        summary: "AC3: full sync from Apple",
        params: accountParams,
        response: { 202: z.object({ accepted: z.literal(true) }), ...problemResponses },
      },
    },
    async (request, reply) => {
      await accounts.resync({
        spaceId: spaceOf(request),
        accountId: request.params.accountId,
        actor: actorOf(request),
      });
      return reply.status(202).send({ accepted: true as const });
    },
  );

  app.get(
    "/spaces/:spaceId/accounts/:accountId/assets",
    {
      config: can.read,
      schema: {
        tags: ["accounts"],
        summary: "VU4 for one account: each bought app with price, total, available and used",
        params: accountParams,
        response: { 200: z.object({ items: z.array(assetSchema) }), ...problemResponses },
      },
    },
    async (request) => {
      const spaceId = spaceOf(request);
      await getAccount(db, spaceId, request.params.accountId);
      const assets = await listAssetsOfAccount(db, spaceId, request.params.accountId);
      return {
        items: assets.map((a) => ({
          ...a,
          platforms: [...a.platforms],
          available: freeLicenses(a),
        })),
      };
    },
  );

  app.get(
    "/spaces/:spaceId/accounts/:accountId/apps",
    {
      config: can.read,
      schema: {
        tags: ["accounts"],
        summary: "DI1: the account's bought apps, searchable and paged",
        params: accountParams,
        querystring: pageQuery(Object.keys(APP_SORTS) as [keyof typeof APP_SORTS]),
        response: { 200: pageOf(appRowSchema), ...problemResponses },
      },
    },
    async (request) => {
      const spaceId = spaceOf(request);
      await getAccount(db, spaceId, request.params.accountId);
      return listAppsView(db, spaceId, { accountId: request.params.accountId }, request.query);
    },
  );

  app.get(
    "/spaces/:spaceId/accounts/:accountId/apple-work",
    {
      config: can.read,
      schema: {
        tags: ["accounts"],
        summary: "Apple work: operations pending, calls in flight, recent failures (invariant 3, NT2)",
        description:
          "What the account still owes Apple: pending operations by kind with the oldest one's age and those " +
          "waiting for a later retry, the Apple calls in flight, and the newest failed operations. An account " +
          "with a token problem is paused (NT2): its work waits until the token is fixed.",
        params: accountParams,
        querystring: z.object({
          failures: queryInt(0, 100, 20).describe("how many of the newest failed operations to list"),
        }),
        response: { 200: appleWorkSchema, ...problemResponses },
      },
    },
    async (request) => {
      const spaceId = spaceOf(request);
      const asOf = now();
      const work = await appleWorkOfAccount(db, {
        spaceId,
        accountId: request.params.accountId,
        now: asOf,
        failureLimit: request.query.failures,
      });
      if (!work) throw new NotFoundError("account", request.params.accountId);
      return { ...work, asOf };
    },
  );
}
