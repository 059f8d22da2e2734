import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createDevices,
  createUser,
  listActivity,
  listWaitingRequests,
  requestLicenses,
  setCatalogApp,
} from "../../src/store/index.js";
import { shot, signIn } from "./harness.js";
import { accountWithApp, type IsolatedConsole, startIsolatedConsole } from "./isolated-console.js";

/**
 * DB2: "Cancel" in an app's waiting list, in English and in French: a confirmation, then the
 * request leaves the queue, the list says so, and the activity log names the administrator.
 * A read-only administrator sees the queue without the action. The same "Cancel" on a
 * device's and a user's pages, and the user's Apple id beside their registration. Headless
 * Chromium against the real API (isolated-console.ts).
 */
const OWNER = { login: "owner-waiting", password: "correct horse battery staple" };
const READER = { login: "reader-waiting", password: "correct horse battery staple" };

describe("console: cancelling a waiting request", () => {
  let ic: IsolatedConsole;
  let page: Page;
  let url = "";
  let spaceId = "";
  const adamId = "361309727";
  const serials = ["CANCEL-EN-1", "CANCEL-FR-2", "STAYS-3"];
  let staysId = "";

  beforeAll(async () => {
    ic = await startIsolatedConsole({ name: "waiting-cancel", owner: OWNER, reader: READER });
    ({ url, spaceId } = ic);
    const now = new Date();
    const { db } = ic.core.store;
    // A mandatory app with no free seat: three iPads wait for it (DB2).
    const _accountId = await accountWithApp(ic, { adamId, name: "Keynote", total: 0 }, { now });
    await setCatalogApp(db, { spaceId, adamId, name: "Keynote", installOnDevice: true }, now);
    const fleet = await createDevices(
      db,
      serials.map((serialNumber) => ({ spaceId, serialNumber, platform: "iOS" as const, supervised: true })),
    );
    const results = await requestLicenses(db, {
      spaceId,
      adamId,
      requests: fleet.map((d) => ({
        spaceId,
        adamId,
        subject: { kind: "device" as const, deviceId: d.id },
        why: "mandatory" as const,
      })),
      actor: { kind: "mdm" },
      now,
    });
    expect(results.map((r) => r.decision.outcome)).toEqual(["wait", "wait", "wait"]);
    staysId = fleet[2]?.id ?? "";
    page = await signIn(ic, OWNER);
  }, 180_000);

  afterAll(async () => {
    await ic?.close();
  });

  const listedSerials = async () => {
    const table = page.getByRole("table", { name: /Waiting for a license|En attente d'une licence/ });
    await table.waitFor();
    return (await table.locator("tbody tr").allTextContents()).map(
      (row) => serials.find((s) => row.includes(s)) ?? row,
    );
  };

  it("DB2: English: Cancel asks first ('Keep waiting' changes nothing), then takes the request out of the queue and says so; the activity log names the administrator", async () => {
    await page.goto(`${url}/s/${spaceId}/apps/${adamId}`);
    expect(await listedSerials()).toEqual(serials);

    await page.getByRole("button", { name: "Cancel the waiting request of CANCEL-EN-1" }).click();
    const dialog = page.getByRole("dialog", { name: "Cancel the request of CANCEL-EN-1?" });
    await dialog.waitFor();
    await expect(dialog.textContent()).resolves.toContain("loses its place");
    await dialog.getByRole("button", { name: "Keep waiting" }).click();
    await dialog.waitFor({ state: "hidden" });
    expect(await listedSerials()).toEqual(serials);

    await page.getByRole("button", { name: "Cancel the waiting request of CANCEL-EN-1" }).click();
    await shot(page, "31-waiting-cancel-confirm-en");
    await dialog.getByRole("button", { name: "Cancel the request" }).click();
    await page.getByText("The request of CANCEL-EN-1 is cancelled: it left the queue.").waitFor();
    await page.getByRole("cell", { name: "CANCEL-EN-1", exact: true }).waitFor({ state: "detached" });
    expect(await listedSerials()).toEqual(serials.slice(1));

    const { db } = ic.core.store;
    const queue = await listWaitingRequests(db, spaceId, adamId);
    expect(queue).toHaveLength(2);
    const [line] = await listActivity(db, spaceId, { adamId, action: "queue.cancelled" });
    expect(line).toMatchObject({ actor: { kind: "admin" }, ruleIds: ["DB2"], messageKey: "queue.cancelled" });

    // The activity page shows who cancelled it, in the console's words.
    await page.goto(`${url}/s/${spaceId}/activity`);
    const row = page.getByRole("row").filter({ hasText: "Waiting request cancelled" });
    await row.first().waitFor();
    const text = await row.first().textContent();
    expect(text).toContain("Olivia Owner");
    expect(text).toContain("CANCEL-EN-1");
    expect(text).toContain("waiting request cancelled by an administrator: left the queue");
  });

  it("DB2: French: 'Annuler' asks first, then the request leaves the queue and the list says so in French", async () => {
    await page.goto(`${url}/s/${spaceId}/apps/${adamId}`);
    await page.getByRole("group", { name: "Language" }).getByRole("button", { name: "FR" }).click();
    expect(await listedSerials()).toEqual(serials.slice(1));
    await page.getByRole("button", { name: "Annuler la demande en attente de CANCEL-FR-2" }).click();
    const dialog = page.getByRole("dialog", { name: "Annuler la demande de CANCEL-FR-2 ?" });
    await dialog.waitFor();
    await expect(dialog.textContent()).resolves.toContain("perd sa place");
    await dialog.getByRole("button", { name: "Annuler la demande" }).click();
    await page
      .getByText("La demande de CANCEL-FR-2 est annulée : elle a quitté la file d'attente.")
      .waitFor();
    await page.getByRole("cell", { name: "CANCEL-FR-2", exact: true }).waitFor({ state: "detached" });
    expect(await listedSerials()).toEqual(["STAYS-3"]);
    await shot(page, "32-waiting-cancelled-fr");
    await page.getByRole("group", { name: "Langue" }).getByRole("button", { name: "EN" }).click();
  });

  it("DB2, PM1: a read-only administrator sees the queue without the Cancel action", async () => {
    const reader = await signIn(ic, READER);
    await reader.goto(`${url}/s/${spaceId}/apps/${adamId}`);
    await reader.getByRole("table", { name: "Waiting for a license" }).waitFor();
    await reader.getByRole("cell", { name: "STAYS-3", exact: true }).waitFor();
    expect(await reader.getByRole("button", { name: /Cancel the waiting request/ }).count()).toBe(0);
    await reader.context().close();
  });

  it("DB2, UB3, AC7: a device's and a user's pages cancel a wait the same way (asked first, then gone, logged); the user's page shows their Apple user id beside their registration; a read-only administrator has no Cancel there", async () => {
    const { db } = ic.core.store;
    // The device's page: its one wait, cancelled; the card stays to say so.
    await page.goto(`${url}/s/${spaceId}/devices/${staysId}`);
    const deviceWaits = page.getByRole("table", { name: "Waiting for a license" });
    await deviceWaits.getByRole("cell", { name: "Keynote", exact: true }).waitFor();
    await page.getByRole("button", { name: "Cancel the wait for Keynote" }).click();
    const dialog = page.getByRole("dialog", { name: "Stop waiting for Keynote?" });
    await expect(dialog.textContent()).resolves.toContain("loses its place");
    await dialog.getByRole("button", { name: "Cancel the request" }).click();
    await page.getByText("The wait for Keynote is cancelled: it left the queue.").waitFor();
    await deviceWaits.waitFor({ state: "detached" });
    expect(await listWaitingRequests(db, spaceId, adamId)).toEqual([]);
    const cancelledOf = async (subject: { deviceId?: string; userId?: string }) =>
      (await listActivity(db, spaceId, { adamId, action: "queue.cancelled" })).filter(
        (l) => l.deviceId === subject.deviceId && l.userId === subject.userId,
      );
    expect(await cancelledOf({ deviceId: staysId })).toMatchObject([
      { actor: { kind: "admin" }, ruleIds: ["DB2"] },
    ]);

    // A user Apple registered (invited, not enrolled yet): their request waits for them (UB3).
    const ada = await createUser(db, {
      spaceId,
      name: "Ada Lovelace",
      appleClientUserId: "c0ffee-ada-0001",
      appleStatus: "Registered",
    });
    const [asked] = await requestLicenses(db, {
      spaceId,
      adamId,
      requests: [{ spaceId, adamId, subject: { kind: "user", userId: ada.id }, why: "requested" }],
      actor: { kind: "mdm" },
      now: new Date(),
    });
    expect(asked?.decision.outcome).toBe("wait");
    const reader = await signIn(ic, READER);
    await reader.goto(`${url}/s/${spaceId}/users/${ada.id}`);
    await reader
      .getByRole("table", { name: "Waiting for a license" })
      .getByRole("cell", { name: "Keynote", exact: true })
      .waitFor();
    expect(await reader.getByRole("button", { name: /Cancel the wait/ }).count()).toBe(0);
    await reader.context().close();

    await page.goto(`${url}/s/${spaceId}/users/${ada.id}`);
    const header = page.locator(".chips-inline").first();
    await header.getByText("Apple user id: c0ffee-ada-0001").waitFor();
    await expect(header.textContent()).resolves.toContain("Invited");
    await page.getByRole("button", { name: "Cancel the wait for Keynote" }).click();
    await page
      .getByRole("dialog", { name: "Stop waiting for Keynote?" })
      .getByRole("button", { name: "Cancel the request" })
      .click();
    await page.getByText("The wait for Keynote is cancelled: it left the queue.").waitFor();
    await shot(page, "33-user-wait-cancelled");
    expect(await listWaitingRequests(db, spaceId, adamId)).toEqual([]);
    expect(await cancelledOf({ userId: ada.id })).toHaveLength(1);
  });
});
