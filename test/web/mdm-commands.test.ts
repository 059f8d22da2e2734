import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sendMdmWebhookTest } from "../../src/mdm/webhook-test.js";
import { createDevices, type DeviceRecord, setCatalogApp } from "../../src/store/index.js";
import { listMdmCommands, queueMdmCommands, settleMdmCommands } from "../../src/store/mdm-command.repo.js";
import { verifyWebhookSignature } from "../../src/webhook.js";
import { accountWithSeats, deviceLicenses } from "../store/fixtures.js";
import { shot, signIn } from "./harness.js";
import { type IsolatedConsole, startIsolatedConsole } from "./isolated-console.js";

/**
 * The MDM commands page in headless Chromium against the real API (in-memory PGlite; no
 * worker, so a command sent again stays pending for the test to see) and an MDM webhook
 * receiver on 127.0.0.1 that checks the signature: failed commands shown first with why,
 * one sent again, the webhook tested.
 */
const OWNER = { login: "owner-mdm", password: "correct horse battery staple" };
const READER = { login: "reader-mdm", password: "another long passphrase" };
const SECRET = "whsec-console-mdm-webhook";
const APP = "361309726";

describe("console: MDM commands", () => {
  let ic: IsolatedConsole;
  let receiver: Server;
  const received: Array<{ signed: boolean; type?: string }> = [];
  let page: Page;
  let url = "";
  let spaceId = "";
  const seqs = { live: 0, dead: 0, delivered: 0 };
  let devices: DeviceRecord[] = [];

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      let body = "";
      req.on("data", (chunk: Buffer) => {
        body += chunk.toString("utf8");
      });
      req.on("end", () => {
        const header = String(req.headers["x-orchard-signature"] ?? "");
        const signed = verifyWebhookSignature({ header, body, secret: SECRET, now: new Date() });
        received.push({ signed, type: JSON.parse(body).type });
        res.writeHead(signed ? 204 : 401, { connection: "close" }).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
    const webhook = {
      url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/mdm`,
      secret: SECRET,
    };
    ic = await startIsolatedConsole({
      name: "mdm",
      owner: OWNER,
      reader: READER,
      // Bound as `orchard serve` binds it with MDM_WEBHOOK_URL (src/main/server.ts).
      context: () => ({ mdmWebhookTest: (input) => sendMdmWebhookTest(webhook, input) }),
    });
    ({ url, spaceId } = ic);
    const { db, keys } = ic.core.store;
    const now = new Date();
    await setCatalogApp(db, { spaceId, adamId: APP, name: "Pages" }, now);
    const { account } = await accountWithSeats(db, keys, { spaceId, adamId: APP, total: 10 });
    devices = await createDevices(
      db,
      ["CONSOLE-LIVE", "CONSOLE-GONE", "CONSOLE-DONE"].map((serialNumber) => ({
        spaceId,
        serialNumber,
        platform: "iOS" as const,
      })),
    );
    const queue = async (device: DeviceRecord | undefined, state?: "assigned" | "released") => {
      if (!device) throw new Error("no device");
      const [licenseId] = state
        ? await deviceLicenses(db, { spaceId, accountId: account.id, adamId: APP, devices: [device], state })
        : [];
      await queueMdmCommands(db, [
        {
          spaceId,
          kind: state ? "install" : "remove",
          deviceId: device.id,
          serialNumber: device.serialNumber,
          adamId: APP,
          ...(licenseId ? { licenseId } : {}),
          ruleIds: ["LT2"],
          now,
        },
      ]);
      return Math.max(...(await listMdmCommands(db, spaceId, { deviceId: device.id })).map((c) => c.seq));
    };
    seqs.delivered = await queue(devices[2]);
    seqs.live = await queue(devices[0], "assigned");
    seqs.dead = await queue(devices[1], "released");
    const settle = (seq: number, state: "failed" | "delivered", error?: string) =>
      settleMdmCommands(db, {
        commands: [{ spaceId, seq }],
        state,
        fromStates: ["pending"],
        ...(error ? { error } : {}),
        now,
      });
    await settle(seqs.delivered, "delivered");
    await settle(seqs.live, "failed", "the MDM webhook answered HTTP 503");
    await settle(seqs.dead, "failed", "the MDM webhook could not be reached (ECONNREFUSED)");
    page = await signIn(ic, OWNER);
  }, 180_000);

  afterAll(async () => {
    await ic?.close();
    await new Promise<void>((resolve) => receiver?.close(() => resolve()));
  });

  const commands = (p: Page) => p.getByRole("table", { name: "Commands" });
  const row = (p: Page, serial: string) => commands(p).getByRole("row", { name: new RegExp(serial) });
  const stateOf = async (seq: number) =>
    (await listMdmCommands(ic.core.store.db, spaceId, {})).find((c) => c.seq === seq);

  it("the sidebar leads to the MDM commands; failed ones come first, with the device, the app and why, in words", async () => {
    await page
      .getByRole("navigation", { name: "Main navigation" })
      .getByRole("link", { name: "MDM commands" })
      .click();
    await page.getByRole("heading", { name: "MDM commands", level: 1 }).waitFor();
    await expect
      .poll(() =>
        page.getByRole("list", { name: "Commands by state" }).getByRole("listitem").allTextContents(),
      )
      .toEqual(["Failed: 2", "Pending: 0", "Delivered: 1", "Cancelled: 0"]);
    const rows = commands(page).getByRole("row");
    await expect.poll(() => rows.count()).toBe(4);
    // Failed first (newest first), then the delivered one.
    const serials = await commands(page).locator("tbody tr td:nth-child(2)").allTextContents();
    expect(serials).toEqual(["CONSOLE-GONE", "CONSOLE-LIVE", "CONSOLE-DONE"]);
    const live = row(page, "CONSOLE-LIVE");
    await live.getByText("Failed").waitFor();
    await live.getByText("Pages").waitFor();
    await live.getByText("the webhook answered HTTP 503 Service Unavailable").waitFor();
    await row(page, "CONSOLE-GONE")
      .getByText("the webhook could not be reached: connection refused")
      .waitFor();
    expect(await live.getByRole("link", { name: "CONSOLE-LIVE" }).getAttribute("href")).toBe(
      `/s/${spaceId}/devices/${devices[0]?.id}`,
    );
    // The app's page is a click away: its licenses, queue and rules are where the command comes from.
    expect(await live.getByRole("link", { name: "Pages" }).getAttribute("href")).toBe(
      `/s/${spaceId}/apps/${APP}`,
    );
    await shot(page, "60-mdm-commands-failed");
  });

  it("Send test webhook sends one signed test message and shows what the MDM answered", async () => {
    await page.getByRole("button", { name: "Send test webhook" }).click();
    const outcome = page.getByRole("status").filter({ hasText: "Test webhook delivered" });
    await outcome.getByText(/The MDM's webhook answered HTTP 204 in \d+ ms\./).waitFor();
    expect(received).toEqual([{ signed: true, type: "test" }]);
  });

  it("Retry sends a failed command again: it is pending again, from its first attempt", async () => {
    await row(page, "CONSOLE-LIVE")
      .getByRole("button", { name: `Retry command ${seqs.live}` })
      .click();
    await page
      .getByRole("status")
      .filter({ hasText: "1 command back to pending: it will be sent again." })
      .waitFor();
    await row(page, "CONSOLE-LIVE").getByText("Pending").waitFor();
    await expect
      .poll(() =>
        page.getByRole("list", { name: "Commands by state" }).getByRole("listitem").allTextContents(),
      )
      .toEqual(["Failed: 1", "Pending: 1", "Delivered: 1", "Cancelled: 0"]);
    expect(await row(page, "CONSOLE-LIVE").getByRole("button", { name: /Retry/ }).count()).toBe(0);
    expect(await stateOf(seqs.live)).toMatchObject({ state: "pending", attempts: 0 });
    await shot(page, "61-mdm-command-retried");
  });

  it("LT2: Retry all failed cancels an install whose license is gone instead, and says so", async () => {
    await page.getByRole("button", { name: "Retry the failed command" }).click();
    const outcome = page.getByRole("alert").filter({ hasText: "The command was not sent again." });
    await outcome
      .getByText(`#${seqs.dead}: its license is no longer live, so it was cancelled (LT2).`)
      .waitFor();
    await row(page, "CONSOLE-GONE").getByText("Cancelled").waitFor();
    await row(page, "CONSOLE-GONE").getByText("license no longer live").waitFor();
    expect(await stateOf(seqs.dead)).toMatchObject({ state: "cancelled" });
    expect(await page.getByRole("button", { name: /Retry the failed|Retry all/ }).count()).toBe(0);
  });

  it("in French too", async () => {
    await page.getByRole("group", { name: "Language" }).getByRole("button", { name: "FR" }).click();
    await page.getByRole("heading", { name: "Commandes MDM", level: 1 }).waitFor();
    const table = page.getByRole("table", { name: "Commandes" });
    await table
      .getByRole("row", { name: /CONSOLE-LIVE/ })
      .getByText("En attente")
      .waitFor();
    await table
      .getByRole("row", { name: /CONSOLE-GONE/ })
      .getByText("licence plus active")
      .waitFor();
    await page.getByRole("list", { name: "Commandes par état" }).getByText("Annulées : 1").waitFor();
    await page.getByRole("button", { name: "Tester le webhook" }).waitFor();
    await shot(page, "62-mdm-commands-fr");
    await page.getByRole("group", { name: "Langue" }).getByRole("button", { name: "EN" }).click();
    await page.getByRole("heading", { name: "MDM commands", level: 1 }).waitFor();
  });

  it("PM1: a read-only administrator sees the commands, but neither Retry nor the webhook test", async () => {
    const reader = await signIn(ic, READER);
    await reader.goto(`${url}/s/${spaceId}/mdm`);
    await row(reader, "CONSOLE-LIVE").waitFor();
    expect(await reader.getByRole("button", { name: /Retry|Send test webhook/ }).count()).toBe(0);
    await reader.context().close();
  });
});
