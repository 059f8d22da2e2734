import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  addGroupMembers,
  createAccount,
  createDevices,
  createGroup,
  createUser,
  createUsers,
  type Db,
  requestLicenses,
  setAppRules,
  setCatalogApp,
  upsertAsset,
} from "../../src/store/index.js";
import { recordInvitationTemplate } from "../../src/store/invitations.repo.js";
import { shot, signIn } from "./harness.js";
import { type IsolatedConsole, startIsolatedConsole } from "./isolated-console.js";

/**
 * UB2 in the console, in headless Chromium against the real API (isolated-console.ts; no
 * worker runs, so a user Orchard asked Apple to register stays `registering`): the users
 * list's states, Invite, Copy invitation link (the clipboard holds Apple's link), bulk
 * invitations (a selection, a group), the user page's invitation, the app's waiting queue
 * with an invitation to send, the space's option, French, and a read-only administrator.
 */
const OWNER = { login: "owner-invitations", password: "correct horse battery staple" };
const READER = { login: "reader-invitations", password: "another long passphrase" };
const ADAM = "361309726";
const TEMPLATE =
  "https://buy.itunes.apple.com/WebObjects/MZFinance.woa/wa/associateVPPUserWithITSAccount?inviteCode=%25inviteCode%25&mt=8";
const BEN_LINK =
  "https://buy.itunes.apple.com/WebObjects/MZFinance.woa/wa/associateVPPUserWithITSAccount?inviteCode=5e0c8f2d7a9b4c1e8f3a6d2b9c7e1f04&mt=8";

