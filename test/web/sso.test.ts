import { sql } from "kysely";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAdministrator } from "../../src/auth/auth.service.js";
import { createSsoClient, type SsoClient, type SsoSettings } from "../../src/auth/sso.js";
import { parseGroupRoles } from "../../src/auth/sso-roles.js";
import { findAdminNamedBy, listGrants } from "../../src/store/auth.repo.js";
import {
  type IdentityProvider,
  type ProviderPerson,
  startIdentityProvider,
} from "../auth/identity-provider.js";
import { signIn } from "./harness.js";
import { type IsolatedConsole, startIsolatedConsole } from "./isolated-console.js";

const OWNER = { login: "owner", password: "correct horse battery staple" };
const ADMIN_LOGIN = "sso.admin@example.org";

/**
 * `work` on each of `items`, three at a time (a 2-core machine: more only queue up), each
 * settled before this answers; the first failure is thrown once all have ended.
 */
async function inTurns<T>(items: readonly T[], work: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  const failures: unknown[] = [];
  const lane = async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift())
      await work(item).catch((error: unknown) => void failures.push(error));
  };
  await Promise.all([lane(), lane(), lane()]);
  if (failures.length > 0) throw failures[0];
}

/**
 * Single sign-on to the console (OIDC_ISSUER): the whole flow in Chromium, against a real
 * OpenID Connect provider on a loopback port (test/auth/identity-provider.ts), through
 * Orchard's own client (src/auth/sso.ts). The provider's address is known only once
 * Orchard listens (its callback is the client's redirect URI): the API is bound to the
 * client through `sso`, which hands each call to the client made then.
 */
