import { randomUUID } from "node:crypto";
import { expect, it } from "vitest";
import { applyEvent } from "../../src/mdm/events.js";
import {
  createAccount,
  createDevice,
  createDevices,
  createSpace,
  createUser,
  type DeviceRecord,
  setSendInvitationsToDevices,
} from "../../src/store/index.js";
import { recordInvitationTemplate } from "../../src/store/invitations.repo.js";
import { applyInvitationSetting } from "../../src/store/invite-commands.repo.js";
import {
  acknowledgeMdmCommands,
  claimMdmCommands,
  listMdmCommands,
} from "../../src/store/mdm-command.repo.js";
import { DEFAULT_RETENTION, pruneExpired } from "../../src/store/retention.repo.js";
import { applyAppleUsers } from "../../src/store/sync-users.repo.js";
import { describeEachDatabase } from "./databases.js";
import { NOW, SYSTEM } from "./fixtures.js";

/** Apple's own service config value (test/fixtures/apple/service-config.response.json). */
const TEMPLATE =
  "https://buy.itunes.apple.com/WebObjects/MZFinance.woa/wa/associateVPPUserWithITSAccount?inviteCode=%25inviteCode%25&mt=8";
const linkOf = (code: string) =>
  `https://buy.itunes.apple.com/WebObjects/MZFinance.woa/wa/associateVPPUserWithITSAccount?inviteCode=${code}&mt=8`;

/**
 * UB2: the MDM delivers the invitation (Apple's InviteToProgram) to an invited user's devices
 * that take it, once per device and link, while the space asks for it; acceptance, deletion and
 * a device leaving cancel what was not sent.
 */
