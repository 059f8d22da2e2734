import { randomBytes } from "node:crypto";
import { sql } from "kysely";
import { expect, it } from "vitest";
import {
  createAccount,
  createSpace,
  listAccounts,
  listLicensesForApp,
  listOutbox,
  makeKeyRing,
  parseSecretKey,
  replaceSToken,
  requestLicenses,
  revealSToken,
  setAccountPriority,
} from "../../src/store/index.js";
import { setAccountSettings } from "../../src/store/sync-accounts.repo.js";
import { describeEachDatabase } from "./databases.js";
import { accountWithSeats, devices, NOW, SYSTEM, spaceWithApp } from "./fixtures.js";

describeEachDatabase("accounts", (database) => {
  it("stores the sToken encrypted: the raw row never holds the plain text (invariant 5)", async () => {
    const { db, keys } = database().store;
    const space = await createSpace(db, { name: "s" });
    const sToken = `plain-stoken-${randomBytes(8).toString("hex")}`;
    const account = await createAccount(db, keys, { spaceId: space.id, displayName: "Main", sToken });
    expect(JSON.stringify(account)).not.toContain(sToken);
    const { rows } = await sql<
      Record<string, unknown>
    >`select * from accounts where id = ${account.id}`.execute(db);
    expect(JSON.stringify(rows)).not.toContain(sToken);
    expect(await revealSToken(db, account.id, keys)).toBe(sToken);
    const wrong = makeKeyRing(parseSecretKey(randomBytes(32).toString("base64")));
    await expect(revealSToken(db, account.id, wrong)).rejects.toMatchObject({ code: "secret_unreadable" });
  });

  it("MA6: a new account is added last; moving one to k shifts the others; a position past the last is refused", async () => {
    const { db, keys } = database().store;
    const space = await createSpace(db, { name: "s" });
    const names = ["A", "B", "C", "D"];
    for (const displayName of names)
      await createAccount(db, keys, { spaceId: space.id, displayName, sToken: "t" });
    const order = async () => (await listAccounts(db, space.id)).map((a) => `${a.priority}${a.displayName}`);
    expect(await order()).toEqual(["1A", "2B", "3C", "4D"]);
    const d = (await listAccounts(db, space.id)).find((a) => a.displayName === "D");
    await setAccountPriority(db, space.id, d?.id ?? "", 2);
    expect(await order()).toEqual(["1A", "2D", "3B", "4C"]);
    const a = (await listAccounts(db, space.id)).find((x) => x.displayName === "A");
    // A position past the last is refused (not clamped), and nothing moves.
    await expect(setAccountPriority(db, space.id, a?.id ?? "", 99)).rejects.toMatchObject({
      code: "invalid_priority",
    });
    expect(await order()).toEqual(["1A", "2D", "3B", "4C"]);
    await setAccountPriority(db, space.id, a?.id ?? "", 4);
    expect(await order()).toEqual(["1D", "2B", "3C", "4A"]);
    await expect(setAccountPriority(db, space.id, "nope", 1)).rejects.toMatchObject({ code: "not_found" });
    await expect(setAccountPriority(db, space.id, a?.id ?? "", 0)).rejects.toMatchObject({
      code: "invalid_priority",
    });
  });

  it("CA2: display names are unique in a space, case and outer spaces aside; another space may reuse one", async () => {
    const { db, keys } = database().store;
    const space = await createSpace(db, { name: "names" });
    const other = await createSpace(db, { name: "names elsewhere" });
    const north = await createAccount(db, keys, {
      spaceId: space.id,
      displayName: "North Campus",
      sToken: "t",
    });
    const taken = expect.objectContaining({ code: "duplicate_name", details: { field: "displayName" } });
    await expect(
      createAccount(db, keys, { spaceId: space.id, displayName: " north campus ", sToken: "t" }),
    ).rejects.toEqual(taken);
    await createAccount(db, keys, { spaceId: other.id, displayName: "North Campus", sToken: "t" });
    const south = await createAccount(db, keys, {
      spaceId: space.id,
      displayName: "South Campus",
      sToken: "t",
    });
    // Renamed by a token update (AC2) or the account's settings: the same rule, itself aside.
    await expect(
      replaceSToken(db, keys, {
        spaceId: space.id,
        id: south.id,
        sToken: "t2",
        displayName: "NORTH CAMPUS",
        now: NOW,
      }),
    ).rejects.toEqual(taken);
    await expect(
      setAccountSettings(db, { spaceId: space.id, id: south.id, displayName: "North Campus", now: NOW }),
    ).rejects.toEqual(taken);
    await setAccountSettings(db, { spaceId: space.id, id: north.id, displayName: "North campus", now: NOW });
    // Two at once under one name: one wins (the space's row lock), the other is told.
    const both = await Promise.allSettled(
      ["East", "east"].map((displayName) =>
        createAccount(db, keys, { spaceId: space.id, displayName, sToken: "t" }),
      ),
    );
    expect(both.map((r) => r.status).sort()).toEqual(["fulfilled", "rejected"]);
    const winner = both.flatMap((r) => (r.status === "fulfilled" ? [r.value.displayName] : []));
    expect((await listAccounts(db, space.id)).map((a) => a.displayName)).toEqual([
      "North campus",
      "South Campus",
      ...winner,
    ]);
  });

  it("MA6: two accounts created at once never share a priority", async () => {
    const { db, keys } = database().store;
    const space = await createSpace(db, { name: "s" });
    await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        createAccount(db, keys, { spaceId: space.id, displayName: `x${i}`, sToken: "t" }),
      ),
    );
    expect((await listAccounts(db, space.id)).map((a) => a.priority)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it("MA3: changing the priority revokes nothing; only the next license comes from the new first account", async () => {
    const { db, keys } = database().store;
    const { space, adamId } = await spaceWithApp(db);
    const first = await accountWithSeats(db, keys, { spaceId: space.id, adamId, total: 5 });
    const second = await accountWithSeats(db, keys, { spaceId: space.id, adamId, total: 5 });
    const [d1, d2] = await devices(db, space.id, 2);
    const request = (deviceId: string) => ({
      spaceId: space.id,
      adamId,
      subject: { kind: "device" as const, deviceId },
      why: "mandatory" as const,
    });
    const [before] = await requestLicenses(db, {
      spaceId: space.id,
      adamId,
      requests: [request(d1?.id ?? "")],
      actor: SYSTEM,
      now: NOW,
    });
    expect(before?.decision).toMatchObject({ outcome: "grant", accountId: first.account.id });

    await setAccountPriority(db, space.id, second.account.id, 1);

    const licenses = await listLicensesForApp(db, space.id, adamId);
    expect(licenses.map((l) => [l.accountId, l.state])).toEqual([[first.account.id, "pending_assign"]]);
    expect(await listOutbox(db, { spaceId: space.id, kind: "disassociate" })).toEqual([]);
    const [after] = await requestLicenses(db, {
      spaceId: space.id,
      adamId,
      requests: [request(d2?.id ?? "")],
      actor: SYSTEM,
      now: NOW,
    });
    expect(after?.decision).toMatchObject({ outcome: "grant", accountId: second.account.id });
  });
});
