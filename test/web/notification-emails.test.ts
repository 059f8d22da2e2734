import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { notificationMessage, raiseNotification } from "../../src/store/index.js";
import { shot, signIn } from "./harness.js";
import { type IsolatedConsole, startIsolatedConsole } from "./isolated-console.js";

/**
 * NT3 in headless Chromium against the real API (in-memory PGlite; isolated-console.ts):
 * an owner gives administrators an e-mail address and the notification e-mails in Settings ›
 * Administrators; any administrator sets their own from the user menu (PATCH /auth/me). The
 * server's channels are the test's own list: without "email" it sends no e-mails, and the
 * console says so.
 */
const OWNER = { login: "owner-ne", password: "correct horse battery staple" };
const READER = { login: "reader-ne", password: "another long passphrase" };

describe("console: notification e-mails (NT3)", () => {
  let ic: IsolatedConsole;
  let page: Page;
  let url = "";
  let spaceId = "";
  /** The server's notification channels, as GET /auth/me reads them at each request. */
  const channels: string[] = [];

  beforeAll(async () => {
    ic = await startIsolatedConsole({
      name: "ne",
      owner: OWNER,
      reader: READER,
      context: () => ({
        notificationDeliveries: {
          channels,
          resend: async () => ({ retried: 0, delivered: 0, failed: 0, pending: 0, errors: [] }),
        },
      }),
    });
    ({ url, spaceId } = ic);
    page = await signIn(ic, OWNER);
  }, 180_000);

  afterAll(async () => {
    await ic?.close();
  });

  const admins = (p: Page) => p.getByRole("table", { name: "Administrators" });
  /** Signs in from a browser of its own that never chose a language (en-GB). */
  const signInElsewhere = async (who: { login: string; password: string }) => {
    const context = await ic.browser.newContext({ viewport: ic.viewport, locale: "en-GB" });
    const p = await context.newPage();
    await p.goto(`${url}/login`);
    await p.getByLabel("Login").fill(who.login);
    await p.getByLabel("Password").fill(who.password);
    await p.getByRole("button", { name: "Sign in" }).click();
    return p;
  };
  const adminsFromApi = async (p: Page) => {
    const answer = await p.request.get(`${url}/api/v1/admins`);
    expect(answer.status()).toBe(200);
    return (
      (await answer.json()) as { items: Array<{ login: string; email?: string; notifyByEmail: boolean }> }
    ).items;
  };
  const apiRecordOf = async (p: Page, login: string) =>
    (await adminsFromApi(p)).find((a) => a.login === login);

  it("NT3: an owner sets an administrator's e-mail and asks for their notification e-mails in Settings; an invalid address shows on its field; the list and the API show them", async () => {
    await page.goto(`${url}/s/${spaceId}/settings`);
    const row = admins(page).getByRole("row", { name: new RegExp(READER.login) });
    await row.getByText("None").waitFor();
    await row.getByRole("button", { name: `Edit ${READER.login}` }).click();
    const edit = page.getByRole("dialog", { name: `Edit “${READER.login}”` });
    // The server has no e-mail channel yet: the owner is told too.
    await edit.getByText("This server sends no e-mails", { exact: false }).waitFor();
    const notify = edit.getByLabel("Send them notification e-mails");
    // No address yet: the box cannot be ticked, and says why.
    await expect(notify.isDisabled()).resolves.toBe(true);
    await edit.getByText("Give an e-mail address first.").waitFor();
    await edit.getByLabel("E-mail", { exact: true }).fill("not-an-address");
    await expect(notify.isEnabled()).resolves.toBe(true);
    await notify.check();
    await edit.getByRole("button", { name: "Save" }).click();
    // The server's 400 (validation_failed on body.email) shows on the field, in the console's words.
    await edit.getByRole("alert").getByText("Not a valid e-mail address.").waitFor();
    await expect(edit.getByLabel("E-mail", { exact: true }).getAttribute("aria-invalid")).resolves.toBe(
      "true",
    );
    await edit.getByLabel("E-mail", { exact: true }).fill("remi.reader@example.org");
    await shot(page, "50-settings-administrator-email");
    await edit.getByRole("button", { name: "Save" }).click();
    await edit.waitFor({ state: "detached" });
    await row.getByText("remi.reader@example.org").waitFor();
    await row.getByText("Notified").waitFor();
    expect(await apiRecordOf(page, READER.login)).toMatchObject({
      email: "remi.reader@example.org",
      notifyByEmail: true,
    });

    // The address taken away: the box goes unticked with it, and so do the e-mails.
    await row.getByRole("button", { name: `Edit ${READER.login}` }).click();
    await expect(edit.getByLabel("E-mail", { exact: true }).inputValue()).resolves.toBe(
      "remi.reader@example.org",
    );
    await expect(notify.isChecked()).resolves.toBe(true);
    await edit.getByLabel("E-mail", { exact: true }).fill("");
    await expect(notify.isDisabled()).resolves.toBe(true);
    await expect(notify.isChecked()).resolves.toBe(false);
    await edit.getByRole("button", { name: "Save" }).click();
    await edit.waitFor({ state: "detached" });
    await row.getByText("None").waitFor();
    const reader = await apiRecordOf(page, READER.login);
    expect(reader?.notifyByEmail).toBe(false);
    expect(reader?.email).toBeUndefined();
  });

  it("NT3: an owner adds an administrator who receives the notification e-mails", async () => {
    await page.goto(`${url}/s/${spaceId}/settings`);
    await page.getByRole("button", { name: "Add administrator" }).click();
    const dialog = page.getByRole("dialog", { name: "Add an administrator" });
    await dialog.getByLabel("Login").fill("nina-ne");
    await dialog.getByLabel("Initial password").fill("a long initial password for nina");
    const notify = dialog.getByLabel("Send them notification e-mails");
    await expect(notify.isDisabled()).resolves.toBe(true);
    await dialog.getByLabel("E-mail", { exact: true }).fill("  nina@example.org ");
    await notify.check();
    await dialog.getByRole("button", { name: "Add administrator" }).click();
    await dialog.waitFor({ state: "detached" });
    const row = admins(page).getByRole("row", { name: /nina-ne/ });
    await row.getByText("nina@example.org").waitFor();
    await row.getByText("Notified").waitFor();
    expect(await apiRecordOf(page, "nina-ne")).toMatchObject({
      email: "nina@example.org",
      notifyByEmail: true,
    });
    await shot(page, "52-settings-administrators-emails");
  });

  it("NT3: an administrator (not an owner) asks for notification e-mails from the user menu; a server that sends none says so", async () => {
    const reader = await signIn(ic, READER);
    const openDialog = async () => {
      await reader.locator(".user-menu summary").click();
      await reader.getByRole("menuitem", { name: "Notification e-mails" }).click();
      return reader.getByRole("dialog", { name: "Notification e-mails" });
    };
    let dialog = await openDialog();
    await dialog.getByText("This server sends no e-mails", { exact: false }).waitFor();
    await dialog.getByText("SMTP_URL and NOTIFY_EMAIL_FROM", { exact: false }).waitFor();
    const notify = dialog.getByLabel("E-mail me the notifications of my spaces");
    await expect(notify.isDisabled()).resolves.toBe(true);
    await dialog.getByLabel("E-mail address").fill("remi@example.org");
    // The wish is kept for when the server sends e-mails.
    await notify.check();
    await shot(reader, "51-notification-emails-dialog");
    await dialog.getByRole("button", { name: "Save" }).click();
    await dialog.waitFor({ state: "detached" });
    const me = async () => (await reader.request.get(`${url}/api/v1/auth/me`)).json();
    expect(await me()).toMatchObject({
      kind: "admin",
      isOwner: false,
      email: "remi@example.org",
      notifyByEmail: true,
      emailNotifications: false,
    });
    // Once the server sends e-mails, the dialog no longer warns, and shows what is kept.
    channels.push("email");
    await reader.reload();
    await reader.getByRole("heading", { name: "Dashboard" }).waitFor();
    dialog = await openDialog();
    await expect(dialog.getByLabel("E-mail address").inputValue()).resolves.toBe("remi@example.org");
    await expect(notify.isChecked()).resolves.toBe(true);
    expect(await dialog.getByText("This server sends no e-mails", { exact: false }).count()).toBe(0);
    // Opted out again: the address stays.
    await notify.uncheck();
    await dialog.getByRole("button", { name: "Save" }).click();
    await dialog.waitFor({ state: "detached" });
    expect(await me()).toMatchObject({
      email: "remi@example.org",
      notifyByEmail: false,
      emailNotifications: true,
    });
    await reader.context().close();
  });

  it("NT3: the language saved with an administrator (by the CLI, another browser) stays until they choose another in the console", async () => {
    const reader = await signIn(ic, READER);
    const saved = await reader.request.patch(`${url}/api/v1/auth/me`, {
      headers: { "x-orchard-csrf": "1" },
      data: { language: "fr" },
    });
    expect(saved.status()).toBe(200);
    await reader.context().close();
    // Another browser (en-GB) shows English, and leaves the saved French alone.
    const fresh = await signInElsewhere(READER);
    await fresh.getByRole("heading", { name: "Dashboard" }).waitFor();
    const language = async () =>
      ((await (await fresh.request.get(`${url}/api/v1/auth/me`)).json()) as { language: string }).language;
    expect(await language()).toBe("fr");
    // Chosen in the top bar: saved, for the e-mails.
    await fresh.getByRole("group", { name: "Language" }).getByRole("button", { name: "FR" }).click();
    await fresh.getByRole("group", { name: "Langue" }).getByRole("button", { name: "EN" }).click();
    await expect.poll(language, { timeout: 10_000 }).toBe("en");
    await fresh.context().close();
  });

  it("NT3: in French too; the console's language is saved with the administrator, for their e-mails", async () => {
    await page.goto(`${url}/s/${spaceId}/settings`);
    await page.getByRole("group", { name: "Language" }).getByRole("button", { name: "FR" }).click();
    await page.locator(".user-menu summary").click();
    await page.getByRole("menuitem", { name: "E-mails de notification" }).click();
    const dialog = page.getByRole("dialog", { name: "E-mails de notification" });
    await dialog.getByLabel("Adresse e-mail").fill("olivia@example.org");
    await dialog.getByLabel("M'envoyer par e-mail les notifications de mes espaces").check();
    await dialog.getByRole("button", { name: "Enregistrer" }).click();
    await dialog.waitFor({ state: "detached" });
    const own = page
      .getByRole("table", { name: "Administrateurs" })
      .getByRole("row", { name: /Olivia Owner/ });
    await own.getByText("olivia@example.org").waitFor();
    await own.getByText("Notifié").waitFor();
    // The console's language is saved with them: their e-mails are written in it too.
    const language = async () =>
      ((await (await page.request.get(`${url}/api/v1/auth/me`)).json()) as { language: string }).language;
    await expect.poll(language, { timeout: 10_000 }).toBe("fr");
    await page.getByRole("group", { name: "Langue" }).getByRole("button", { name: "EN" }).click();
    await admins(page).waitFor();
    await expect.poll(language, { timeout: 10_000 }).toBe("en");
  });

  it("NT3: an e-mail's link (?notification=<id>) opens that notification, even acknowledged; closing it forgets the link; one not there says so", async () => {
    const raised = await raiseNotification(ic.core.store.db, {
      spaceId,
      kind: "token_revoked",
      severity: "alert",
      component: "Apps and Books",
      message: notificationMessage("token.issue", { issue: "revoked", account: "Linked account" }),
      accountId: "acc-linked",
      now: new Date(),
    });
    if (!raised) throw new Error("not raised");
    await page.request.post(`${url}/api/v1/spaces/${spaceId}/notifications/${raised.id}/acknowledge`, {
      headers: { "x-orchard-csrf": "1" },
    });
    await page.goto(`${url}/s/${spaceId}/notifications?notification=${raised.id}`);
    const detail = page.getByRole("dialog", { name: /Linked account/ });
    await detail.waitFor();
    await detail.getByRole("button", { name: "Close" }).first().click();
    await detail.waitFor({ state: "detached" });
    await page.waitForURL((u) => !u.search.includes("notification="));

    // Opened signed out (from an e-mail): the sign-in page brings them to it.
    const context = await ic.browser.newContext({ viewport: ic.viewport, locale: "en-GB" });
    const fresh = await context.newPage();
    await fresh.goto(`${url}/s/${spaceId}/notifications?notification=${raised.id}`);
    await fresh.waitForURL(/\/login\?next=/);
    await fresh.getByLabel("Login").fill(OWNER.login);
    await fresh.getByLabel("Password").fill(OWNER.password);
    await fresh.getByRole("button", { name: "Sign in" }).click();
    await fresh.getByRole("dialog", { name: /Linked account/ }).waitFor();
    await context.close();

    await page.goto(`${url}/s/${spaceId}/notifications?notification=not-a-notification`);
    await page
      .getByRole("alert")
      .getByText(/The notification this link names is not here/)
      .waitFor();
  });
});
