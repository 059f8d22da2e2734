import { randomUUID } from "node:crypto";
import { expect, it } from "vitest";
import { deliverMdmCommands } from "../../src/mdm/deliver.js";
import { createWebhookSink } from "../../src/mdm/sinks.js";
import { createUser } from "../../src/store/index.js";
import { recordInvitationTemplate } from "../../src/store/invitations.repo.js";
import { applyAppleUsers } from "../../src/store/sync-users.repo.js";
import { SIGNATURE_HEADER, verifyWebhookSignature } from "../../src/webhook.js";
import { describeEachDatabase } from "../store/databases.js";
import { auth, buildFixture, type Fixture, NOW } from "./harness.js";

const TEMPLATE =
  "https://buy.itunes.apple.com/WebObjects/MZFinance.woa/wa/associateVPPUserWithITSAccount?inviteCode=%25inviteCode%25&mt=8";
const LINK =
  "https://buy.itunes.apple.com/WebObjects/MZFinance.woa/wa/associateVPPUserWithITSAccount?inviteCode=c0de&mt=8";

/**
 * UB2 through the API: the space's `sendInvitationsToDevices`, and the `invite` commands an
 * MDM polls (GET mdm/commands) or receives (the webhook), each with Apple's link.
 */
describeEachDatabase("API: invitations sent to devices through the MDM", (db) => {
  let f: Fixture;
  const s = () => `/api/v1/spaces/${f.ids.spaceA}`;
  const send = (method: "GET" | "POST" | "PATCH", url: string, payload?: object, token?: string) =>
    f.app.inject({ method, url, headers: auth(token ?? f.tokens.write), ...(payload ? { payload } : {}) });

  it("UB2: with sendInvitationsToDevices on, an invited user's iPhones and Mac are listed as invite commands with invitationUrl, ready, once each; the webhook carries them signed", async () => {
    f = await buildFixture(db().store);
    const store = db().store.db;
    // The setting: off by default, a boolean only, written by the write role.
    expect((await send("GET", s())).json().sendInvitationsToDevices).toBe(false);
    const bad = await send("PATCH", s(), { sendInvitationsToDevices: "yes" });
    expect(bad.statusCode).toBe(400);
    expect(bad.headers["content-type"]).toContain("application/problem+json");
    expect(bad.json().errors?.[0]?.field).toBe("body.sendInvitationsToDevices");
    expect((await send("PATCH", s(), { sendInvitationsToDevices: true }, f.tokens.read)).statusCode).toBe(
      403,
    );
    const on = await send("PATCH", s(), { sendInvitationsToDevices: true });
    expect(on.statusCode).toBe(200);
    expect(on.json()).toMatchObject({ sendInvitationsToDevices: true, registerWaitingUsers: false });

    await recordInvitationTemplate(store, { spaceId: f.ids.spaceA, id: f.ids.accountA }, TEMPLATE);
    const clientUserId = `orchard-${randomUUID()}`;
    const ada = await createUser(store, {
      spaceId: f.ids.spaceA,
      name: "Ada",
      appleClientUserId: clientUserId,
    });
    const device = async (serialNumber: string, platform: string) =>
      (await send("POST", `${s()}/devices`, { serialNumber, platform, userId: ada.id })).json();
    const iphone = await device(`P1-${f.ids.suffix}`, "iOS");
    const ipad = await device(`P2-${f.ids.suffix}`, "iOS");
    const mac = await device(`M1-${f.ids.suffix}`, "macOS");
    await device(`W1-${f.ids.suffix}`, "watchOS");
    const registered = () =>
      applyAppleUsers(store, f.ids.spaceA, [{ clientUserId, status: "Registered", inviteCode: "c0de" }], NOW);
    await registered();
    await registered(); // the next sync says the same: nothing more

    const invites = async (query = "ready=true") =>
      (await send("GET", `${s()}/mdm/commands?${query}`, undefined, f.tokens.read))
        .json()
        .items.filter((c: { kind: string }) => c.kind === "invite");
    const listed = await invites();
    expect(listed.map((c: { deviceId: string }) => c.deviceId).sort()).toEqual(
      [iphone.id, ipad.id, mac.id].sort(),
    );
    for (const c of listed)
      expect(c).toMatchObject({
        kind: "invite",
        adamId: null,
        userId: ada.id,
        invitationUrl: LINK,
        because: ["UB2"],
        state: "pending",
        awaitingLicense: false,
        platform: c.deviceId === mac.id ? "macOS" : "iOS",
      });
    // The console's list names no app for them.
    const overview = (
      await send("GET", `${s()}/mdm/commands/overview?pageSize=100`, undefined, f.tokens.read)
    ).json();
    const row = overview.items.find((c: { kind: string }) => c.kind === "invite");
    expect(row).toMatchObject({ adamId: null, invitationUrl: LINK });
    expect(row).not.toHaveProperty("appName");

    // The webhook: the same commands, signed, with the link.
    const bodies: Array<{ header: string; body: string }> = [];
    const sink = createWebhookSink({
      url: "https://mdm.example/hook",
      secret: "whsec-invite",
      now: () => NOW,
      fetch: async (_url, init) => {
        bodies.push({ header: init.headers[SIGNATURE_HEADER] ?? "", body: init.body });
        return { status: 200, ok: true };
      },
    });
    await deliverMdmCommands({ db: store, now: () => NOW }, sink);
    const [posted] = bodies;
    if (!posted) throw new Error("nothing posted");
    expect(
      verifyWebhookSignature({ header: posted.header, body: posted.body, secret: "whsec-invite", now: NOW }),
    ).toBe(true);
    const pushed = JSON.parse(posted.body).commands.filter((c: { kind: string }) => c.kind === "invite");
    expect(pushed).toHaveLength(3);
    expect(pushed[0]).toMatchObject({
      kind: "invite",
      adamId: null,
      userId: ada.id,
      invitationUrl: LINK,
      because: ["UB2"],
    });
    expect(await invites()).toEqual([]);
    expect(await invites("state=delivered")).toHaveLength(3);

    // A device enrolled later gets its own; those delivered are not sent again.
    const later = await device(`P3-${f.ids.suffix}`, "iOS");
    expect((await invites()).map((c: { deviceId: string }) => c.deviceId)).toEqual([later.id]);
  });
});