describe("console: single sign-on (OpenID Connect)", () => {
  // What the provider says of each person; a test may change someone's groups between sign-ins.
  const people: Record<string, ProviderPerson> = {
    "unverified@example.org": { email: "unverified@example.org", email_verified: false },
    "no-address": { name: "No Address" },
    // Another account of the provider that says it has the administrator's address.
    impostor: { email: ADMIN_LOGIN, email_verified: true },
  };
  let site: IsolatedConsole;
  let idp: IdentityProvider;
  let client: SsoClient | undefined;
  let settings: SsoSettings;
  const sso: SsoClient = {
    overHttps: false,
    get groupRoles() {
      return client?.groupRoles;
    },
    start: (now) => (client as SsoClient).start(now),
    finish: (query, flow, now) => (client as SsoClient).finish(query, flow, now),
    logoutUrl: (idToken) => (client as SsoClient).logoutUrl(idToken),
  };

  beforeAll(async () => {
    site = await startIsolatedConsole({ name: "sso", owner: OWNER, context: () => ({ sso }) });
    const redirectUri = `${site.url}/api/v1/auth/sso/callback`;
    idp = await startIdentityProvider({ redirectUri, postLogoutRedirectUri: `${site.url}/login`, people });
    settings = {
      issuer: idp.issuer,
      clientId: idp.clientId,
      clientSecret: idp.clientSecret,
      redirectUri,
      loginClaim: "email",
    };
    client = createSsoClient(settings);
    // No password: single sign-on only (NO_PASSWORD).
    await createAdministrator(site.core.store.db, {
      login: ADMIN_LOGIN,
      displayName: "Sam Single",
      isOwner: false,
      grants: [{ spaceId: site.spaceId, role: "read" }],
      now: new Date(),
    });
    // An administrator whose access was taken away (disabled) is not signed in by the provider either.
    const gone = await createAdministrator(site.core.store.db, {
      login: "gone@example.org",
      password: "a password nobody types here",
      isOwner: false,
      now: new Date(),
    });
    await sql`update admins set disabled_at = now() where id = ${gone.id}`.execute(site.core.store.db);
  }, 120_000);

  afterAll(async () => {
    await idp?.close();
    await site?.close();
  });

  /** From the sign-in page (or `from`, a console page) through the provider's pages: back to the console. */
  async function signInAtProvider(login: string, { cancel = false, from = "/login" } = {}) {
    const context = await site.browser.newContext({ viewport: site.viewport, locale: "en-GB" });
    const page = await context.newPage();
    await page.goto(`${site.url}${from}`);
    await page.getByRole("link", { name: "Sign in with single sign-on" }).click();
    await page.waitForURL(`${idp.issuer}/**`);
    await page.locator('input[name="login"]').fill(login);
    await page.locator('input[name="password"]').fill("any password");
    await page.getByRole("button", { name: "Sign-in" }).click();
    if (cancel) await page.getByRole("link", { name: "[ Cancel ]" }).click();
    else await page.getByRole("button", { name: "Continue" }).click();
    await page.waitForURL(`${site.url}/**`);
    return page;
  }

  it("PM1: the provider's verified address names an administrator (in any case): the console opens with their roles", async () => {
    const page = await signInAtProvider("SSO.Admin@Example.org");
    await page.getByRole("heading", { name: "Dashboard" }).waitFor();
    const me = await page.request.get(`${site.url}/api/v1/auth/me`);
    expect(me.status()).toBe(200);
    expect(await me.json()).toMatchObject({
      kind: "admin",
      name: ADMIN_LOGIN,
      isOwner: false,
      grants: [{ spaceId: site.spaceId, role: "read" }],
    });
    await page.context().close();
  });

  it("NT3: a link to a console page (an e-mail's) opened signed out comes back to that page after single sign-on; a link elsewhere is ignored", async () => {
    // The provider's account the first test linked (its subject).
    const page = await signInAtProvider("SSO.Admin@Example.org", {
      from: `/s/${site.spaceId}/notifications?notification=none`,
    });
    await page.waitForURL(`${site.url}/s/${site.spaceId}/notifications?notification=none`);
    await page.getByRole("heading", { name: "Notifications" }).waitFor();
    await page.context().close();
    // A `next` that leads away from the console is dropped: the console's home.
    const context = await site.browser.newContext({ viewport: site.viewport, locale: "en-GB" });
    const other = await context.newPage();
    await other.goto(`${site.url}/api/v1/auth/sso/start?next=${encodeURIComponent("//evil.example/s/x")}`);
    await other.waitForURL(`${idp.issuer}/**`);
    await other.locator('input[name="login"]').fill("SSO.Admin@Example.org");
    await other.locator('input[name="password"]').fill("any password");
    await other.getByRole("button", { name: "Sign-in" }).click();
    await other.getByRole("button", { name: "Continue" }).click();
    await other.getByRole("heading", { name: "Dashboard" }).waitFor();
    expect(new URL(other.url()).host).toBe(new URL(site.url).host);
    await context.close();
  });

  it("an address no administrator has (or a disabled one's), another provider account with an administrator's address, an unverified one, none at all, or a cancel: back to the sign-in page saying why, and no session", async () => {
    const refused = async ([login, cancel, words]: readonly [string, boolean, string]) => {
      const page = await signInAtProvider(login, { cancel });
      await page.getByRole("alert").filter({ hasText: words }).waitFor();
      expect(new URL(page.url()).pathname, login).toBe("/login");
      expect((await page.request.get(`${site.url}/api/v1/auth/me`)).status(), login).toBe(401);
      await page.context().close();
    };
    // Each in a browser context of its own (no cookie shared), none depending on another: a few
    // side by side. One after another, the browser's and the provider's round trips took half a minute.
    await inTurns(
      [
        ["stranger@example.org", false, "no Orchard administrator has your login"],
        ["gone@example.org", false, "no Orchard administrator has your login"],
        // The administrator's first sign-in linked their provider account (its sub): not this one.
        ["impostor", false, "linked to another account of your identity provider"],
        ["unverified@example.org", false, "has not verified your e-mail address"],
        ["no-address", false, "the claim Orchard reads is missing"],
        [ADMIN_LOGIN, true, "did not sign you in"],
      ] as const,
      refused,
    );
  });

  it("an owner unlinks an administrator from the provider's account in Settings: the next account that signs in with their address is linked", async () => {
    const owner = await signIn(site, OWNER);
    await owner.goto(`${site.url}/s/${site.spaceId}/settings`);
    await owner.getByRole("button", { name: `Edit ${ADMIN_LOGIN}` }).click();
    const dialog = owner.getByRole("dialog", { name: `Edit “${ADMIN_LOGIN}”` });
    await dialog.getByLabel("Unlink from the identity provider's account").check();
    await dialog.getByRole("button", { name: "Save" }).click();
    await dialog.waitFor({ state: "detached" });
    await owner.context().close();
    // The account that was refused as another one is now theirs.
    const page = await signInAtProvider("impostor");
    await page.getByRole("heading", { name: "Dashboard" }).waitFor();
    const me = await page.request.get(`${site.url}/api/v1/auth/me`);
    expect(await me.json()).toMatchObject({ kind: "admin", name: ADMIN_LOGIN });
    await page.context().close();
  });

  it("a callback with no sign-in started in this browser (a forged or replayed link) opens nothing", async () => {
    const context = await site.browser.newContext({ locale: "fr-FR" });
    const page = await context.newPage();
    await page.goto(`${site.url}/api/v1/auth/sso/callback?code=stolen&state=guessed`);
    await page.waitForURL(`${site.url}/login?sso_error=expired`);
    await page.getByRole("alert").filter({ hasText: "La connexion n'a pas été terminée à temps" }).waitFor();
    expect((await page.request.get(`${site.url}/api/v1/auth/me`)).status()).toBe(401);
    await context.close();
  });

  it("PM1, OIDC_GROUP_ROLES: the provider's groups create the administrator at their first sign-in and set their roles at each; groups that give nothing keep them out; one created in Orchard keeps Orchard's roles", async () => {
    const mapping = parseGroupRoles(`helpdesk=read:${site.spaceId}; ops=manage:*; orchard-owners=owner`);
    if (typeof mapping === "string") throw new Error(mapping);
    const before = client;
    client = createSsoClient({
      ...settings,
      scopes: ["openid", "email", "profile", "groups"],
      groupRoles: mapping,
    });
    try {
      const login = "gina.grouped@example.org";
      people[login] = {
        email: login,
        email_verified: true,
        name: "Gina Grouped",
        groups: ["helpdesk", "cafeteria"],
      };
      const me = async (page: Page) => (await page.request.get(`${site.url}/api/v1/auth/me`)).json();

      // First sign-in: created, linked, no password, the roles of the groups.
      let page = await signInAtProvider(login);
      await page.getByRole("heading", { name: "Dashboard" }).waitFor();
      expect(await me(page)).toMatchObject({
        name: login,
        isOwner: false,
        grants: [{ spaceId: site.spaceId, role: "read" }],
      });
      await page.context().close();
      const created = await findAdminNamedBy(site.core.store.db, login);
      expect(created).toMatchObject({ displayName: "Gina Grouped", ssoManaged: true, ssoLinked: true });

      // The provider moved her to ops: the next sign-in manages every space.
      people[login] = { ...people[login], groups: ["ops"] };
      page = await signInAtProvider(login);
      await page.getByRole("heading", { name: "Dashboard" }).waitFor();
      expect(await me(page)).toMatchObject({ grants: [{ spaceId: site.spaceId, role: "manage" }] });
      await page.context().close();

      // The owner sees where her roles come from; her edit dialog offers no password (it would
      // let her in whatever her groups). Disabled there, her groups do not let her in.
      const owner = await signIn(site, OWNER);
      await owner.goto(`${site.url}/s/${site.spaceId}/settings`);
      const row = owner.getByRole("row").filter({ hasText: login });
      await row.getByText("From groups").waitFor();
      await owner.getByRole("button", { name: `Edit ${login}` }).click();
      const dialog = owner.getByRole("dialog", { name: `Edit “${login}”` });
      expect(await dialog.getByLabel("New password").count()).toBe(0);
      await dialog.getByLabel("Disabled").check();
      await dialog.getByRole("button", { name: "Save" }).click();
      await dialog.waitFor({ state: "detached" });
      await row.getByText("Disabled").waitFor();
      page = await signInAtProvider(login);
      await page.getByRole("alert").filter({ hasText: "no Orchard administrator has your login" }).waitFor();
      await page.context().close();
      await owner.getByRole("button", { name: `Edit ${login}` }).click();
      await dialog.getByLabel("Disabled").uncheck();
      await dialog.getByRole("button", { name: "Save" }).click();
      await dialog.waitFor({ state: "detached" });
      await owner.context().close();

      // No group of hers gives a role any more: kept out, no session, her roles gone; a
      // stranger none of whose groups gives a role is not created.
      people[login] = { ...people[login], groups: ["cafeteria"] };
      people["stranger.grouped@example.org"] = {
        email: "stranger.grouped@example.org",
        email_verified: true,
        groups: ["cafeteria"],
      };
      await inTurns(
        [
          [login, "None of your groups at the identity provider gives you a role"],
          ["stranger.grouped@example.org", "None of your groups at the identity provider gives you a role"],
        ] as const,
        async ([who, words]) => {
          const refusedPage = await signInAtProvider(who);
          await refusedPage.getByRole("alert").filter({ hasText: words }).waitFor();
          expect((await refusedPage.request.get(`${site.url}/api/v1/auth/me`)).status(), who).toBe(401);
          await refusedPage.context().close();
        },
      );
      expect(await listGrants(site.core.store.db, { kind: "admin", id: created?.id ?? "" })).toEqual([]);
      expect(await findAdminNamedBy(site.core.store.db, "stranger.grouped@example.org")).toBeUndefined();

      // Created in Orchard with a role there: the provider's groups change nothing.
      const kept = "kept.in.orchard@example.org";
      await createAdministrator(site.core.store.db, {
        login: kept,
        isOwner: false,
        grants: [{ spaceId: site.spaceId, role: "read" }],
        now: new Date(),
      });
      people[kept] = { email: kept, email_verified: true, groups: ["ops", "orchard-owners"] };
      page = await signInAtProvider(kept);
      await page.getByRole("heading", { name: "Dashboard" }).waitFor();
      expect(await me(page)).toMatchObject({
        isOwner: false,
        grants: [{ spaceId: site.spaceId, role: "read" }],
      });
      await page.context().close();
    } finally {
      client = before;
    }
  });

  it("signing out of a session single sign-on opened signs out of the provider too (OIDC_POST_LOGOUT_REDIRECT_URI): the next sign-in asks the provider's password again; without it, the provider's session stays", async () => {
    const login = "leaving@example.org";
    await createAdministrator(site.core.store.db, {
      login,
      isOwner: false,
      grants: [{ spaceId: site.spaceId, role: "read" }],
      now: new Date(),
    });
    const signOut = async (page: Page) => {
      await page.locator("summary").filter({ hasText: login }).click();
      await page.getByRole("menuitem", { name: "Sign out" }).click();
    };
    const before = client;
    try {
      // Off (the default): Orchard's session ends, the provider's stays: back in without its password.
      const page = await signInAtProvider(login);
      await page.getByRole("heading", { name: "Dashboard" }).waitFor();
      await signOut(page);
      await page.waitForURL(`${site.url}/login`);
      await page.getByRole("link", { name: "Sign in with single sign-on" }).click();
      await page.getByRole("heading", { name: "Dashboard" }).waitFor();

      // On: the provider's sign-out, then back to Orchard's sign-in page; its password is asked again.
      client = createSsoClient({ ...settings, postLogoutRedirectUri: `${site.url}/login` });
      await page.context().clearCookies({ name: "orchard_session" });
      await page.goto(`${site.url}/login`);
      await page.getByRole("link", { name: "Sign in with single sign-on" }).click();
      await page.getByRole("heading", { name: "Dashboard" }).waitFor();
      await signOut(page);
      await page.waitForURL(`${idp.issuer}/**`);
      await page.getByRole("button", { name: "Yes, sign me out" }).click();
      await page.waitForURL(`${site.url}/login`);
      expect((await page.request.get(`${site.url}/api/v1/auth/me`)).status()).toBe(401);
      await page.getByRole("link", { name: "Sign in with single sign-on" }).click();
      await page.locator('input[name="password"]').waitFor();
      await page.context().close();
    } finally {
      client = before;
    }
  });
});