describe("console: Apps and Books invitations", () => {
  let ic: IsolatedConsole;
  let page: Page;
  let db: Db;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    ic = await startIsolatedConsole({ name: "invitations", owner: OWNER, reader: READER });
    db = ic.core.store.db;
    const { spaceId } = ic;
    const now = new Date();
    const account = await createAccount(db, ic.core.store.keys, {
      spaceId,
      displayName: "Lyon campus",
      sToken: "not-a-real-token",
    });
    await recordInvitationTemplate(db, { spaceId, id: account.id }, TEMPLATE);
    await upsertAsset(
      db,
      {
        spaceId,
        accountId: account.id,
        adamId: ADAM,
        name: "Pages",
        pricingParam: "STDQ",
        productType: "App",
        total: 10,
        deviceAssignable: true,
        platforms: ["iOS"],
      },
      now,
    );
    await setCatalogApp(db, { spaceId, adamId: ADAM, name: "Pages" }, now);
    // DI2: a requested app gets a user-based license, first come first served for everyone.
    await setAppRules(
      db,
      {
        spaceId,
        accountId: account.id,
        adamId: ADAM,
        fcfs: { groupIds: ["all-users"], requestedType: "user", mandatoryType: "device" },
        reservedUserIds: [],
        reservedDeviceIds: [],
        prohibitedUserIds: [],
      },
      { kind: "system" },
      now,
    );
    const users = await createUsers(db, [
      { spaceId, name: "Ada Lovelace", email: "ada@example.com" },
      {
        spaceId,
        name: "Ben Okafor",
        appleClientUserId: "orchard-ben",
        appleStatus: "Registered",
        inviteCode: "5e0c8f2d7a9b4c1e8f3a6d2b9c7e1f04",
      },
      { spaceId, name: "Cy Tanaka", appleClientUserId: "orchard-cy", appleStatus: "Associated" },
      { spaceId, name: "Dee Teacher" },
      { spaceId, name: "Eve Teacher" },
      { spaceId, name: "Fay Pupil" },
      { spaceId, name: "Gus Pupil" },
    ]);
    for (const u of users) ids[u.name.split(" ")[0] ?? ""] = u.id;
    const teachers = await createGroup(db, { spaceId, name: "Teachers" });
    await addGroupMembers(db, spaceId, teachers.id, [ids.Dee ?? "", ids.Eve ?? ""]);
    // UB2, UB3: Hal's request waits for Hal to enrol (never invited).
    const hal = await createUser(db, { spaceId, name: "Hal Waiting" });
    ids.Hal = hal.id;
    await requestLicenses(db, {
      spaceId,
      adamId: ADAM,
      requests: [{ spaceId, adamId: ADAM, subject: { kind: "user", userId: hal.id }, why: "requested" }],
      actor: { kind: "system" },
      now,
    });
    page = await signIn(ic, OWNER);
    await page.context().grantPermissions(["clipboard-read", "clipboard-write"], { origin: ic.url });
  }, 180_000);

  afterAll(async () => {
    await ic?.close();
  });

  const row = (name: string) => page.getByRole("row").filter({ hasText: name });

  it("UB2: the users list shows each registration; Copy invitation link puts Apple's link on the clipboard; Invite registers a user", async () => {
    await page.goto(`${ic.url}/s/${ic.spaceId}/users`);
    await row("Ada Lovelace").getByText("Not invited").waitFor();
    await expect(row("Ben Okafor").getByText("Invited", { exact: true }).count()).resolves.toBe(1);
    await expect(row("Cy Tanaka").getByText("Enrolled", { exact: true }).count()).resolves.toBe(1);
    // An enrolled user has nothing to do; an invited one no Invite button.
    await expect(row("Cy Tanaka").getByRole("button").count()).resolves.toBe(0);
    await expect(
      row("Ben Okafor")
        .getByRole("button", { name: /^Invite/ })
        .count(),
    ).resolves.toBe(0);

    await page.getByRole("button", { name: "Copy the invitation link of Ben Okafor" }).click();
    await row("Ben Okafor").getByText("Link copied").waitFor();
    expect(await page.evaluate("navigator.clipboard.readText()")).toBe(BEN_LINK);

    await page.getByRole("button", { name: "Invite Ada Lovelace to Apps and Books" }).click();
    await page.getByText("1 user registered at Apple: the invitation link follows Apple's answer.").waitFor();
    await row("Ada Lovelace").getByText("Registering at Apple").waitFor();
    await expect(row("Ada Lovelace").getByText("Waiting for Apple").count()).resolves.toBe(1);
    await shot(page, "40-users-invitations");
  });

  it("UB2: the registration filter lists the users who stand there, kept in the page's address; Every registration lists all again", async () => {
    await page.goto(`${ic.url}/s/${ic.spaceId}/users`);
    const filter = page.getByRole("combobox", { name: "Apps and Books registration" });
    const names = () => page.locator("tbody tr .strong-link").allTextContents();
    await filter.selectOption("invited");
    await page.waitForURL(/registration=invited/);
    await expect.poll(names).toEqual(["Ben Okafor"]);
    await filter.selectOption("enrolled");
    await expect.poll(names).toEqual(["Cy Tanaka"]);
    await filter.selectOption("not_invited");
    // Ada's registration is on its way to Apple: she counts as not invited until Apple answers.
    await expect
      .poll(names)
      .toEqual(["Ada Lovelace", "Dee Teacher", "Eve Teacher", "Fay Pupil", "Gus Pupil", "Hal Waiting"]);
    await page.reload();
    await expect.poll(names).toHaveLength(6);
    await filter.selectOption("");
    await expect.poll(async () => (await names()).length).toBe(8);
  });

  it("UB2: a selection is invited at once; a group's users not invited yet from the dialog", async () => {
    const inviteSelected = page.getByRole("button", { name: /^Invite selected/ });
    await expect(inviteSelected.isDisabled()).resolves.toBe(true);
    await page.getByRole("checkbox", { name: "Select Fay Pupil" }).check();
    await page.getByRole("checkbox", { name: "Select Gus Pupil" }).check();
    await page.getByRole("button", { name: "Invite selected (2)" }).click();
    await page
      .getByText("2 users registered at Apple: the invitation links follow Apple's answer.")
      .waitFor();
    await row("Gus Pupil").getByText("Registering at Apple").waitFor();
    await expect(page.getByRole("checkbox", { name: "Select Gus Pupil" }).count()).resolves.toBe(0);

    await page.getByRole("button", { name: "Invite a group…" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByLabel("Group").selectOption({ label: "Teachers" });
    await dialog.getByRole("button", { name: "Invite" }).click();
    await dialog.waitFor({ state: "hidden" });
    await page
      .getByText("2 users registered at Apple: the invitation links follow Apple's answer.")
      .waitFor();
    await row("Eve Teacher").getByText("Registering at Apple").waitFor();
    // Sent again: nobody is left to invite in that group.
    await page.getByRole("button", { name: "Invite a group…" }).click();
    await dialog.getByLabel("Group").selectOption({ label: "Teachers" });
    await dialog.getByRole("button", { name: "Invite" }).click();
    await page
      .getByText("Nobody to invite: each user is invited, enrolled or being registered already.")
      .waitFor();
  });

  it("UB2: the user page shows Apple's link to copy; UB3: the app's waiting queue offers to invite the user a request waits for", async () => {
    await page.goto(`${ic.url}/s/${ic.spaceId}/users/${ids.Ben}`);
    await page.getByRole("heading", { name: "Apps and Books invitation" }).waitFor();
    await expect(page.getByLabel("Invitation link", { exact: true }).inputValue()).resolves.toBe(BEN_LINK);
    await page.getByRole("button", { name: "Copy the invitation link of Ben Okafor" }).click();
    await page.getByText("Link copied").waitFor();
    expect(await page.evaluate("navigator.clipboard.readText()")).toBe(BEN_LINK);

    await page.goto(`${ic.url}/s/${ic.spaceId}/apps/${ADAM}`);
    const hal = row("Hal Waiting");
    await hal.getByText("The user to accept the invitation").waitFor();
    await expect(hal.getByText("Not invited").count()).resolves.toBe(1);
    await hal.getByRole("button", { name: "Invite Hal Waiting to Apps and Books" }).click();
    await hal.getByText("Registering at Apple").waitFor();
    await shot(page, "41-waiting-invitation");
  });

  it("UB2: the space's options register waiting users at Apple and send invitations to devices; off by default, kept once turned on; an invited user's device gets its InviteToProgram row among the MDM commands", async () => {
    await page.goto(`${ic.url}/s/${ic.spaceId}/users`);
    const option = page.getByRole("checkbox", {
      name: "Invite users automatically when a user-based license waits for them",
    });
    await expect(option.isChecked()).resolves.toBe(false);
    // The box shows the space's option as the server keeps it: it turns once the change is saved
    // (check() wants it turned at once, which a loaded machine does not give).
    await option.click();
    await expect.poll(() => option.isChecked()).toBe(true);
    await expect
      .poll(
        async () =>
          (
            await db
              .selectFrom("spaces")
              .select("register_waiting_users")
              .where("id", "=", ic.spaceId)
              .executeTakeFirst()
          )?.register_waiting_users,
      )
      .toBe(true);
    await page.reload();
    await expect
      .poll(() =>
        page
          .getByRole("checkbox", {
            name: "Invite users automatically when a user-based license waits for them",
          })
          .isChecked(),
      )
      .toBe(true);
    // Beside it, UB2's invitations sent to devices through the MDM: off by default, saved when turned on.
    await createDevices(db, [
      { spaceId: ic.spaceId, serialNumber: "BEN-IPAD", platform: "iOS", userId: ids.Ben ?? "" },
    ]);
    const devices = page.getByRole("checkbox", {
      name: "Send the invitation to the user's devices through the MDM",
    });
    await expect(devices.isChecked()).resolves.toBe(false);
    await devices.click();
    await expect
      .poll(
        async () =>
          (
            await db
              .selectFrom("spaces")
              .select("send_invitations_to_devices")
              .where("id", "=", ic.spaceId)
              .executeTakeFirst()
          )?.send_invitations_to_devices,
      )
      .toBe(true);
    // Ben, invited, has an iPad: the MDM is asked to show him Apple's link there (InviteToProgram),
    // a row of the MDM commands page that leads to him.
    await page.goto(`${ic.url}/s/${ic.spaceId}/mdm`);
    const invite = page.getByRole("table", { name: "Commands" }).getByRole("row", { name: /BEN-IPAD/ });
    await invite.getByText("The user's invitation link, sent as Apple's InviteToProgram").waitFor();
    await invite.getByRole("link", { name: "Invitation to Apps and Books" }).click();
    await page.getByRole("heading", { name: "Ben Okafor", level: 1 }).waitFor();
  });

  it("in French: the states and actions are worded in French", async () => {
    await page.goto(`${ic.url}/s/${ic.spaceId}/users`);
    await row("Cy Tanaka").getByText("Enrolled", { exact: true }).waitFor();
    await page.getByRole("group", { name: "Language" }).getByRole("button", { name: "FR" }).click();
    await row("Ben Okafor")
      .getByRole("button", { name: "Copier le lien d'invitation de Ben Okafor" })
      .waitFor();
    await expect(row("Cy Tanaka").getByText("Inscrit").count()).resolves.toBe(1);
    await expect(row("Ada Lovelace").getByText("Inscription chez Apple en cours").count()).resolves.toBe(1);
    await page.getByRole("button", { name: "Inviter un groupe…" }).waitFor();
    await shot(page, "42-users-invitations-fr");
    await page.getByRole("group", { name: "Langue" }).getByRole("button", { name: "EN" }).click();
  });

  it("PM1: a read-only administrator copies links but invites nobody", async () => {
    const reader = await signIn(ic, READER);
    try {
      await reader.goto(`${ic.url}/s/${ic.spaceId}/users`);
      await reader.getByRole("button", { name: "Copy the invitation link of Ben Okafor" }).waitFor();
      await expect(reader.getByRole("button", { name: /^Invite/ }).count()).resolves.toBe(0);
      await expect(reader.getByRole("checkbox", { name: /^Select / }).count()).resolves.toBe(0);
      await expect(
        reader
          .getByRole("checkbox", {
            name: "Invite users automatically when a user-based license waits for them",
          })
          .isDisabled(),
      ).resolves.toBe(true);
    } finally {
      await reader.context().close();
    }
  });
});