describeEachDatabase("invite commands", (database) => {
  const db = () => database().store.db;

  /** A space with an account that knows Apple's template, and a user Orchard registered at Apple. */
  async function setUp(sendInvitations: boolean) {
    const space = await createSpace(db(), { name: `invites ${randomUUID().slice(0, 8)}` });
    const account = await createAccount(db(), database().store.keys, {
      spaceId: space.id,
      displayName: "Main",
      sToken: `stoken-${randomUUID()}`,
    });
    await recordInvitationTemplate(db(), { spaceId: space.id, id: account.id }, TEMPLATE);
    if (sendInvitations) await setSendInvitationsToDevices(db(), space.id, true);
    const clientUserId = `orchard-${randomUUID()}`;
    const user = await createUser(db(), { spaceId: space.id, name: "Ada", appleClientUserId: clientUserId });
    const prefix = randomUUID().slice(0, 6).toUpperCase();
    const own = (name: string, platform: DeviceRecord["platform"], extra: object = {}) => ({
      spaceId: space.id,
      serialNumber: `${prefix}${name}`,
      platform,
      userId: user.id,
      ...extra,
    });
    const [iphone, ipad, mac, tv, shared, retired] = await createDevices(db(), [
      own("IPHONE", "iOS"),
      own("IPAD", "iOS"),
      own("MAC", "macOS"),
      own("TV", "tvOS"),
      own("SHARED", "iOS", { sharedIpad: true }),
      own("OLD", "iOS", { status: "retired" }),
    ]);
    const invited = (status: string, inviteCode?: string) =>
      applyAppleUsers(db(), space.id, [{ clientUserId, status, ...(inviteCode ? { inviteCode } : {}) }], NOW);
    const invites = async () => (await listMdmCommands(db(), space.id)).filter((c) => c.kind === "invite");
    return { space, user, iphone, ipad, mac, tv, shared, retired, invited, invites, prefix };
  }

  it("UB2: an invited user's iPhone, iPad and Mac each get one invite with Apple's link when the space sends invitations; none when it does not, until it is turned on", async () => {
    const on = await setUp(true);
    await on.invited("Registered", "code-ada");
    const sent = await on.invites();
    expect(sent.map((c) => c.deviceId).sort()).toEqual(
      [on.iphone?.id, on.ipad?.id, on.mac?.id].map(String).sort(),
    );
    for (const c of sent) {
      expect(c).toMatchObject({
        kind: "invite",
        userId: on.user.id,
        invitationUrl: linkOf("code-ada"),
        ruleIds: ["UB2"],
        state: "pending",
        awaitingLicense: false,
      });
      expect(c.adamId).toBeUndefined();
      // The MDM builds Apple's command from the platform: iOS, or macOS on the user channel.
      expect(c.target).toEqual({ platform: c.deviceId === on.mac?.id ? "macOS" : "iOS" });
    }
    // No Apple TV, Shared iPad nor retired iPhone; the MDM polling sees them ready.
    const ready = await listMdmCommands(db(), on.space.id, { ready: true });
    expect(ready.filter((c) => c.kind === "invite")).toHaveLength(3);

    const off = await setUp(false);
    await off.invited("Registered", "code-bo");
    expect(await off.invites()).toEqual([]);
    // Turned on later: the users invited meanwhile get it now, once however often it is set.
    expect(await applyInvitationSetting(db(), { spaceId: off.space.id, on: true, now: NOW })).toBe(0);
    await setSendInvitationsToDevices(db(), off.space.id, true);
    expect(await applyInvitationSetting(db(), { spaceId: off.space.id, on: true, now: NOW })).toBe(3);
    expect(await applyInvitationSetting(db(), { spaceId: off.space.id, on: true, now: NOW })).toBe(0);
    expect((await off.invites()).map((c) => c.invitationUrl)).toEqual(Array(3).fill(linkOf("code-bo")));
    // Turned off: what was not delivered is cancelled, saying why.
    await setSendInvitationsToDevices(db(), off.space.id, false);
    expect(await applyInvitationSetting(db(), { spaceId: off.space.id, on: false, now: NOW })).toBe(3);
    expect(new Set((await off.invites()).map((c) => `${c.state}: ${c.lastError}`))).toEqual(
      new Set(["cancelled: invitations to devices turned off"]),
    );
  });

  it("UB2: no invite twice for a device and link, whatever the syncs; a device enrolled later gets its own; acceptance cancels those not delivered, deletion too", async () => {
    const s = await setUp(true);
    await s.invited("Registered", "code-1");
    // The same answer again (every users sync, a notification), and the setting set again.
    await s.invited("Registered", "code-1");
    await applyInvitationSetting(db(), { spaceId: s.space.id, on: true, now: NOW });
    expect(await s.invites()).toHaveLength(3);
    // The MDM took the iPhone's; a new iPad is enrolled for the user, and an Apple TV (no invite).
    const iphoneInvite = (await s.invites()).find((c) => c.deviceId === s.iphone?.id);
    await acknowledgeMdmCommands(db(), { spaceId: s.space.id, seqs: [iphoneInvite?.seq ?? 0], now: NOW });
    const newIpad = await createDevice(db(), {
      spaceId: s.space.id,
      serialNumber: `${s.prefix}IPAD2`,
      platform: "iOS",
      userId: s.user.id,
    });
    await createDevice(db(), {
      spaceId: s.space.id,
      serialNumber: `${s.prefix}TV2`,
      platform: "tvOS",
      userId: s.user.id,
    });
    const withNew = await s.invites();
    expect(withNew).toHaveLength(4);
    expect(withNew.filter((c) => c.deviceId === newIpad.id)).toEqual([
      expect.objectContaining({ state: "pending", invitationUrl: linkOf("code-1") }),
    ]);
    // A device retired (RV1) loses its pending invite.
    await applyEvent(
      { db: db(), now: () => NOW },
      { kind: "device_retired", spaceId: s.space.id, deviceId: s.ipad?.id ?? "" },
      SYSTEM,
    );
    expect((await s.invites()).find((c) => c.deviceId === s.ipad?.id)).toMatchObject({
      state: "cancelled",
      lastError: "device no longer active",
    });

    // A delivered invite of a user still invited is kept by the retention: pruned, it would go again.
    const later = new Date(NOW.getTime() + 3 * 86_400_000);
    await pruneExpired(db(), { ...DEFAULT_RETENTION, finishedMdmCommandDays: 1 }, later);
    expect((await s.invites()).find((c) => c.deviceId === s.iphone?.id)?.state).toBe("delivered");

    // Accepted: the pending ones are cancelled (the MDM polling no longer sees them), the delivered one stays.
    await s.invited("Associated");
    const states = new Map((await s.invites()).map((c) => [c.deviceId, `${c.state}: ${c.lastError ?? ""}`]));
    expect(states.get(s.iphone?.id ?? "")).toBe("delivered: ");
    expect(states.get(s.mac?.id ?? "")).toBe("cancelled: user enrolled");
    expect(states.get(newIpad.id)).toBe("cancelled: user enrolled");
    expect(
      (await listMdmCommands(db(), s.space.id, { ready: true })).filter((c) => c.kind === "invite"),
    ).toEqual([]);

    // Another user of the space, deleted (RV5) before accepting: cancelled too.
    const other = await setUp(true);
    await other.invited("Registered", "code-2");
    await applyEvent(
      { db: db(), now: () => NOW },
      { kind: "user_deleted", spaceId: other.space.id, userId: other.user.id },
      SYSTEM,
    );
    expect(new Set((await other.invites()).map((c) => `${c.state}: ${c.lastError}`))).toEqual(
      new Set(["cancelled: user deleted"]),
    );
  });

  it("UB2: a new link replaces the one not delivered; an invite whose device changed hands meanwhile is cancelled by the delivery, not sent", async () => {
    const s = await setUp(true);
    await s.invited("Registered", "old-code");
    // Retired at Apple, then registered anew: a new invite code, so a new link.
    await s.invited("Retired");
    expect(new Set((await s.invites()).map((c) => c.lastError))).toEqual(new Set(["user retired at Apple"]));
    await s.invited("Registered", "new-code");
    const open = (await s.invites()).filter((c) => c.state === "pending");
    expect(open.map((c) => c.invitationUrl)).toEqual(Array(3).fill(linkOf("new-code")));

    // The Mac given to someone else by a path that says nothing (a direct write): the delivery checks.
    await db()
      .updateTable("devices")
      .set({ user_id: null })
      .where("id", "=", s.mac?.id ?? "")
      .execute();
    const claimed = await claimMdmCommands(db(), { now: NOW, limit: 1000, leaseMs: 60_000 });
    const mine = claimed.filter((c) => c.spaceId === s.space.id);
    expect(mine.map((c) => c.deviceId).sort()).toEqual([s.iphone?.id, s.ipad?.id].map(String).sort());
    expect(
      (await s.invites()).find((c) => c.deviceId === s.mac?.id && c.invitationUrl === linkOf("new-code")),
    ).toMatchObject({
      state: "cancelled",
      lastError: "invitation no longer open",
    });
  });
});
