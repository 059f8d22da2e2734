import { afterAll, beforeAll, expect, it } from "vitest";
import { type RunningSimulator, startSimulator } from "../../src/simulator/index.js";
import { createDevices, insertLicenses, listAccounts } from "../../src/store/index.js";
import { describeEachDatabase } from "../store/databases.js";
import { auth, buildFixture, type Fixture, NOW, syncAccounts } from "./harness.js";

/**
 * AC5 over the API: DELETE …/accounts/:id answers 204, or, asked with `Prefer:
 * return=representation` (RFC 7240), 200 with what the deletion did: how many licenses went
 * and how many a failed token left assigned at Apple, for Apple Business Manager.
 */
describeEachDatabase("DELETE an account: what it did, when asked (AC5)", (db) => {
  let f: Fixture;
  let sim: RunningSimulator;
  const adamId = "909090901";
  const s = () => `/api/v1/spaces/${f.ids.spaceA}`;

  beforeAll(async () => {
    sim = await startSimulator({ port: 0, now: () => NOW, enforceRateLimit: false });
    const apple = sim.url;
    f = await buildFixture(db().store, {
      accounts: syncAccounts(apple),
    });
  });

  afterAll(async () => {
    await sim?.close();
  });

  /** An account of its own Apple location, with `held` device licenses Apple holds. */
  async function accountHolding(name: string, held: number) {
    const loc = sim.operator.createLocation({ orgName: "Acme", locationName: name });
    sim.operator.addAsset(loc.uId, { adamId, totalCount: 10, supportedPlatforms: ["iOS"] });
    const added = await f.app.inject({
      method: "POST",
      url: `${s()}/accounts`,
      headers: auth(f.tokens.write),
      payload: { name, sToken: loc.sToken },
    });
    expect(added.statusCode, added.body).toBe(201);
    const account = added.json() as { id: string };
    const devices = await createDevices(
      db().store.db,
      Array.from({ length: held }, (_, i) => ({
        spaceId: f.ids.spaceA,
        serialNumber: `DEL${name.toUpperCase()}${f.ids.suffix}${i}`.replace(/[^A-Z0-9]/g, "").slice(0, 20),
        platform: "iOS" as const,
      })),
    );
    await insertLicenses(
      db().store.db,
      devices.map((d) => ({
        spaceId: f.ids.spaceA,
        accountId: account.id,
        adamId,
        type: "device" as const,
        deviceId: d.id,
        state: "assigned" as const,
        now: NOW,
      })),
    );
    return { account, loc };
  }

  const remove = (accountId: string, name: string, prefer?: string) =>
    f.app.inject({
      method: "DELETE",
      url: `${s()}/accounts/${accountId}?confirm=${encodeURIComponent(name)}`,
      headers: { ...auth(f.tokens.write), ...(prefer ? { prefer } : {}) },
    });

  const accountNames = async () =>
    (await listAccounts(db().store.db, f.ids.spaceA)).map((a) => a.displayName);

  it("AC5: with Prefer: return=representation, 200 with the licenses released, all at Apple; Preference-Applied says so", async () => {
    const { account } = await accountHolding("Healthy", 2);
    const gone = await remove(account.id, "Healthy", "return=representation");
    expect(gone.statusCode, gone.body).toBe(200);
    expect(gone.headers["preference-applied"]).toBe("return=representation");
    expect(gone.json()).toEqual({ released: 2, releasedAtApple: true, stillAtApple: 0 });
    expect(await accountNames()).not.toContain("Healthy");
  });

  it("AC5: a token Apple revoked releases nothing at Apple: the answer counts the licenses left there", async () => {
    const { account, loc } = await accountHolding("Revoked", 3);
    sim.operator.revokeToken(loc.uId);
    // Among other preferences, with parameters and another case: still understood.
    const gone = await remove(account.id, "Revoked", "respond-async, Return=Representation; foo=bar");
    expect(gone.statusCode, gone.body).toBe(200);
    expect(gone.json()).toEqual({ released: 3, releasedAtApple: false, stillAtApple: 3 });
    expect(await accountNames()).not.toContain("Revoked");
  });

  it("AC5: without the preference (or with return=minimal), 204 and no body, as before", async () => {
    for (const [name, prefer] of [
      ["Plain", undefined],
      ["Minimal", "return=minimal"],
    ] as const) {
      const { account } = await accountHolding(name, 1);
      const gone = await remove(account.id, name, prefer);
      expect(gone.statusCode, gone.body).toBe(204);
      expect(gone.body).toBe("");
      expect(gone.headers["preference-applied"]).toBeUndefined();
      expect(await accountNames()).not.toContain(name);
    }
  });

  it("AC5: a wrong confirmation is a 422 whatever is preferred, and nothing is deleted", async () => {
    const { account } = await accountHolding("Kept", 1);
    const refused = await remove(account.id, "kept", "return=representation");
    expect(refused.statusCode).toBe(422);
    expect(refused.headers["content-type"]).toMatch(/application\/problem\+json/);
    expect(refused.json().code).toBe("confirmation_mismatch");
    expect(await accountNames()).toContain("Kept");
  });
});
