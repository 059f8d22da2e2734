import { createRequire } from "node:module";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ALL_USERS } from "../../src/licensing/index.js";
import {
  activityMessage,
  addGroupMembers,
  appendActivity,
  createDevices,
  createGroup,
  createUsers,
  insertLicenses,
  requestLicenses,
  setAccountHealth,
  setAppRules,
  setCatalogApp,
  upsertAsset,
} from "../../src/store/index.js";
import { recordInvitationTemplate } from "../../src/store/invitations.repo.js";
import { queueMdmCommands } from "../../src/store/mdm-command.repo.js";
import { evaluateUsage } from "../../src/sync/index.js";
import { signIn } from "./harness.js";
import { type IsolatedConsole, startIsolatedConsole } from "./isolated-console.js";

/**
 * WCAG 2.1 A and AA as axe-core checks them, on every page of the console's navigation
 * (and a few in French), on dialogs open, and on the login page signed out. The console
 * runs against the real API (in-memory PGlite, the in-process Apple simulator;
 * isolated-console.ts) with enough data that no page is empty.
 */
const OWNER = { login: "owner-a11y", password: "correct horse battery staple" };
const AXE = createRequire(import.meta.url).resolve("axe-core/axe.min.js");
const WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];
const INVITATION =
  "https://buy.itunes.apple.com/WebObjects/MZFinance.woa/wa/associateVPPUserWithITSAccount?inviteCode=%25inviteCode%25&mt=8";

/** What axe-core answers (the part read here; the test program has no DOM types). */
interface AxeViolation {
  id: string;
  impact?: string | null;
  help: string;
  helpUrl: string;
  nodes: Array<{ target: unknown[]; failureSummary?: string }>;
}

/**
 * axe-core on the page as it is now, its WCAG 2.1 A/AA rules only (no rule or element left
 * out): each violation's node on a line (rule id, impact, the node's selector, what to fix).
 * A string, evaluated in the page: the test program has no DOM types.
 */
const RUN_AXE = `axe
  .run(document, { runOnly: { type: "tag", values: ${JSON.stringify(WCAG_21_AA)} }, resultTypes: ["violations"] })
  .then((result) => result.violations)`;

async function audit(page: Page): Promise<string[]> {
  // Loaded with each document by the context's init script (withAxe); a page loaded before it
  // was added gets it here. The page's CSP allows its own scripts only: the context bypasses
  // it (bypassCSP) for axe's.
  if (!(await page.evaluate(`"axe" in window`))) await page.addScriptTag({ path: AXE });
  const violations = (await page.evaluate(RUN_AXE)) as AxeViolation[];
  return violations.flatMap((v) =>
    v.nodes.map((n) => {
      const why = (n.failureSummary ?? "").split("\n").slice(1).join(" ").trim();
      return `${v.id} (${v.impact ?? "?"}) ${JSON.stringify(n.target)}: ${v.help}${why ? ` — ${why}` : ""} (${v.helpUrl})`;
    }),
  );
}

/**
 * axe-core in every document the context loads from now on, before the page's own scripts: a
 * script tag added to each page sent its 500 kB again (~0.5 s a page); Chromium compiles an
 * init script once.
 */
async function withAxe(context: BrowserContext): Promise<void> {
  await context.addInitScript({ path: AXE });
}

/** Fails, naming every violation (rule id, impact, node, help), unless axe finds none. */
async function expectNoViolation(page: Page, what: string): Promise<void> {
  const found = await audit(page);
  expect(found, `axe-core on ${what}:\n${found.join("\n")}`).toEqual([]);
}

