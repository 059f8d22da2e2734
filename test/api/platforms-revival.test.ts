import { expect, it } from "vitest";
import { getLicense, insertLicenses, markAssigned } from "../../src/store/index.js";
import { describeEachDatabase } from "../store/databases.js";
import { auth, buildFixture, type Fixture, NOW } from "./harness.js";

/**
 * The MDM's side of PB3 (an app Apple lists for iOS only is neither licensed nor asked for on
 * a Mac, an Apple TV or a watch) and of devices set up again after a wipe (RV1).
 */
describeEachDatabase("MDM: platforms (PB3) and devices set up again (RV1)", (db) => {
  let f: Fixture;
  const send = (
    method: "GET" | "POST" | "PUT" | "DELETE",
    url: string,
    payload?: object,
    headers: Record<string, string> = {},
  ) =>
    f.app.inject({
      method,
      url,
      headers: { ...auth(f.tokens.write), ...headers },
      ...(payload ? { payload } : {}),
    });
  const s = () => `/api/v1/spaces/${f.ids.spaceA}`;
  const serial = (prefix: string) => `${prefix}${f.ids.suffix}`.toUpperCase();
  const pendingCommands = async (deviceId: string) =>
    (await send("GET", `${s()}/mdm/commands?state=pending&device=${deviceId}`)).json().items as unknown[];
  const activityOf = async (deviceId: string) =>
    (await send("GET", `${s()}/activity?device=${deviceId}&pageSize=100`)).json().items as Array<{
      action: string;
      messageKey?: string;
      ruleIds: string[];
    }>;

  it("PB3: with All Users FCFS, a check-in of a Mac, an Apple TV or a watch does not ask for an iOS-only mandatory app; an iPhone's does", async () => {
    f = await buildFixture(db().store);
    // The fixture's app (Pages) is iOS-only, as Apple's supportedPlatforms ["iOS"] says.
    expect((await send("PUT", `${s()}/catalog/${f.ids.adamId}`, { installOnDevice: true })).statusCode).toBe(
      200,
    );
    for (const platform of ["macOS", "tvOS", "watchOS"] as const) {
      const created = await send("POST", `${s()}/devices`, { serialNumber: serial(platform), platform });
      expect(created.statusCode, created.body).toBe(201);
      const r = await send("POST", `${s()}/mdm/check-in`, {
        serialNumber: serial(platform),
        installed: [{ bundleId: "com.apple.iwork.pages", adamId: f.ids.adamId }],
      });
      expect(r.statusCode, r.body).toBe(200);
      expect(r.json().decisions, platform).toEqual([]);
      const deviceId = created.json().id as string;
      expect(await pendingCommands(deviceId), platform).toEqual([]);
      // No refusal noise: nothing about the app is logged for the device.
      expect(await activityOf(deviceId), platform).toEqual([]);
      const licenses = await send("GET", `${s()}/licenses?device=${deviceId}`);
      expect(licenses.json().items, platform).toEqual([]);
    }
    await send("POST", `${s()}/devices`, { serialNumber: serial("IPHONE"), platform: "iOS" });
    const iphone = await send("POST", `${s()}/mdm/check-in`, { serialNumber: serial("IPHONE") });
    expect(iphone.json().decisions).toEqual([
      expect.objectContaining({ adamId: f.ids.adamId, outcome: "grant", installQueued: true }),
    ]);
  });

  it("PB3: explain says why in English and French: refused on a Mac, no account walked", async () => {
    const mac = (await send("GET", `${s()}/devices?serial=${serial("macOS")}`)).json().items[0];
    const url = `${s()}/explain?app=${f.ids.adamId}&device=${mac.id}&why=mandatory`;
    const en = await send("GET", url);
    expect(en.statusCode, en.body).toBe(200);
    expect(en.json()).toMatchObject({
      outcome: "refuse",
      decision: { outcome: "refuse", reason: "unsupported_platform", because: ["PB3"] },
      summary: "No license: the app does not run on this device's platform.",
      rules: [
        {
          id: "PB3",
          sentence:
            "A device gets no license for an app Apple does not list for its platform; a license it holds already is kept.",
        },
      ],
      accounts: [],
    });
    const fr = await send("GET", url, undefined, { "accept-language": "fr-FR" });
    expect(fr.json().summary).toBe(
      "Pas de licence\u00a0: l'app ne fonctionne pas sur la plateforme de cet appareil.",
    );
    expect(fr.json().rules[0].sentence).toMatch(/^Un appareil ne reçoit aucune licence/);
  });

  it("PB3: a license a Mac held before is not revoked: its check-in leaves it alone, explain shows it kept on an unsupported platform", async () => {
    const created = await send("POST", `${s()}/devices`, {
      serialNumber: serial("OLDMAC"),
      platform: "macOS",
    });
    const macId = created.json().id as string;
    const [licenseId] = await insertLicenses(db().store.db, [
      {
        spaceId: f.ids.spaceA,
        accountId: f.ids.accountA,
        adamId: f.ids.adamId,
        type: "device",
        deviceId: macId,
        state: "assigned",
        ruleIds: ["MA1", "DI2", "LT1", "DB1"],
        now: NOW,
      },
    ]);
    const r = await send("POST", `${s()}/mdm/check-in`, { serialNumber: serial("OLDMAC") });
    expect(r.json().decisions).toEqual([]);
    expect((await getLicense(db().store.db, f.ids.spaceA, licenseId ?? "")).state).toBe("assigned");
    const explained = await send("GET", `${s()}/explain?app=${f.ids.adamId}&device=${macId}`);
    expect(explained.json()).toMatchObject({
      outcome: "keep",
      whyFrom: "license",
      decision: { outcome: "keep", licenseId, because: ["LT1", "PB3"] },
      summary:
        'The subject already holds a device-based license from account "Main" and keeps it. The app does not run on this device\'s platform: the license is kept, not revoked.',
    });
    expect(explained.json().rules.map((rule: { id: string }) => rule.id)).toEqual(["LT1", "PB3"]);
  });

  it("RV1: a wiped iPad set up again checks in and gets apps again: active, logged, a new license and its install", async () => {
    const created = await send("POST", `${s()}/devices`, { serialNumber: serial("CART01"), platform: "iOS" });
    const ipadId = created.json().id as string;
    const first = await send("POST", `${s()}/mdm/check-in`, { serialNumber: serial("CART01") });
    const oldLicense = first.json().decisions[0].licenseId as string;
    await markAssigned(db().store.db, {
      spaceId: f.ids.spaceA,
      licenseIds: [oldLicense],
      actor: { kind: "apple" },
      now: NOW,
    });
    const wiped = await send("POST", `${s()}/devices/${ipadId}/events`, { kind: "wiped" });
    expect(wiped.json().releases).toEqual([expect.objectContaining({ licenseId: oldLicense })]);
    // Before the fix every decision of a wiped device was `refuse device_inactive`.
    const again = await send("POST", `${s()}/mdm/check-in`, { serialNumber: serial("cart01") });
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json().decisions).toEqual([
      expect.objectContaining({ adamId: f.ids.adamId, outcome: "grant", installQueued: true }),
    ]);
    expect(again.json().decisions[0].licenseId).not.toBe(oldLicense);
    expect((await getLicense(db().store.db, f.ids.spaceA, oldLicense)).state).not.toBe("assigned");
    expect((await send("GET", `${s()}/devices/${ipadId}`)).json().status).toBe("active");
    expect(await activityOf(ipadId)).toContainEqual(
      expect.objectContaining({
        action: "mdm.device_enrolled",
        messageKey: "device.active_at_check_in",
        ruleIds: ["RV1"],
      }),
    );
  });

  it("RV1: the `enrolled` event makes a wiped device active again, once; an unknown device is a 404", async () => {
    const ipad = (await send("GET", `${s()}/devices/serial:${serial("CART01")}`)).json();
    await send("POST", `${s()}/devices/${ipad.id}/events`, { kind: "wiped" });
    for (const [attempt, previousStatus] of [
      [1, "wiped"],
      [2, "active"],
    ] as const) {
      const r = await send("POST", `${s()}/devices/serial:${serial("cart01")}/events`, { kind: "enrolled" });
      expect(r.statusCode, `${attempt} ${r.body}`).toBe(200);
      expect(r.json()).toEqual({ releases: [], commands: [], status: "active", previousStatus });
    }
    expect((await send("GET", `${s()}/devices/${ipad.id}`)).json().status).toBe("active");
    const enrolled = (await activityOf(ipad.id)).filter((a) => a.messageKey === "mdm.device_enrolled");
    expect(enrolled).toEqual([expect.objectContaining({ action: "mdm.device_enrolled", ruleIds: ["RV1"] })]);
    const unknown = await send("POST", `${s()}/devices/nope-device/events`, { kind: "enrolled" });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.headers["content-type"]).toMatch(/problem\+json/);
  });

  it("RV1: POST of the serial of a deleted device kept for its history sets it up again (200, same id); of an active one it is a 409", async () => {
    const ipad = (await send("GET", `${s()}/devices/serial:${serial("CART01")}`)).json();
    // Its licenses' history keeps the row: deleting it leaves it unenrolled.
    expect((await send("DELETE", `${s()}/devices/${ipad.id}`)).statusCode).toBe(204);
    expect((await send("GET", `${s()}/devices/${ipad.id}`)).json().status).toBe("unenrolled");
    const again = await send("POST", `${s()}/devices`, {
      serialNumber: ` ${serial("cart01").toLowerCase()} `,
      platform: "iOS",
      supervised: true,
      userId: f.ids.userA,
    });
    expect(again.statusCode, again.body).toBe(200);
    expect(again.headers.location).toMatch(new RegExp(`/devices/${ipad.id}$`));
    expect(again.json()).toMatchObject({
      id: ipad.id,
      serialNumber: serial("CART01"),
      status: "active",
      supervised: true,
      userId: f.ids.userA,
    });
    expect((await activityOf(ipad.id)).map((a) => a.messageKey)).toContain("device.created_again");
    const taken = await send("POST", `${s()}/devices`, { serialNumber: serial("CART01"), platform: "iOS" });
    expect(taken.statusCode).toBe(409);
    expect(taken.headers["content-type"]).toMatch(/problem\+json/);
  });
});
