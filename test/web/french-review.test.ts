import { randomUUID } from "node:crypto";
import type { Page, Route } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGroup, createSpace, createUser } from "../../src/store/index.js";
import { shot, signIn } from "./harness.js";
import { accountWithApp, type IsolatedConsole, startIsolatedConsole } from "./isolated-console.js";

/**
 * What a French-speaking reviewer found, in headless Chromium against the real API
 * (isolated-console.ts): the server's refusals in the console's language, with "Try again"
 * where a page's data failed to load; an item's page that does not exist says so, with the
 * way back; numbers, percentages, colons and the sidebar in French; long names wrap; two
 * spaces of the same name are told apart. Refusals the server does not give on demand (a
 * rate limit, a proxy's error page) are answered in its place (Playwright's `route`).
 */
const OWNER = { login: "owner-french-review", password: "correct horse battery staple" };
/** U+202F, the narrow no-break space Intl puts in French numbers ("2 000") and before "%". */
const NNBSP = "\u202f";
const LONG_NAME = `Maximiliana${"x".repeat(140)}`;

describe("console: a French administrator's review", () => {
  let ic: IsolatedConsole;
  let page: Page;
  let url = "";
  let spaceId = "";
  let accountId = "";
  let userId = "";
  let groupId = "";

  beforeAll(async () => {
    ic = await startIsolatedConsole({ name: "french-review", owner: OWNER });
    ({ url, spaceId } = ic);
    const now = new Date();
    const { db } = ic.core.store;
    accountId = await accountWithApp(ic, { adamId: "361309726", name: "Pages", total: 2000 }, { now });
    userId = (await createUser(db, { spaceId, name: LONG_NAME, appleClientUserId: "c0ffee-long-0001" })).id;
    groupId = (await createGroup(db, { spaceId, name: LONG_NAME })).id;
    // Two spaces an owner named alike.
    await createSpace(db, { name: "Paris" });
    await createSpace(db, { name: "Paris" });
    page = await signIn(ic, OWNER);
  }, 180_000);

  afterAll(async () => {
    await ic?.close();
  });

  const language = async (lng: "EN" | "FR") => {
    await page
      .getByRole("group", { name: /^(Language|Langue)$/ })
      .getByRole("button", { name: lng })
      .click();
    await page.waitForFunction(`document.documentElement.lang === "${lng.toLowerCase()}"`);
  };
  /** Answers the console's GET of `path` (an API path) with `answer` until `stop` is called. */
  const answerGets = async (path: string, answer: (route: Route) => Promise<void>) => {
    const matches = (u: URL) => u.pathname === `/api/v1${path}`;
    await page.route(matches, (route) =>
      route.request().method() === "GET" ? answer(route) : route.fallback(),
    );
    return () => page.unroute(matches);
  };
  const problem = (status: number, code: string, title: string, detail?: string) => (route: Route) =>
    route.fulfill({
      status,
      contentType: "application/problem+json",
      body: JSON.stringify({ type: `/problems/${code}`, title, status, code, ...(detail ? { detail } : {}) }),
    });

  it("an item's page that is not in the space shows an empty state with the way back to its list, in English and in French", async () => {
    await language("EN");
    const pages = [
      { list: "users", id: randomUUID(), title: "User not found", back: "Users" },
      { list: "devices", id: randomUUID(), title: "Device not found", back: "Devices" },
      { list: "groups", id: randomUUID(), title: "Group not found", back: "Groups" },
      { list: "accounts", id: randomUUID(), title: "Account not found", back: "Accounts" },
      { list: "apps", id: "999999999", title: "App not found", back: "Apps and Books" },
    ];
    for (const p of pages) {
      await page.goto(`${url}/s/${spaceId}/${p.list}/${p.id}`);
      await page.getByRole("heading", { name: p.title }).waitFor();
      expect(await page.getByRole("alert").count(), p.list).toBe(0);
      await page.getByRole("link", { name: `← ${p.back}` }).click();
      await page.getByRole("heading", { name: p.back, level: 1 }).waitFor();
    }
    await page.goto(`${url}/s/${spaceId}/users/${randomUUID()}`);
    await language("FR");
    await page.getByRole("heading", { name: "Utilisateur introuvable" }).waitFor();
    await page.getByText("Aucun utilisateur de cet espace n'a cet identifiant").waitFor();
    await shot(page, "70-user-not-found-fr");
    await page.getByRole("link", { name: "← Utilisateurs" }).click();
    await page.getByRole("heading", { name: "Utilisateurs", level: 1 }).waitFor();
  });

  it("on a French page, a refusal is worded from its code, else from its HTTP status, with « Réessayer » where a page's data failed; an English page keeps the server's own words for a code the console does not know", async () => {
    await page.goto(`${url}/s/${spaceId}/groups`);
    await language("FR");
    await page.getByRole("heading", { name: "Groupes", level: 1 }).waitFor();
    const alert = page.getByRole("alert");
    let answer = problem(429, "rate_limited", "Too many requests", "wait for Retry-After seconds");
    const stop = await answerGets(`/spaces/${spaceId}/groups`, (route) => answer(route));
    try {
      await page.reload();
      await alert.getByText("Trop de requêtes : patientez un instant, puis réessayez.").waitFor();
      expect(await alert.textContent()).toContain("Une erreur est survenue");
      expect(await alert.textContent()).not.toMatch(/Too many|Retry-After/);
      await shot(page, "71-error-worded-fr");

      // A proxy's own error page (no problem document): its status, in French.
      answer = (route) =>
        route.fulfill({ status: 502, contentType: "text/html", body: "<h1>Bad Gateway</h1>" });
      await alert.getByRole("button", { name: "Réessayer" }).click();
      await alert.getByText("Le serveur a répondu HTTP 502 Mauvaise passerelle.").waitFor();

      // A code the console has no words for: its status in French, the server's words in English.
      answer = problem(409, "brand_new_refusal", "A brand new refusal", "said in English");
      await alert.getByRole("button", { name: "Réessayer" }).click();
      await alert.getByText("Le serveur a répondu HTTP 409 Conflit.").waitFor();
      await language("EN");
      await alert.getByText("A brand new refusal: said in English").waitFor();
      await language("FR");
    } finally {
      await stop();
    }
    // The server answers again: « Réessayer » loads the list.
    await alert.getByRole("button", { name: "Réessayer" }).click();
    await page.getByRole("row").filter({ hasText: "Tous les utilisateurs" }).waitFor();
    expect(await alert.count()).toBe(0);
  });

  it("a user's page that failed to load says why in French and loads on « Réessayer »; its Apple id has the French colon", async () => {
    await page.goto(`${url}/s/${spaceId}/users/${userId}`);
    await language("FR");
    await page.getByRole("heading", { name: LONG_NAME, level: 1 }).waitFor();
    const stop = await answerGets(
      `/spaces/${spaceId}/users/${userId}`,
      problem(503, "database_unreachable", "The database does not answer"),
    );
    try {
      await page.reload();
      const alert = page.getByRole("alert");
      await alert
        .getByText("Le serveur n'arrive pas à joindre sa base de données : réessayez dans un instant.")
        .waitFor();
      // Not the empty state of an unknown user: the user may well exist.
      expect(await page.getByRole("heading", { name: "Utilisateur introuvable" }).count()).toBe(0);
      await page.getByRole("link", { name: "← Utilisateurs" }).waitFor();
    } finally {
      await stop();
    }
    await page.getByRole("button", { name: "Réessayer" }).click();
    await page.getByRole("heading", { name: LONG_NAME, level: 1 }).waitFor();
    // Playwright's text matching reads any space as one: the colon's no-break space is read as written.
    const description = page.locator(".page-description");
    await description.getByText("c0ffee-long-0001").waitFor();
    expect(await description.textContent()).toContain(
      "Identifiant Apple de l'utilisateur\u00a0: c0ffee-long-0001",
    );
  });

  it("a group named as another one is refused on its name field in the form's own words", async () => {
    await page.goto(`${url}/s/${spaceId}/groups`);
    await language("FR");
    await page.getByRole("heading", { name: "Groupes", level: 1 }).waitFor();
    // The server's refusal of a second group of that name (409 duplicate_name on body.name).
    const matches = (u: URL) => u.pathname === `/api/v1/spaces/${spaceId}/groups`;
    await page.route(matches, (route) =>
      route.request().method() === "POST"
        ? route.fulfill({
            status: 409,
            contentType: "application/problem+json",
            body: JSON.stringify({
              type: "/problems/duplicate-name",
              title: "A group of this space already has this name",
              status: 409,
              code: "duplicate_name",
              detail: 'a group of this space is already named "Science"',
              errors: [{ field: "body.name", message: 'a group of this space is already named "Science"' }],
            }),
          })
        : route.fallback(),
    );
    try {
      await page.getByRole("button", { name: "Nouveau groupe" }).click();
      const dialog = page.getByRole("dialog");
      await dialog.getByLabel("Nom").fill("Science");
      await dialog.getByRole("button", { name: "Créer" }).click();
      await dialog.getByRole("alert").getByText("Un autre groupe porte déjà ce nom.").waitFor();
      await expect(dialog.getByLabel("Nom").getAttribute("aria-invalid")).resolves.toBe("true");
      await dialog.getByRole("button", { name: "Annuler" }).click();
    } finally {
      await page.unroute(matches);
    }
  });

  it("numbers and percentages in the console's language; no pager under no rows; the French sidebar keeps each item on one line", async () => {
    await page.goto(`${url}/s/${spaceId}`);
    await language("FR");
    // Read as written: Playwright's text matching reads any space as one.
    const stat = async (label: string) => {
      const card = page.locator(".stat").filter({ hasText: label });
      await card.locator(".stat-hint").waitFor();
      return [
        await card.locator(".stat-value").textContent(),
        await card.locator(".stat-hint").textContent(),
      ];
    };
    // A no-break space before "%" (Chromium's French puts U+00A0 there, Node's U+202F).
    await expect
      .poll(() => stat("Licences utilisées"))
      .toEqual([`0 / 2${NNBSP}000`, expect.stringMatching(/^0[\u00a0\u202f]%$/)]);
    await language("EN");
    await expect.poll(() => stat("Licenses used")).toEqual(["0 / 2,000", "0%"]);
    await language("FR");

    // A list of 1 234 users (the server's first page, its total raised): the pager counts them in French.
    const stop = await answerGets(`/spaces/${spaceId}/users`, async (route) => {
      const response = await route.fetch();
      return route.fulfill({ response, json: { ...(await response.json()), total: 1234 } });
    });
    try {
      await page.goto(`${url}/s/${spaceId}/users`);
      const pager = page.getByRole("navigation", { name: "Pages" });
      await pager.getByText("Page 1 sur 50").waitFor();
      expect(await pager.textContent()).toContain(`sur 1${NNBSP}234`);
    } finally {
      await stop();
    }
    await page.reload();
    await page.getByRole("searchbox").fill("nobody has this name");
    await page.getByText("Aucun résultat pour cette recherche.").waitFor();
    expect(await page.getByRole("navigation", { name: "Pages" }).count()).toBe(0);

    // Every item of the French sidebar as high as the shortest, none on a second line: the
    // page's own too (Explain, the longest label), bold as the current page's.
    await page.goto(`${url}/s/${spaceId}/explain`);
    await page.locator(".sidebar .nav-link.active").waitFor();
    const items = (await page.evaluate(`[...document.querySelectorAll(".sidebar .nav-link")].map((a) => ({
      text: a.textContent,
      height: Math.round(a.getBoundingClientRect().height),
    }))`)) as Array<{ text: string; height: number }>;
    const oneLine = Math.min(...items.map((i) => i.height));
    expect(items.filter((i) => i.height > oneLine)).toEqual([]);
  });

  it("a long name without spaces wraps inside its page, its table and its title; two spaces of the same name are told apart in the picker; the AC7 chip keeps its width", async () => {
    const overflow = async () =>
      (await page.evaluate(`({
        page: document.documentElement.scrollWidth - document.documentElement.clientWidth,
        tables: [...document.querySelectorAll(".table-wrap")].map((w) => w.scrollWidth - w.clientWidth),
        titles: [...document.querySelectorAll(".page-title")].map((h) => h.scrollWidth - h.clientWidth),
      })`)) as { page: number; tables: number[]; titles: number[] };
    for (const path of [`/users/${userId}`, `/groups/${groupId}`, "/users", "/groups"]) {
      await page.goto(`${url}/s/${spaceId}${path}`);
      await page.getByText(LONG_NAME).first().waitFor();
      const o = await overflow();
      expect(o.page, path).toBeLessThanOrEqual(0);
      for (const x of [...o.tables, ...o.titles]) expect(x, path).toBeLessThanOrEqual(0);
    }
    await shot(page, "72-long-names");

    const paris = await page
      .locator("#space-switcher option")
      .allTextContents()
      .then((texts) => texts.filter((text) => text.startsWith("Paris")));
    expect(paris).toHaveLength(2);
    for (const text of paris) expect(text).toMatch(/^Paris · \S+/);
    expect(new Set(paris).size).toBe(2);

    await page.goto(`${url}/s/${spaceId}/accounts/${accountId}`);
    const chip = page.locator(".outside-assignments .footnote .rule-chip", { hasText: "AC7" });
    const width = (await chip.boundingBox())?.width ?? Number.POSITIVE_INFINITY;
    expect(width).toBeLessThan(60);
  });
});
