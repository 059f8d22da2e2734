import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resendDeliveries } from "../../src/sync/index.js";
import { raiseTokenRevoked, webhookReceiver } from "../sync/delivery-fixtures.js";
import { shot, signIn } from "./harness.js";
import { type IsolatedConsole, startIsolatedConsole } from "./isolated-console.js";

/**
 * NT3 in headless Chromium against the real API (in-memory PGlite) and a webhook receiver
 * in this process that refuses with 401 (a wrong secret) until the test fixes it: the
 * notifications page says which deliveries failed and why, and sends them again. No worker
 * runs: what is sent is what the page's "Send again" sends (isolated-console.ts).
 */
const OWNER = { login: "owner-nd", password: "correct horse battery staple" };
const READER = { login: "reader-nd", password: "another long passphrase" };
const SECRET = "whsec-console-deliveries";

describe("console: failed notification deliveries", () => {
  let ic: IsolatedConsole;
  let receiver: Awaited<ReturnType<typeof webhookReceiver>>;
  let url = "";
  let spaceId = "";
  let page: Page;
  const raised: string[] = [];

  beforeAll(async () => {
    receiver = await webhookReceiver();
    ic = await startIsolatedConsole({
      name: "nd",
      owner: OWNER,
      reader: READER,
      env: { NOTIFY_WEBHOOK_URL: receiver.url, NOTIFY_WEBHOOK_SECRET: SECRET },
      // Bound as `orchard serve` binds it (src/main/server.ts).
      context: (core) => ({
        notificationDeliveries: {
          channels: core.sync.channels.map((c) => c.name),
          resend: (input) => resendDeliveries(core.sync, input),
        },
      }),
    });
    ({ url, spaceId } = ic);
    page = await signIn(ic, OWNER);
  }, 180_000);

  afterAll(async () => {
    await ic?.close();
    await receiver?.close();
  });

  /** A token problem (NT2), raised and sent at once to the webhook, as the sync engine does. */
  async function raiseTokenIssue(account: string): Promise<string> {
    const id = await raiseTokenRevoked(ic.core.sync, { spaceId, account });
    raised.push(id);
    return id;
  }

  const openNotifications = async (p: Page) => {
    await p.goto(`${url}/s/${spaceId}/notifications`);
    await p.getByRole("heading", { name: "Notifications", level: 1 }).waitFor();
  };
  const failures = (p: Page) => p.locator(".delivery-failures");
  const deliveries = (p: Page) => p.getByRole("table", { name: "Deliveries" });

  it("NT2, NT3: a webhook answering 401 shows as a failed delivery, with the receiver's answer, in the summary and the list", async () => {
    await raiseTokenIssue("Lyon campus");
    await raiseTokenIssue("Nantes campus");
    await openNotifications(page);
    const summary = failures(page);
    await summary.getByText("2 deliveries failed — Webhook: HTTP 401 Unauthorized").waitFor();
    await summary.getByText("NOTIFY_WEBHOOK_URL, NOTIFY_WEBHOOK_SECRET", { exact: false }).waitFor();
    const rows = deliveries(page).getByRole("row");
    await expect.poll(() => rows.count()).toBe(3);
    const lyon = deliveries(page).getByRole("row", { name: /Lyon campus/ });
    await lyon.getByText("Token revoked: Lyon campus").waitFor();
    await lyon.getByText("Failed").waitFor();
    await lyon.getByText("HTTP 401 Unauthorized").waitFor();
    await expect(lyon.getByRole("cell").nth(3).textContent()).resolves.toBe("1");
    await page.getByText("Webhook 0 delivered, 0 pending, 2 failed").waitFor();
    await shot(page, "40-deliveries-failed");
  });

  it("NT3: sent again while the receiver still refuses, both are refused again, and the page says so", async () => {
    await failures(page).getByRole("button", { name: "Send again" }).click();
    const outcome = page.getByRole("alert").filter({ hasText: "2 deliveries sent again: 2 refused again." });
    await outcome.waitFor();
    await outcome.getByText("Why: Webhook: HTTP 401 Unauthorized.").waitFor();
    await failures(page).getByText("2 deliveries failed").waitFor();
    expect(receiver.state.received).toEqual([]);
  });

  it("NT3: once the receiver is fixed, Send again delivers them at once, with the same notification ids", async () => {
    receiver.state.status = 204;
    await failures(page).getByRole("button", { name: "Send again" }).click();
    await page.getByRole("status").filter({ hasText: "2 deliveries sent again: 2 delivered." }).waitFor();
    await expect.poll(() => failures(page).count()).toBe(0);
    expect(receiver.state.received.sort()).toEqual([...raised].sort());
    // Nothing failed any more: the list shows every delivery, delivered.
    const lyon = deliveries(page).getByRole("row", { name: /Lyon campus/ });
    await lyon.getByText("Delivered").waitFor();
    await page.getByText("Webhook 2 delivered, 0 pending, 0 failed").waitFor();
    await shot(page, "41-deliveries-sent-again");
  });

  it("in French too", async () => {
    receiver.state.status = 401;
    await raiseTokenIssue("Brest campus");
    await openNotifications(page);
    await page.getByRole("group", { name: "Language" }).getByRole("button", { name: "FR" }).click();
    await failures(page).getByText("1 envoi en échec — Webhook : HTTP 401 Non autorisé").waitFor();
    await failures(page).getByRole("button", { name: "Renvoyer" }).waitFor();
    const table = page.getByRole("table", { name: "Envois" });
    await table
      .getByRole("row", { name: /Brest campus/ })
      .getByText("En échec")
      .waitFor();
    await page.getByText("Corrigez les réglages du canal sur le serveur", { exact: false }).waitFor();
    await shot(page, "42-deliveries-fr");
    await page.getByRole("group", { name: "Langue" }).getByRole("button", { name: "EN" }).click();
    await failures(page).getByText("1 delivery failed — Webhook: HTTP 401 Unauthorized").waitFor();
  });

  it("PM1: a read-only administrator sees the failures but no Send again", async () => {
    const reader = await signIn(ic, READER);
    await openNotifications(reader);
    await failures(reader).getByText("1 delivery failed").waitFor();
    await deliveries(reader)
      .getByRole("row", { name: /Brest campus/ })
      .waitFor();
    expect(await reader.getByRole("button", { name: "Send again" }).count()).toBe(0);
    await reader.context().close();
  });
});
