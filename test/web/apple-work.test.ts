import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Core } from "../../src/main/compose.js";
import {
  type AppleCall,
  formCalls,
  lockPendingOps,
  postponeCall,
  recordCallSent,
  settleCallOps,
} from "../../src/store/apple-calls.repo.js";
import {
  type Account,
  appendOutbox,
  createAccount,
  createDevice,
  createUser,
  type OutboxEntry,
  setAccountHealth,
  setCatalogApp,
  withTransaction,
} from "../../src/store/index.js";
import { finishOutbox } from "../../src/store/sync-outbox.repo.js";
import { shot, signIn } from "./harness.js";
import { type IsolatedConsole, startIsolatedConsole } from "./isolated-console.js";

/**
 * The account page's "Apple work" panel in headless Chromium against the real API
 * (in-memory PGlite, isolated-console.ts). No worker runs here, so the outbox and the
 * Apple calls hold exactly what each test writes.
 */
const OWNER = { login: "owner-aw", password: "correct horse battery staple" };
const READER = { login: "reader-aw", password: "another long passphrase" };
const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000);

describe("console: an account's Apple work", () => {
  let ic: IsolatedConsole;
  let core: Core;
  let url = "";
  let spaceId = "";
  let account: Account;
  let page: Page;
  const adamId = "361309726";

  beforeAll(async () => {
    ic = await startIsolatedConsole({ name: "aw", owner: OWNER, reader: READER });
    ({ core, url, spaceId } = ic);
    account = await createAccount(core.store.db, core.store.keys, {
      spaceId,
      displayName: "Lyon campus",
      sToken: "not-a-real-token",
    });
    await setCatalogApp(core.store.db, { spaceId, adamId, name: "Pages" }, new Date());
    page = await signIn(ic, OWNER);
  }, 180_000);

  afterAll(async () => {
    await ic?.close();
  });

  const panel = (p: Page) => p.locator("section.card.apple-work");
  const openAccount = async (p: Page) => {
    await p.goto(`${url}/s/${spaceId}/accounts/${account.id}`);
    await p.getByRole("heading", { name: "Lyon campus" }).waitFor();
    await panel(p).getByRole("heading", { name: "Apple work" }).waitFor();
  };
  const entry = (serialOrUser: string, minutes: number, kind: OutboxEntry["kind"] = "associate") =>
    ({
      spaceId,
      accountId: account.id,
      kind,
      adamId,
      pricingParam: "STDQ",
      ...(serialOrUser.startsWith("SER") ? { serialNumber: serialOrUser } : { clientUserId: serialOrUser }),
      now: minutesAgo(minutes),
    }) satisfies OutboxEntry;
  /** A dispatcher's move: the due operations become one call per kind. */
  const toCalls = (): Promise<AppleCall[]> =>
    withTransaction(core.store.db, async (trx) => {
      const now = new Date();
      const ops = await lockPendingOps(trx, { spaceId, accountId: account.id, now, limit: 1000 });
      const kinds = [...new Set(ops.map((o) => o.kind))];
      return formCalls(trx, {
        spaceId,
        accountId: account.id,
        calls: kinds.map((kind) => ({ kind, assets: [{ adamId }], ops: ops.filter((o) => o.kind === kind) })),
        workerId: "console-test",
        now,
        leaseMs: 60_000,
      });
    });

  it("invariant 3: with nothing left to send, the panel says everything reached Apple", async () => {
    await openAccount(page);
    await panel(page).getByText("Everything reached Apple").waitFor();
    await panel(page).getByText("No operation failed.").waitFor();
    expect(await panel(page).getByRole("alert").count()).toBe(0);
    await shot(page, "20-apple-work-empty");
  });

  it("invariant 3: shows pending work by kind, the oldest one's age, calls in flight and recent failures", async () => {
    const db = core.store.db;
    const user = await createUser(db, { spaceId, name: "Ada Lovelace", appleClientUserId: "c-ada" });
    await createDevice(db, { spaceId, serialNumber: "SERWEB1", platform: "iOS", userId: user.id });
    // Two calls: one Apple accepted (event id), one it has not accepted yet (an error, a retry planned).
    await appendOutbox(db, [
      entry("SERWEB1", 200),
      entry("c-ada", 190),
      entry("SERWEB2", 180, "disassociate"),
    ]);
    const calls = await toCalls();
    const assoc = calls.find((c) => c.kind === "associate");
    const release = calls.find((c) => c.kind === "disassociate");
    if (!assoc || !release) throw new Error("calls not formed");
    const now = new Date();
    await recordCallSent(db, {
      spaceId,
      workerId: "console-test",
      id: assoc.id,
      eventId: "evt-console-1",
      now,
      nextLookAt: new Date(now.getTime() + 60_000),
      leaseUntil: new Date(now.getTime() + 60_000),
    });
    await postponeCall(db, {
      spaceId,
      id: release.id,
      state: "sending",
      notBefore: new Date(now.getTime() + 300_000),
      error: "9603 Apple internal error",
      now,
    });
    // Apple refused the user's association for good.
    const userOp = assoc.ops.find((o) => o.clientUserId === "c-ada")?.seq ?? 0;
    await withTransaction(db, (trx) =>
      settleCallOps(trx, assoc, {
        done: [],
        failed: new Map([["9632 the user is not associated with this organisation", [userOp]]]),
        resend: { seqs: [], notBefore: now, error: "" },
        now,
      }),
    );
    // Work not sent yet: the oldest two hours old, one put off until a retry.
    await appendOutbox(db, [entry("SERWEB3", 125), entry("SERWEB4", 5), entry("SERWEB5", 3, "revoke")]);
    const pending = await withTransaction(db, (trx) =>
      lockPendingOps(trx, { spaceId, accountId: account.id, now, limit: 100 }),
    );
    await finishOutbox(db, {
      spaceId,
      seqs: pending.filter((o) => o.serialNumber === "SERWEB4").map((o) => o.seq),
      state: "pending",
      error: "waiting for Apple to release the subject's previous license",
      notBefore: new Date(now.getTime() + 600_000),
      now,
    });

    await openAccount(page);
    const p = panel(page);
    await p.getByRole("heading", { name: "Calls to Apple in flight" }).waitFor();
    expect(await p.getByText("Everything reached Apple").count()).toBe(0);
    const stat = (label: string) =>
      p.locator(".stat", { has: page.locator(".stat-label", { hasText: new RegExp(`^${label}$`) }) });
    await expect(stat("Pending").locator(".stat-value").textContent()).resolves.toBe("3");
    await expect(stat("Oldest pending").locator(".stat-value").textContent()).resolves.toBe("2 hours");
    await expect(stat("Waiting for a retry").locator(".stat-value").textContent()).resolves.toBe("1");
    await expect(stat("Calls in flight").locator(".stat-value").textContent()).resolves.toBe("2");
    await expect(stat("Calls in flight").locator(".stat-hint").textContent()).resolves.toBe(
      "carrying 2 operations",
    );
    await p.getByText("waiting for Apple to release the subject's previous license").waitFor();
    // Pending by kind.
    const kinds = p.getByRole("table", { name: "Pending by kind" });
    await expect(kinds.getByRole("row", { name: /Assign license/ }).textContent()).resolves.toMatch(
      /Assign license\s*2\s*1\s*2 hours/,
    );
    await kinds.getByRole("row", { name: /Revoke all licenses/ }).waitFor();
    // Calls in flight, with their state, event id and last error.
    const callTable = p.getByRole("table", { name: "Calls to Apple in flight" });
    const accepted = callTable.getByRole("row", { name: /Assign license/ });
    await accepted.getByText("Awaiting Apple's result").waitFor();
    await accepted.getByText("evt-console-1").waitFor();
    const refused = callTable.getByRole("row", { name: /Release license/ });
    await refused.getByText("Not accepted yet").waitFor();
    await refused.getByText("9603 Apple internal error").waitFor();
    // Recent failures: the app, the user (a link), the reason, the event.
    const failures = p.getByRole("table", { name: "Recent failures" });
    const failed = failures.getByRole("row", { name: /Ada Lovelace/ });
    await failed.getByText("9632 the user is not associated with this organisation").waitFor();
    await failed.getByRole("link", { name: "Pages" }).waitFor();
    await failed.getByText("evt-console-1").waitFor();
    await p.getByText("Apple refused these for good", { exact: false }).waitFor();
    await failed.getByText("just now").waitFor();
    await shot(page, "21-apple-work");
    await failed.getByRole("link", { name: "Ada Lovelace" }).click();
    await page.waitForURL(new RegExp(`/users/${user.id}$`));
  });

  it("NT2: a paused account says its work waits for the token to be replaced", async () => {
    await setAccountHealth(core.store.db, spaceId, account.id, "expired", new Date());
    await openAccount(page);
    const notice = panel(page).getByRole("alert").filter({ hasText: "Apple work paused" });
    await notice.waitFor();
    await expect(notice.textContent()).resolves.toMatch(
      /Token expired.*5 operations wait and nothing is sent to Apple until the token is replaced/,
    );
    await notice.getByText("NT2").waitFor();
    await shot(page, "22-apple-work-paused");
  });

  it("in French too", async () => {
    await page.getByRole("group", { name: "Language" }).getByRole("button", { name: "FR" }).click();
    const p = panel(page);
    await p.getByRole("heading", { name: "Opérations Apple" }).waitFor();
    await expect(p.getByRole("alert").first().textContent()).resolves.toMatch(
      /Jeton expiré.*5 opérations attendent.*tant que le jeton n'est pas remplacé/,
    );
    await p.getByRole("table", { name: "En attente par type" }).getByText("Attribuer une licence").waitFor();
    await p.getByRole("table", { name: "Échecs récents" }).waitFor();
    await shot(page, "23-apple-work-fr");
    await page.getByRole("group", { name: "Langue" }).getByRole("button", { name: "EN" }).click();
    await p.getByRole("heading", { name: "Apple work" }).waitFor();
  });

  it("PM1: a read-only administrator sees the same panel", async () => {
    await setAccountHealth(core.store.db, spaceId, account.id, "ok", new Date());
    const reader = await signIn(ic, READER);
    await openAccount(reader);
    const p = panel(reader);
    await p.getByRole("table", { name: "Calls to Apple in flight" }).waitFor();
    expect(await p.getByRole("alert").count()).toBe(0);
    expect(await p.getByRole("button").count()).toBe(0);
    await reader.context().close();
  });
});
