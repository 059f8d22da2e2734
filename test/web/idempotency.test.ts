import { readFile } from "node:fs/promises";
import type { Page, Request, Response } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashOfBody } from "../../src/api/idempotency.js";
import { findAdminForLogin } from "../../src/store/auth.repo.js";
import {
  claimIdempotencyKey,
  type KeyOwner,
  releaseIdempotencyKey,
} from "../../src/store/idempotency.repo.js";
import { signIn } from "./harness.js";
import { type IsolatedConsole, startIsolatedConsole } from "./isolated-console.js";

/**
 * One action of the administrator, one change: the console sends every POST and PATCH with
 * a fresh Idempotency-Key (web/src/api/idempotency.ts), sends the same request again with
 * the same key when the network lost the answer or the server still runs the first send,
 * and a double-click on Create creates one group. Then the activity log's export, from the
 * French console, is in French. In headless Chromium against the real API (isolated-console.ts).
 */
const OWNER = { login: "owner-idempotency", password: "correct horse battery staple" };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const HELD_BY = "held-by-the-test";

describe("console: Idempotency-Key on every change, the French activity export", () => {
  let ic: IsolatedConsole;
  let page: Page;
  let owner: KeyOwner;
  const groupsPath = () => `/api/v1/spaces/${ic.spaceId}/groups`;

  beforeAll(async () => {
    ic = await startIsolatedConsole({ name: "idempotency", owner: OWNER });
    const admin = await findAdminForLogin(ic.core.store.db, OWNER.login);
    if (!admin) throw new Error("no owner");
    owner = { kind: "admin", id: admin.id };
    page = await signIn(ic, OWNER);
  }, 180_000);

  afterAll(async () => {
    await ic?.close();
  });

  /** The console's POSTs creating a group, as the browser sent them, while `work` runs. */
  async function groupPosts(work: () => Promise<void>): Promise<Request[]> {
    const posts: Request[] = [];
    const listen = (request: Request) => {
      if (request.method() === "POST" && new URL(request.url()).pathname === groupsPath())
        posts.push(request);
    };
    page.on("request", listen);
    try {
      await work();
    } finally {
      page.off("request", listen);
    }
    return posts;
  }

  const groupsNamed = async (name: string) =>
    (
      await ic.core.store.db
        .selectFrom("groups")
        .select("id")
        .where("space_id", "=", ic.spaceId)
        .where("name", "=", name)
        .execute()
    ).length;

  /** The Groups page's New group dialog, its name typed in; answers the dialog's Create button. */
  async function newGroupDialog(name: string) {
    await page.goto(`${ic.url}/s/${ic.spaceId}/groups`);
    await page.getByRole("button", { name: "New group" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByLabel("Name").fill(name);
    return dialog.getByRole("button", { name: "Create" });
  }

  /** Created: the console went to the new group's page. */
  const shown = (name: string) => page.getByRole("heading", { name, level: 1 }).waitFor();

  it("every POST of an action carries an Idempotency-Key, a fresh one per action; a GET carries none", async () => {
    const gets: Request[] = [];
    const listenGets = (request: Request) => {
      if (request.method() === "GET" && request.url().includes("/api/v1/")) gets.push(request);
    };
    page.on("request", listenGets);
    const posts = await groupPosts(async () => {
      await (await newGroupDialog("Alpha")).click();
      await shown("Alpha");
      await (await newGroupDialog("Beta")).click();
      await shown("Beta");
    });
    page.off("request", listenGets);
    const keys = await Promise.all(posts.map(async (p) => (await p.allHeaders())["idempotency-key"]));
    expect(keys).toHaveLength(2);
    for (const key of keys) expect(key).toMatch(UUID);
    expect(keys[0]).not.toBe(keys[1]);
    const replayed = await Promise.all(
      posts.map(async (p) => (await p.response())?.headers()["idempotent-replayed"]),
    );
    expect(replayed).toEqual([undefined, undefined]);
    expect(gets.length).toBeGreaterThan(0);
    for (const get of gets) expect((await get.allHeaders())["idempotency-key"]).toBeUndefined();
    expect(await groupsNamed("Alpha")).toBe(1);
    expect(await groupsNamed("Beta")).toBe(1);
  });

  it("the answer lost on the network after the server made the group: the console sends it again with the same key and gets the first answer, replayed; one group", async () => {
    const answers: Array<{ status: number; replayed: string | undefined }> = [];
    await page.route(`**${groupsPath()}`, async (route) => {
      if (route.request().method() !== "POST") return route.fallback();
      const response = await route.fetch();
      answers.push({ status: response.status(), replayed: response.headers()["idempotent-replayed"] });
      // The server made the group; the browser never hears it.
      if (answers.length === 1) return route.abort("connectionreset");
      return route.fulfill({ response });
    });
    try {
      const posts = await groupPosts(async () => {
        await (await newGroupDialog("Gamma")).click();
        await shown("Gamma");
      });
      const keys = await Promise.all(posts.map(async (p) => (await p.allHeaders())["idempotency-key"]));
      expect(keys).toHaveLength(2);
      expect(keys[0]).toMatch(UUID);
      expect(keys[1]).toBe(keys[0]);
      expect(answers).toEqual([
        { status: 201, replayed: undefined },
        { status: 201, replayed: "true" },
      ]);
    } finally {
      await page.unroute(`**${groupsPath()}`);
    }
    expect(await groupsNamed("Gamma")).toBe(1);
  });

  /**
   * Holds the key of the console's next group POST as a first request still running would
   * (the store's own claim), then lets the request go to the server; `release` after that
   * many answers frees the key, as the first request's end would.
   */
  async function holdKeyOfNextPost(release: number | "never") {
    const held: { key?: string } = {};
    const statuses: number[] = [];
    await page.route(`**${groupsPath()}`, async (route) => {
      const request = route.request();
      if (request.method() !== "POST") return route.fallback();
      const key = (await request.allHeaders())["idempotency-key"] ?? "";
      if (held.key === undefined) {
        held.key = key;
        const claim = await claimIdempotencyKey(ic.core.store.db, {
          owner,
          key,
          request: { method: "POST", path: groupsPath(), bodyHash: hashOfBody(request.postDataJSON()) },
          claimId: HELD_BY,
          now: new Date(),
        });
        expect(claim.claimed).toBe(true);
      }
      const response = await route.fetch();
      statuses.push(response.status());
      if (release !== "never" && statuses.length === release)
        await releaseIdempotencyKey(ic.core.store.db, { owner, key, claimId: HELD_BY });
      return route.fulfill({ response });
    });
    return {
      held,
      statuses,
      async done() {
        await page.unroute(`**${groupsPath()}`);
        if (release === "never" && held.key !== undefined)
          await releaseIdempotencyKey(ic.core.store.db, { owner, key: held.key, claimId: HELD_BY });
      },
    };
  }

  it("while a request with the key still runs (409 with Retry-After), the console waits as told and sends it again with the same key", async () => {
    const hold = await holdKeyOfNextPost(1);
    let responses: Response[] = [];
    try {
      const posts = await groupPosts(async () => {
        await (await newGroupDialog("Delta")).click();
        await shown("Delta");
      });
      responses = (await Promise.all(posts.map((p) => p.response()))).filter(
        (r): r is Response => r !== null,
      );
      const keys = await Promise.all(posts.map(async (p) => (await p.allHeaders())["idempotency-key"]));
      expect(keys).toEqual([hold.held.key, hold.held.key]);
      expect(hold.statuses).toEqual([409, 201]);
      expect(responses[0]?.headers()["retry-after"]).toBe("1");
      expect((await responses[0]?.json())?.code).toBe("idempotency_key_in_progress");
      // Retry-After said one second: the second send waited for it.
      const sent = posts.map((p) => p.timing().startTime);
      expect((sent[1] ?? 0) - (sent[0] ?? 0)).toBeGreaterThanOrEqual(950);
    } finally {
      await hold.done();
    }
    expect(await groupsNamed("Delta")).toBe(1);
  });

  it("when the key stays held, the console stops after three sends and says so in its language; nothing is created", async () => {
    const hold = await holdKeyOfNextPost("never");
    try {
      const posts = await groupPosts(async () => {
        await (await newGroupDialog("Epsilon")).click();
        await page
          .getByRole("dialog")
          .getByRole("alert")
          .filter({ hasText: "The server is still working on this change." })
          .waitFor();
      });
      expect(posts).toHaveLength(3);
      const keys = new Set(
        await Promise.all(posts.map(async (p) => (await p.allHeaders())["idempotency-key"])),
      );
      expect([...keys]).toEqual([hold.held.key]);
      expect(hold.statuses).toEqual([409, 409, 409]);
      // The Create button is usable again: the administrator decides what to do.
      await expect
        .poll(() => page.getByRole("dialog").getByRole("button", { name: "Create" }).isEnabled())
        .toBe(true);
    } finally {
      await hold.done();
    }
    expect(await groupsNamed("Epsilon")).toBe(0);
  });

  it("a double-click on Create, or Enter pressed twice, creates one group: a second submit before the button shows busy is dropped, and a created group's dialog never submits again", async () => {
    const clicked = await groupPosts(async () => {
      await (await newGroupDialog("Zeta")).dblclick();
      await shown("Zeta");
    });
    expect(clicked).toHaveLength(1);
    expect(await groupsNamed("Zeta")).toBe(1);

    const pressed = await groupPosts(async () => {
      await newGroupDialog("Eta");
      await page.keyboard.press("Enter");
      await page.keyboard.press("Enter");
      await shown("Eta");
    });
    expect(pressed).toHaveLength(1);
    expect(await groupsNamed("Eta")).toBe(1);
  });

  it("invariant 4: the French console's activity export downloads the lines in French", async () => {
    await page.goto(`${ic.url}/s/${ic.spaceId}/activity`);
    await page.getByRole("group", { name: "Language" }).getByRole("button", { name: "FR" }).click();
    await page.getByRole("heading", { name: "Journal d'activité" }).waitFor();
    await page.getByRole("cell", { name: "groupe Alpha créé" }).waitFor();
    const link = page.getByRole("link", { name: "Exporter en CSV" });
    expect(await link.getAttribute("href")).toContain("lang=fr");
    const [file] = await Promise.all([page.waitForEvent("download"), link.click()]);
    const text = await readFile(await file.path(), "utf8");
    const messages = text
      .trimEnd()
      .split("\n")
      .filter((line) => line.includes(",group.created,"))
      .map((line) => line.split(",")[11]);
    // Each group the suite created once, Epsilon never.
    expect(messages.sort()).toEqual(
      ["Alpha", "Beta", "Delta", "Eta", "Gamma", "Zeta"].map((name) => `groupe ${name} créé`),
    );
    expect(text).not.toContain("group Alpha created");
    await page.getByRole("group", { name: "Langue" }).getByRole("button", { name: "EN" }).click();
    await page.getByRole("heading", { name: "Activity log" }).waitFor();
    expect(await page.getByRole("link", { name: "Export CSV" }).getAttribute("href")).toContain("lang=en");
  });
});