describe("console accessibility (WCAG 2.1 A/AA, axe-core)", () => {
  let ic: IsolatedConsole;
  let page: Page;
  let url = "";
  let spaceId = "";
  const ids = { account: "", revoked: "", user: "", device: "", group: "" };
  const keynote = { adamId: "408709785", name: "Keynote Pro" };
  const pages = { adamId: "409201541", name: "Pages Pro" };
  const goodNotes = { adamId: "1444383602", name: "GoodNotes 5" };

  beforeAll(async () => {
    ic = await startIsolatedConsole({ name: "a11y", owner: OWNER });
    ({ url, spaceId } = ic);
    const { core } = ic;
    const { db } = core.store;
    const now = new Date();
    // An Apps and Books account at the in-process simulator, added (and imported) by the server's own service.
    const simulator = core.simulator;
    if (!simulator) throw new Error("no simulator");
    const location = simulator.operator.createLocation({
      orgName: "Acme Schools",
      locationName: "Paris campus",
    });
    simulator.operator.addAsset(location.uId, {
      adamId: keynote.adamId,
      name: keynote.name,
      totalCount: 40,
      supportedPlatforms: ["iOS", "macOS"],
    });
    simulator.operator.addAsset(location.uId, {
      adamId: pages.adamId,
      name: pages.name,
      totalCount: 1,
      supportedPlatforms: ["iOS"],
    });
    for (const app of [keynote, pages]) await setCatalogApp(db, { spaceId, ...app }, now);
    const { account } = await core.deps.accounts.add({
      spaceId,
      name: "Paris campus",
      sTokenFile: location.sToken,
      autoDistribute: true,
      clearPrevious: false,
      takeOver: false,
      actor: { kind: "admin" },
    });
    ids.account = account.id;
    await recordInvitationTemplate(db, { spaceId, id: account.id }, INVITATION);
    // A second account whose token Apple revoked: its problem shows on the accounts, its page and the dashboard (NT2).
    const lyon = simulator.operator.createLocation({ orgName: "Acme Schools", locationName: "Lyon campus" });
    const revoked = await core.deps.accounts.add({
      spaceId,
      name: "Lyon campus",
      sTokenFile: lyon.sToken,
      autoDistribute: true,
      clearPrevious: false,
      takeOver: false,
      actor: { kind: "admin" },
    });
    simulator.operator.revokeToken(lyon.uId);
    await setAccountHealth(db, spaceId, revoked.account.id, "revoked", now);
    ids.revoked = revoked.account.id;
    // A user in a group, her Mac with a Keynote Pro license, and the line the log keeps of it.
    const [ada] = await createUsers(db, [
      { spaceId, name: "Ada Lovelace", email: "ada@example.com" },
      // Invited at Apple: the users list offers her invitation link (UB2).
      {
        spaceId,
        name: "Ben Okafor",
        appleClientUserId: "orchard-ben",
        appleStatus: "Registered",
        inviteCode: "5e0c8f2d7a9b",
      },
    ]);
    if (!ada) throw new Error("no user");
    ids.user = ada.id;
    const teachers = await createGroup(db, { spaceId, name: "Teachers" });
    ids.group = teachers.id;
    await addGroupMembers(db, spaceId, teachers.id, [ada.id]);
    const [mac, first, second] = await createDevices(db, [
      { spaceId, serialNumber: "C02D0000", platform: "macOS", userId: ada.id },
      { spaceId, serialNumber: "WAIT-FIRST", platform: "iOS", supervised: true },
      { spaceId, serialNumber: "WAIT-SECOND", platform: "iOS", supervised: true },
    ]);
    if (!mac || !first || !second) throw new Error("no devices");
    ids.device = mac.id;
    const ruleIds = ["MA1", "DI2", "LT1", "DB1"];
    const [licenseId] = await insertLicenses(db, [
      {
        spaceId,
        accountId: account.id,
        adamId: keynote.adamId,
        type: "device",
        deviceId: mac.id,
        state: "assigned",
        ruleIds,
        now,
      },
    ]);
    await appendActivity(db, [
      {
        spaceId,
        actor: { kind: "apple" },
        action: "license.assigned",
        deviceId: mac.id,
        adamId: keynote.adamId,
        accountId: account.id,
        licenseId,
        ruleIds,
        message: activityMessage("license.assigned"),
        at: now,
      },
    ]);
    // Pages Pro's one seat goes to WAIT-FIRST; WAIT-SECOND waits for it (DB2).
    await setAppRules(
      db,
      {
        spaceId,
        accountId: account.id,
        adamId: pages.adamId,
        fcfs: { groupIds: [ALL_USERS], requestedType: "user", mandatoryType: "device" },
        reservedUserIds: [ada.id],
        reservedDeviceIds: [],
        prohibitedUserIds: [],
      },
      { kind: "admin" },
      now,
    );
    for (const [i, device] of [first, second].entries()) {
      await requestLicenses(db, {
        spaceId,
        adamId: pages.adamId,
        requests: [
          {
            spaceId,
            adamId: pages.adamId,
            subject: { kind: "device", deviceId: device.id },
            why: "mandatory",
          },
        ],
        actor: { kind: "mdm" },
        now: new Date(now.getTime() - (2 - i) * 60_000),
      });
    }
    // An MDM command, and a notification (NT1: 90 % of GoodNotes 5's seats used).
    await queueMdmCommands(db, [
      {
        spaceId,
        kind: "install",
        deviceId: mac.id,
        serialNumber: mac.serialNumber,
        adamId: keynote.adamId,
        ...(licenseId ? { licenseId } : {}),
        ruleIds: ["LT2"],
        now,
      },
    ]);
    await upsertAsset(
      db,
      {
        spaceId,
        accountId: account.id,
        adamId: goodNotes.adamId,
        name: goodNotes.name,
        pricingParam: "STDQ",
        productType: "App",
        total: 10,
        used: 9,
        deviceAssignable: true,
        platforms: ["iOS"],
      },
      now,
    );
    await evaluateUsage(core.sync, { spaceId, accountId: account.id, adamId: goodNotes.adamId });
    page = await signIn(ic, OWNER, { bypassCSP: true });
    await withAxe(page.context());
  }, 180_000);

  afterAll(async () => {
    await ic?.close();
  });

  /** Opens a console page by its path in the space, once its heading and `shows` are on it and nothing loads. */
  async function open(path: string, heading: string | RegExp, shows?: string | RegExp): Promise<void> {
    await page.goto(`${url}/s/${spaceId}${path}`);
    await settle(heading, shows);
  }
  async function settle(heading: string | RegExp, shows?: string | RegExp): Promise<void> {
    await page.getByRole("heading", { name: heading, level: 1 }).waitFor();
    if (shows) await page.getByText(shows).first().waitFor();
    await expect.poll(() => page.locator(".loading, [aria-busy=true]").count()).toBe(0);
  }
  async function language(lng: "EN" | "FR"): Promise<void> {
    await page
      .getByRole("group", { name: /^(Language|Langue)$/ })
      .getByRole("button", { name: lng })
      .click();
  }

  it("the login page, signed out, has no WCAG 2.1 A/AA violation (axe-core)", async () => {
    const context = await ic.browser.newContext({ viewport: ic.viewport, locale: "en-GB", bypassCSP: true });
    await withAxe(context);
    const signedOut = await context.newPage();
    await signedOut.goto(`${url}/login`);
    await signedOut.getByRole("button", { name: "Sign in" }).waitFor();
    await expectNoViolation(signedOut, "the login page");
    await context.close();
  });

  it("every page of the console's navigation, in English, has no WCAG 2.1 A/AA violation (axe-core)", async () => {
    await language("EN");
    const visits: Array<[string, string, string | RegExp, (string | RegExp)?]> = [
      ["the dashboard", "", "Dashboard", "Paris campus"],
      ["the apps", "/apps", "Apps and Books", keynote.name],
      ["the licenses", "/licenses", "Licenses", "C02D0000"],
      ["the devices", "/devices", "Devices", "C02D0000"],
      ["a device", `/devices/${ids.device}`, "C02D0000", keynote.name],
      ["the users", "/users", "Users", "Ben Okafor"],
      ["a user", `/users/${ids.user}`, "Ada Lovelace", keynote.name],
      ["the groups", "/groups", "Groups", "Teachers"],
      ["a group", `/groups/${ids.group}`, "Teachers", "Ada Lovelace"],
      ["the accounts", "/accounts", "Accounts", "Paris campus"],
      ["an account", `/accounts/${ids.account}`, "Paris campus", keynote.name],
      ["an account with a token problem", `/accounts/${ids.revoked}`, "Lyon campus", "Token revoked"],
      ["the activity log", "/activity", "Activity log", "C02D0000"],
      ["the notifications", "/notifications", "Notifications", goodNotes.name],
      ["the MDM commands", "/mdm", "MDM commands", "C02D0000"],
      ["explain", "/explain", "Explain a decision"],
      ["what-if", "/what-if", "What-if"],
      ["the settings", "/settings", "Settings", "Administrators"],
    ];
    const found: string[] = [];
    for (const [what, path, heading, shows] of visits) {
      await open(path, heading, shows);
      found.push(...(await audit(page)).map((line) => `${what}: ${line}`));
    }
    expect(found, `axe-core:\n${found.join("\n")}`).toEqual([]);
  });

  it("an app's page, on each of its tabs, has no WCAG 2.1 A/AA violation (axe-core)", async () => {
    await open(`/apps/${pages.adamId}`, pages.name, "WAIT-SECOND");
    const tabs = page.getByRole("tablist", { name: "License rules" }).getByRole("tab");
    const found: string[] = [];
    for (const name of await tabs.allTextContents()) {
      await tabs.filter({ hasText: name }).click();
      await page.getByRole("tabpanel").waitFor();
      await settle(pages.name);
      found.push(...(await audit(page)).map((line) => `tab ${name}: ${line}`));
    }
    expect(found, `axe-core on ${pages.name}'s page:\n${found.join("\n")}`).toEqual([]);
  });

  it("explain and what-if, with their answers shown, have no WCAG 2.1 A/AA violation (axe-core)", async () => {
    await open("/explain", "Explain a decision");
    await page.getByRole("radiogroup", { name: "User or device" }).getByText("Device").click();
    await page.getByLabel("App", { exact: true }).selectOption(pages.adamId);
    await page.locator('[data-field="device"]').getByLabel("WAIT-SECOND").check();
    await page.getByLabel("Situation").selectOption("mandatory");
    await page.getByRole("button", { name: "Explain" }).click();
    await page.getByRole("table", { name: "Accounts considered, in priority order" }).waitFor();
    await settle("Explain a decision");
    await expectNoViolation(page, "explain's answer");

    await open("/what-if", "What-if");
    await page.getByRole("radiogroup", { name: "Proposed change" }).getByText("Token removal").click();
    await page.getByLabel("Account").selectOption({ label: "1. Paris campus" });
    await page.getByRole("button", { name: "Evaluate" }).click();
    await page.getByRole("table", { name: `${pages.name}: now and after the change` }).waitFor();
    await settle("What-if");
    await expectNoViolation(page, "what-if's answer");
  });

  it("dialogs, open (forms, confirmations, a notification's detail) and the user menu have no WCAG 2.1 A/AA violation (axe-core)", async () => {
    // Where each dialog is, and what opens it (a button's name, or a function that opens it).
    const dialogs: Array<[string, string, string, (p: Page) => Promise<void>]> = [
      [
        "Add account",
        "/accounts",
        "Accounts",
        (p) => p.getByRole("button", { name: "Add account" }).first().click(),
      ],
      [
        "Delete account",
        "/accounts",
        "Accounts",
        (p) => p.getByRole("button", { name: /^Delete / }).first().click(),
      ],
      [
        "Update token",
        `/accounts/${ids.account}`,
        "Paris campus",
        (p) => p.getByRole("button", { name: "Update token" }).click(),
      ],
      [
        "Revoke a license",
        "/licenses",
        "Licenses",
        (p) =>
          p
            .getByRole("button", { name: /^Revoke/ })
            .first()
            .click(),
      ],
      [
        "Reclaim inactive, previewed",
        "/licenses",
        "Licenses",
        async (p) => {
          await p.getByRole("button", { name: "Reclaim inactive…" }).click();
          await p.getByRole("dialog").getByRole("button", { name: "Preview" }).click();
          await p
            .getByRole("dialog")
            .getByText(/licenses? (is|are) held|No license is held/)
            .waitFor();
        },
      ],
      [
        "Distribute licenses",
        `/apps/${keynote.adamId}`,
        keynote.name,
        (p) => p.getByRole("button", { name: "Distribute licenses" }).click(),
      ],
      [
        "Remove from catalog",
        `/apps/${keynote.adamId}`,
        keynote.name,
        (p) => p.getByRole("button", { name: "Remove from catalog" }).click(),
      ],
      [
        "Catalog options",
        "/apps",
        "Apps and Books",
        (p) => p.getByRole("button", { name: `Catalog options of ${keynote.name}` }).click(),
      ],
      ["New group", "/groups", "Groups", (p) => p.getByRole("button", { name: "New group" }).click()],
      [
        "Delete a group",
        `/groups/${ids.group}`,
        "Teachers",
        (p) => p.getByRole("button", { name: "Delete", exact: true }).click(),
      ],
      [
        "Invite a group",
        "/users",
        "Users",
        (p) => p.getByRole("button", { name: "Invite a group…" }).click(),
      ],
      [
        "a notification's detail",
        "/notifications",
        "Notifications",
        (p) => p.getByRole("button", { name: new RegExp(goodNotes.name) }).click(),
      ],
      [
        "Add administrator",
        "/settings",
        "Settings",
        (p) => p.getByRole("button", { name: "Add administrator" }).click(),
      ],
      [
        "Edit administrator",
        "/settings",
        "Settings",
        (p) => p.getByRole("button", { name: `Edit ${OWNER.login}`, exact: true }).click(),
      ],
      [
        "Create space",
        "/settings",
        "Settings",
        (p) => p.getByRole("button", { name: "Create space" }).click(),
      ],
      [
        "Notification e-mails (the user menu)",
        "",
        "Dashboard",
        async (p) => {
          await p.locator(".user-menu summary").click();
          await p.getByRole("menuitem", { name: "Notification e-mails" }).click();
        },
      ],
    ];
    const found: string[] = [];
    for (const [what, path, heading, openIt] of dialogs) {
      await open(path, heading);
      await openIt(page);
      await page.getByRole("dialog").waitFor();
      await settle(heading);
      found.push(...(await audit(page)).map((line) => `${what}: ${line}`));
      await page.keyboard.press("Escape");
      await page.getByRole("dialog").waitFor({ state: "hidden" });
    }
    // The top bar's user menu, open.
    await open("", "Dashboard");
    await page.locator(".user-menu summary").click();
    await page.getByRole("menuitem", { name: "Sign out" }).waitFor();
    found.push(...(await audit(page)).map((line) => `the user menu: ${line}`));
    await page.locator(".user-menu summary").click();
    expect(found, `axe-core on dialogs:\n${found.join("\n")}`).toEqual([]);
  });

  it("pages in French, <html lang> following the language, have no WCAG 2.1 A/AA violation (axe-core)", async () => {
    await open("", "Dashboard", "Paris campus");
    await language("FR");
    const visits: Array<[string, string, string, (string | RegExp)?]> = [
      ["le tableau de bord", "", "Tableau de bord", "Paris campus"],
      ["les licences", "/licenses", "Licences", "C02D0000"],
      ["une app", `/apps/${pages.adamId}`, pages.name, "WAIT-SECOND"],
      ["le journal", "/activity", "Journal d'activité", "C02D0000"],
      ["les réglages", "/settings", "Paramètres", "Administrateurs"],
    ];
    const found: string[] = [];
    for (const [what, path, heading, shows] of visits) {
      await open(path, heading, shows);
      expect(await page.evaluate("document.documentElement.lang")).toBe("fr");
      found.push(...(await audit(page)).map((line) => `${what}: ${line}`));
    }
    await language("EN");
    expect(await page.evaluate("document.documentElement.lang")).toBe("en");
    expect(found, `axe-core, in French:\n${found.join("\n")}`).toEqual([]);
  });
});
