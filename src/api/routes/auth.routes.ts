import type { FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import {
  checkPassword,
  createAdministrator,
  issueApiToken,
  listTokens,
  login,
  logout,
  MAX_TOKEN_DAYS,
  revokeToken,
  SESSION_TTL_MS,
  tokenEndsIn,
} from "../../auth/auth.service.js";
import { adminEmailAddress } from "../../auth/email-address.js";
import { hashPassword, MAX_PASSWORD_LENGTH, PASSWORD_RULES } from "../../auth/passwords.js";
import {
  deleteAdmin,
  findAdmin,
  type Grant,
  LANGUAGES,
  listAdmins,
  listGrants,
  setAdminLanguage,
  setGrants,
  setNotificationEmail,
  type TokenRole,
  unlinkSsoSubject,
  updateAdmin,
} from "../../store/auth.repo.js";
import type { Db } from "../../store/database.js";
import { listSpaces } from "../../store/index.js";
import { DEFAULT_SPACE_ALIAS } from "../../store/space.repo.js";
import { SESSION_COOKIE } from "../authz.js";
import { type Api, type ApiContext, can } from "../context.js";
import { ApiError, type FieldError, problemResponses } from "../problem.js";
import { dateTime, id, label } from "../schemas.js";

const role = z
  .enum(["manage", "read"])
  .describe('"manage" = App and content management (read/write); "read" = read-only (PM1)');
const grant = z.object({ spaceId: id, role });
/** In a body: strict, as the body itself (a misspelt `spaceID` is a 400 naming it). */
const grants = z.array(z.strictObject(grant.shape)).max(1000);
/** An API token's role: an administrator's, or `mdm` (never an administrator's). */
const tokenRole = z
  .enum(["manage", "read", "mdm"])
  .describe(
    '"manage" and "read" as for administrators (PM1); "mdm" (API tokens only): only the routes an MDM ' +
      'integration calls, those whose `x-orchard-roles` lists "mdm" (check-in, device events, the command ' +
      "feed and its ack, license requests, the devices and users it manages); any other is a 403",
  );
const tokenGrant = z.object({ spaceId: id, role: tokenRole });
const tokenGrants = z.array(z.strictObject(tokenGrant.shape)).max(1000);
const adminSchema = z
  .object({
    id: z.string(),
    login: z.string(),
    displayName: z.string(),
    isOwner: z.boolean(),
    createdAt: dateTime,
    ssoLinked: z
      .boolean()
      .describe("single sign-on: linked to the provider's account of their first sign-in (PATCH unlinkSso)"),
    disabled: z.boolean().describe("cannot sign in; the API tokens they created stop (PATCH disabled)"),
    lastSignInAt: dateTime
      .optional()
      .describe("when a session of theirs last opened (password or single sign-on)"),
    ssoManaged: z
      .boolean()
      .describe(
        "OIDC_GROUP_ROLES: created at single sign-on; owner flag and grants set from the provider's groups at each sign-in",
      ),
    email: z
      .string()
      .optional()
      .describe(
        "where notification e-mails reach them; single sign-on gives one to an administrator without, from the provider's `email` claim",
      ),
    notifyByEmail: z
      .boolean()
      .describe(
        "NT3: they receive the notifications of the spaces they hold a role in by e-mail (needs `email`)",
      ),
    grants: z.array(grant),
  })
  .meta({ id: "Administrator" });
/** An e-mail address as administrators give it; null (PATCH) removes it, and the e-mails with it. */
const emailAddress = adminEmailAddress;
const notifyByEmail = z
  .boolean()
  .describe(
    "NT3: e-mail them the notifications of every space they hold a role in (an owner: every space); needs an e-mail address and, on the server, SMTP_URL and NOTIFY_EMAIL_FROM",
  );
/** NT3: an e-mail address, or an existing one, for notification e-mails (400 `email_needed` without). */
function emailNeeded(): ApiError {
  return new ApiError(400, "email_needed", "Notification e-mails need an e-mail address", [
    { field: "body.notifyByEmail", message: "give an e-mail address first (body.email)" },
  ]);
}
const tokenSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    createdAt: dateTime,
    lastUsedAt: dateTime.optional().describe("its last call, to the minute"),
    revokedAt: dateTime.optional(),
    expiresAt: dateTime
      .optional()
      .describe("refused from then on (401 `api_token_expired`); absent: until revoked"),
    expired: z.boolean().describe("past its expiresAt"),
    grants: z.array(tokenGrant),
  })
  .meta({ id: "ApiToken" });

/** Whether a cookie set in answer to `request` is `Secure`: over https, or when the server says so. */
export function secureCookie(ctx: Pick<ApiContext, "secureCookies">, request: FastifyRequest): boolean {
  return ctx.secureCookies || request.protocol === "https";
}

/** The console's session cookie: HttpOnly, SameSite=Strict, for as long as the session. */
export function setSessionCookie(
  ctx: Pick<ApiContext, "secureCookies">,
  request: FastifyRequest,
  reply: FastifyReply,
  sessionId: string,
): void {
  reply.setCookie(SESSION_COOKIE, sessionId, {
    httpOnly: true,
    sameSite: "strict",
    secure: secureCookie(ctx, request),
    path: "/",
    maxAge: Math.floor(SESSION_TTL_MS / 1000),
  });
}

/** Sign-in, sign-out, who am I, API tokens, administrators (PM1). */
export function registerAuthRoutes(app: Api, ctx: ApiContext, loginsPerMinute: number): void {
  const { db, now } = ctx.deps;

  app.post(
    "/auth/login",
    {
      config: { ...can.public, rateLimit: { max: loginsPerMinute, timeWindow: "1 minute" } },
      schema: {
        tags: ["auth"],
        summary: "Sign in to the console (sets an HttpOnly, SameSite=Strict session cookie)",
        body: z.strictObject({ login: z.string().min(1).max(200), password: z.string().min(1).max(1000) }),
        response: { 200: z.object({ admin: adminSchema, expiresAt: dateTime }), ...problemResponses },
      },
    },
    async (request, reply) => {
      if (ctx.passwordLogin === false)
        throw new ApiError(
          403,
          "password_login_off",
          "Passwords are off on this server (PASSWORD_LOGIN=off): sign in with single sign-on",
        );
      const session = await login(db, { ...request.body, now: now() });
      setSessionCookie(ctx, request, reply, session.sessionId);
      const g = await listGrants(db, { kind: "admin", id: session.admin.id });
      return { admin: { ...session.admin, grants: g }, expiresAt: session.expiresAt };
    },
  );

  app.post(
    "/auth/logout",
    {
      config: can.signedIn,
      schema: {
        tags: ["auth"],
        summary:
          "Sign out of the console (the session ends); a session single sign-on opened, with OIDC_POST_LOGOUT_REDIRECT_URI set, answers where the browser goes to sign out of the identity provider too",
        response: {
          200: z.object({
            redirect: z
              .string()
              .describe("the identity provider's sign-out, which then sends the browser back"),
          }),
          204: z.undefined(),
          ...problemResponses,
        },
      },
    },
    async (request, reply) => {
      const cookie = request.cookies[SESSION_COOKIE];
      const ended = cookie ? await logout(db, cookie) : undefined;
      reply.clearCookie(SESSION_COOKIE, { path: "/" });
      const redirect = ended?.ssoIdToken
        ? await ctx.sso?.logoutUrl(ended.ssoIdToken).catch((error: unknown) => {
            // Orchard's session is over all the same; the provider's stays.
            request.log.warn({ err: error }, "the identity provider's sign-out could not be reached");
            return undefined;
          })
        : undefined;
      return redirect ? { redirect } : reply.status(204).send();
    },
  );

  const meSchema = z.object({
    kind: z.enum(["admin", "api_token"]),
    id: z.string(),
    name: z.string(),
    isOwner: z.boolean(),
    grants: z.array(tokenGrant),
    email: z.string().optional().describe("an administrator's: where notification e-mails reach them"),
    notifyByEmail: z
      .boolean()
      .optional()
      .describe("an administrator's: NT3, they receive their spaces' notifications by e-mail"),
    language: z
      .enum(LANGUAGES)
      .optional()
      .describe("an administrator's: the language they read Orchard in, their notification e-mails' too"),
    emailNotifications: z
      .boolean()
      .describe("this server sends notification e-mails (SMTP_URL and NOTIFY_EMAIL_FROM)"),
  });
  const me = async (p: NonNullable<FastifyRequest["principal"]>) => {
    const admin = p.kind === "admin" ? await findAdmin(db, p.id) : undefined;
    return {
      kind: p.kind,
      id: p.id,
      name: p.name,
      isOwner: p.isOwner,
      grants: [...p.roles].map(([spaceId, r]) => ({ spaceId, role: r })),
      ...(admin ? { notifyByEmail: admin.notifyByEmail, language: admin.language } : {}),
      ...(admin?.email !== undefined ? { email: admin.email } : {}),
      emailNotifications: ctx.notificationDeliveries?.channels.includes("email") ?? false,
    };
  };

  app.get(
    "/auth/me",
    {
      config: can.signedIn,
      schema: {
        tags: ["auth"],
        summary: "Who is calling: an administrator or an API token, and its role per space",
        response: { 200: meSchema, ...problemResponses },
      },
    },
    async (request) => {
      if (!request.principal) throw new ApiError(401, "unauthenticated", "sign in");
      return me(request.principal);
    },
  );

  app.patch(
    "/auth/me",
    {
      config: can.signedIn,
      schema: {
        tags: ["auth"],
        summary:
          "An administrator's own notification e-mails (NT3): their address, whether they want them, and their language",
        description:
          "Any administrator, for themselves (an API token: 403 `administrators_only`). The e-mails carry the notifications of every space they hold a role in, in the administrator's language (the console saves its choice here); single sign-on gives an administrator without an address the provider's `email` claim, when it sends one.",
        body: z
          .strictObject({
            email: emailAddress.nullable().optional().describe("null: none, and no notification e-mails"),
            notifyByEmail: notifyByEmail.optional(),
            language: z
              .enum(LANGUAGES)
              .optional()
              .describe("the language of the console and of their e-mails"),
          })
          .refine((b) => Object.values(b).some((v) => v !== undefined), {
            message: "give email, notifyByEmail or language",
          }),
        response: { 200: meSchema, ...problemResponses },
      },
    },
    async (request) => {
      const p = request.principal;
      if (!p) throw new ApiError(401, "unauthenticated", "sign in");
      if (p.kind !== "admin")
        throw new ApiError(403, "administrators_only", "Only an administrator has notification e-mails");
      const { email, notifyByEmail: notify, language } = request.body;
      if (email !== undefined || notify !== undefined) {
        const set = await setNotificationEmail(db, p.id, {
          ...(email !== undefined ? { email } : {}),
          ...(notify !== undefined ? { notifyByEmail: notify } : {}),
        });
        if (set === "not_found") throw new ApiError(401, "unauthenticated", "sign in");
        if (set === "email_needed") throw emailNeeded();
      }
      if (language !== undefined && !(await setAdminLanguage(db, p.id, language)))
        throw new ApiError(401, "unauthenticated", "sign in");
      return me(p);
    },
  );

  app.get(
    "/auth/tokens",
    {
      config: can.signedIn,
      schema: {
        tags: ["auth"],
        summary: "API tokens: the caller's own (an owner sees every one); never the secret",
        response: { 200: z.object({ items: z.array(tokenSchema) }), ...problemResponses },
      },
    },
    async (request) => {
      const items = request.principal ? await listTokens(db, request.principal) : [];
      return { items: items.map((t) => withExpired(t, now())) };
    },
  );

  app.post(
    "/auth/tokens",
    {
      config: can.signedIn,
      schema: {
        tags: ["auth"],
        summary: "Create an API token for a machine; the token is in this response only",
        description:
          "A role per space (`mdm`: the MDM integration's routes only), no wider than the caller's; " +
          "`expiresAt` or `expiresInDays` ends it (then 401 `api_token_expired`), else it lives until revoked.",
        body: z
          .strictObject({
            name: z.string().trim().min(1).max(100),
            grants: tokenGrants,
            expiresAt: dateTime
              .optional()
              .describe(
                `when the token stops working: in the future, at most ${MAX_TOKEN_DAYS} days from now`,
              ),
            expiresInDays: z
              .number()
              .int()
              .min(1)
              .max(MAX_TOKEN_DAYS)
              .optional()
              .describe("the token stops working this many days from now"),
          })
          .refine((b) => b.expiresAt === undefined || b.expiresInDays === undefined, {
            message: "give expiresAt or expiresInDays, not both",
            path: ["expiresInDays"],
          }),
        response: { 201: tokenSchema.extend({ token: z.string() }), ...problemResponses },
      },
    },
    async (request, reply) => {
      if (!request.principal) throw new ApiError(401, "unauthenticated", "sign in");
      const { expiresAt, expiresInDays, ...body } = request.body;
      const at = now();
      const ends = expiresInDays === undefined ? expiresAt : tokenEndsIn(at, expiresInDays);
      if (ends && ends.getTime() <= at.getTime())
        throw new ApiError(400, "validation_failed", "The request is not valid", [
          { field: "body.expiresAt", message: "must be in the future" },
        ]);
      // As far as expiresInDays reaches: a date past it is a token that never ends, in disguise.
      if (ends && ends.getTime() > tokenEndsIn(at, MAX_TOKEN_DAYS).getTime())
        throw new ApiError(400, "validation_failed", "The request is not valid", [
          { field: "body.expiresAt", message: `at most ${MAX_TOKEN_DAYS} days from now` },
        ]);
      const caller = request.principal;
      // A non-owner's unknown space is refused by issueApiToken as one it has no role in.
      const grants = await checkGrants(db, body.grants, caller.isOwner);
      const issued = await issueApiToken(db, caller, {
        ...body,
        grants,
        now: at,
        ...(ends ? { expiresAt: ends } : {}),
      });
      return reply
        .status(201)
        .send({ ...withExpired(issued.record, at), grants: issued.grants, token: issued.token });
    },
  );

  app.delete(
    "/auth/tokens/:tokenId",
    {
      config: can.signedIn,
      schema: {
        tags: ["auth"],
        summary: "Revoke an API token: refused on its very next call",
        params: z.object({ tokenId: id }),
        response: { 204: z.undefined(), ...problemResponses },
      },
    },
    async (request, reply) => {
      if (!request.principal || !(await revokeToken(db, request.principal, request.params.tokenId, now()))) {
        throw new ApiError(404, "not_found", "Not found");
      }
      return reply.status(204).send();
    },
  );

  app.get(
    "/admins",
    {
      config: can.owner,
      schema: {
        tags: ["auth"],
        summary: "Administrators and their roles (owners only)",
        response: { 200: z.object({ items: z.array(adminSchema) }), ...problemResponses },
      },
    },
    async () => {
      const admins = await listAdmins(db);
      return {
        items: await Promise.all(
          admins.map(async (a) => ({ ...a, grants: await listGrants(db, { kind: "admin", id: a.id }) })),
        ),
      };
    },
  );

  app.post(
    "/admins",
    {
      config: can.owner,
      schema: {
        tags: ["auth"],
        summary: "Create an administrator (owners only)",
        body: z.strictObject({
          login: label,
          displayName: label.optional(),
          password: z
            .string()
            .max(MAX_PASSWORD_LENGTH)
            .optional()
            .describe(
              "the initial password; GET /admins/password-rules says what it must be. Absent: the administrator signs in with single sign-on only (a 400 when the server has none)",
            ),
          isOwner: z.boolean().default(false),
          grants: grants.default([]),
          email: emailAddress.optional(),
          notifyByEmail: notifyByEmail.optional(),
        }),
        response: { 201: adminSchema, ...problemResponses },
      },
    },
    async (request, reply) => {
      if (request.body.password === undefined && !ctx.sso)
        throw new ApiError(400, "validation_failed", "The request is not valid", [
          {
            field: "body.password",
            message: "a password is needed: this server has no single sign-on (OIDC_ISSUER)",
            rule: "required",
          },
        ]);
      const grants = await checkGrants(db, request.body.grants);
      const admin = await createAdministrator(db, { ...request.body, grants, now: now() });
      return reply.status(201).send({ ...admin, grants });
    },
  );

  app.put(
    "/admins/:adminId/grants",
    {
      config: can.owner,
      schema: {
        tags: ["auth"],
        summary: "Set an administrator's role per space (PM1; owners only)",
        params: z.object({ adminId: id }),
        body: z.strictObject({ grants }),
        response: { 200: adminSchema, ...problemResponses },
      },
    },
    async (request) => {
      const admin = await findAdmin(db, request.params.adminId);
      if (!admin) throw new ApiError(404, "not_found", "Not found");
      const grants = await checkGrants(db, request.body.grants);
      await setGrants(db, { kind: "admin", id: admin.id }, grants);
      return { ...admin, grants };
    },
  );

  app.patch(
    "/admins/:adminId",
    {
      config: can.owner,
      schema: {
        tags: ["auth"],
        summary:
          "Edit an administrator: display name, owner or not, a new password (its sessions end), disabled or not, their notification e-mails; an owner never demotes nor disables themselves, and an owner always remains (PM1)",
        params: z.object({ adminId: id }),
        body: z
          .strictObject({
            displayName: label.optional(),
            isOwner: z.boolean().optional(),
            password: z
              .string()
              .max(MAX_PASSWORD_LENGTH)
              .optional()
              .describe("a new password (GET /admins/password-rules); the administrator's sessions end"),
            unlinkSso: z
              .literal(true)
              .optional()
              .describe(
                "single sign-on: forget the provider's account the administrator is linked to; their next sign-in links the account it comes from",
              ),
            disabled: z
              .boolean()
              .optional()
              .describe(
                "true: they cannot sign in (password or single sign-on), their sessions end and the API tokens they created stop, until false; never oneself",
              ),
            email: emailAddress.nullable().optional().describe("null: none, and no notification e-mails"),
            notifyByEmail: notifyByEmail.optional(),
          })
          .refine((b) => Object.values(b).some((v) => v !== undefined), {
            message: "give displayName, isOwner, password, unlinkSso, disabled, email or notifyByEmail",
          }),
        response: { 200: adminSchema, ...problemResponses },
      },
    },
    async (request) => {
      const { password, unlinkSso, disabled, ...rest } = request.body;
      const target = await findAdmin(db, request.params.adminId);
      if (!target) throw new ApiError(404, "not_found", "Not found");
      if (password !== undefined && target.ssoManaged)
        throw new ApiError(
          409,
          "roles_from_groups",
          "This administrator signs in through the identity provider, whose groups give their roles: a password would let them in whatever their groups",
          [
            {
              field: "body.password",
              message: "not for an administrator whose roles come from the provider's groups",
            },
          ],
        );
      // Every edit in one owner's transaction (updateAdmin): a refusal leaves nothing written.
      if (
        password !== undefined ||
        disabled !== undefined ||
        Object.values(rest).some((v) => v !== undefined)
      ) {
        // The same weak_password refusal as at creation.
        if (password !== undefined) checkPassword(password);
        const outcome = await updateAdmin(db, {
          ...rest,
          ...(password === undefined ? {} : { passwordHash: await hashPassword(password) }),
          ...(disabled === undefined ? {} : { disabledAt: disabled ? now() : null }),
          id: target.id,
          by: request.principal?.id ?? "",
        });
        if (outcome === "self")
          throw disabled
            ? new ApiError(409, "cannot_disable_self", "An owner cannot disable themselves", [
                { field: "body.disabled", message: "an owner cannot disable themselves" },
              ])
            : new ApiError(409, "cannot_demote_self", "An owner cannot take away their own owner role", [
                { field: "body.isOwner", message: "an owner cannot take away their own owner role" },
              ]);
        if (outcome === "not_owner")
          throw new ApiError(403, "forbidden", "Only an owner edits administrators");
        if (outcome === "email_needed") throw emailNeeded();
        if (outcome === "not_found") throw new ApiError(404, "not_found", "Not found");
      }
      if (unlinkSso && !(await unlinkSsoSubject(db, target.id)))
        throw new ApiError(404, "not_found", "Not found");
      const admin = await findAdmin(db, target.id);
      if (!admin) throw new ApiError(404, "not_found", "Not found");
      return { ...admin, grants: await listGrants(db, { kind: "admin", id: admin.id }) };
    },
  );

  app.delete(
    "/admins/:adminId",
    {
      config: can.owner,
      schema: {
        tags: ["auth"],
        summary:
          "Remove an administrator: its sessions end, its roles go, its API tokens are revoked; never oneself, and an owner always remains (PM1)",
        params: z.object({ adminId: id }),
        response: { 204: z.undefined(), ...problemResponses },
      },
    },
    async (request, reply) => {
      const outcome = await deleteAdmin(db, {
        id: request.params.adminId,
        by: request.principal?.id ?? "",
        now: now(),
      });
      if (outcome === "self")
        throw new ApiError(409, "cannot_remove_self", "An owner cannot remove themselves");
      if (outcome === "not_owner")
        throw new ApiError(403, "forbidden", "Only an owner removes administrators");
      if (outcome === "not_found") throw new ApiError(404, "not_found", "Not found");
      return reply.status(204).send();
    },
  );

  app.get(
    "/admins/password-rules",
    {
      config: can.owner,
      schema: {
        tags: ["auth"],
        summary: "What a new administrator's password must be",
        response: {
          200: z.object({ minLength: z.number().int(), maxLength: z.number().int() }),
          ...problemResponses,
        },
      },
    },
    async () => PASSWORD_RULES,
  );
}

function withExpired<T extends { expiresAt?: Date }>(token: T, now: Date): T & { expired: boolean } {
  return { ...token, expired: token.expiresAt !== undefined && token.expiresAt.getTime() <= now.getTime() };
}

/**
 * Every grant names a space that exists, each space once (else the row would fail half-way);
 * `default` names the default space, as in a path. Returns the grants by space id.
 * `nameUnknown` false (a caller who is not an owner): an unknown space is left to the role
 * check, which refuses it as one the caller has no role in (invariant 6).
 */
async function checkGrants<R extends TokenRole>(
  db: Db,
  given: readonly Grant<R>[],
  nameUnknown = true,
): Promise<Grant<R>[]> {
  const spaces = await listSpaces(db);
  const known = new Set(spaces.map((s) => s.id));
  const defaultId = spaces.find((s) => s.isDefault)?.id;
  const list = given.map((g) =>
    g.spaceId === DEFAULT_SPACE_ALIAS && defaultId && !known.has(g.spaceId)
      ? { ...g, spaceId: defaultId }
      : g,
  );
  const seen = new Set<string>();
  const errors: FieldError[] = [];
  list.forEach((g, i) => {
    const field = `body.grants.${i}.spaceId`;
    if (!known.has(g.spaceId)) {
      if (nameUnknown) errors.push({ field, message: `no space ${g.spaceId}` });
    } else if (seen.has(g.spaceId)) errors.push({ field, message: "one role per space" });
    seen.add(g.spaceId);
  });
  if (errors.length > 0) throw new ApiError(400, "validation_failed", "The request is not valid", errors);
  return list;
}
