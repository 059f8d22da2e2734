import { expect, it } from "vitest";
import { applyEvent, inviteUsers, requestLicense } from "../../src/mdm/index.js";
import {
  createSpace,
  createUser,
  getLicense,
  getUser,
  listOutbox,
  setCatalogApp,
  upsertAsset,
} from "../../src/store/index.js";
import { describeEachDatabase } from "../store/databases.js";
import { accountWithSeats, NOW } from "../store/fixtures.js";

const ADMIN = { kind: "admin", id: "admin-1" } as const;

describeEachDatabase("Apps and Books users", (database) => {
  const deps = () => ({ db: database().store.db, now: () => NOW });

  it("UB2: inviting a user gives them a clientUserId and registers them at Apple in every usable account", async () => {
    const { db, keys } = database().store;
    const space = await createSpace(db, { name: "ub2" });
    await expect(
      inviteUsers(deps(), { spaceId: space.id, userIds: ["x"], actor: ADMIN }),
    ).rejects.toMatchObject({
      code: "invalid_request",
    });
    await accountWithSeats(db, keys, { spaceId: space.id, adamId: "300000001", total: 5 });
    await accountWithSeats(db, keys, { spaceId: space.id, adamId: "300000001", total: 5 });
    const ada = await createUser(db, { spaceId: space.id, name: "Ada", email: "ada@example.com" });
    const enrolled = await createUser(db, {
      spaceId: space.id,
      name: "Eve",
      appleStatus: "Associated",
      appleClientUserId: "eve",
    });
    const result = await inviteUsers(deps(), {
      spaceId: space.id,
      userIds: [ada.id, enrolled.id, ada.id],
      actor: ADMIN,
    });
    expect(result).toEqual({ invited: 1, accounts: 2 });
    const clientUserId = (await getUser(db, space.id, ada.id)).appleClientUserId;
    expect(clientUserId).toMatch(/^orchard-/);
    const outbox = await listOutbox(db, { spaceId: space.id, kind: "create_user" });
    expect(outbox.map((o) => o.clientUserId)).toEqual([clientUserId, clientUserId]);
    // Inviting again keeps the same id (Apple would otherwise see a second person).
    await inviteUsers(deps(), { spaceId: space.id, userIds: [ada.id], actor: ADMIN });
    expect((await getUser(db, space.id, ada.id)).appleClientUserId).toBe(clientUserId);
  });

  it("UB2: an invitation sent again while Apple registers the user registers them only in an account added since", async () => {
    const { db, keys } = database().store;
    const space = await createSpace(db, { name: "ub2-again" });
    const first = await accountWithSeats(db, keys, { spaceId: space.id, adamId: "300000003", total: 5 });
    const ada = await createUser(db, { spaceId: space.id, name: "Ada" });
    expect(await inviteUsers(deps(), { spaceId: space.id, userIds: [ada.id], actor: ADMIN })).toEqual({
      invited: 1,
      accounts: 1,
    });
    // A retry: the registration in the first account is still pending.
    expect(await inviteUsers(deps(), { spaceId: space.id, userIds: [ada.id], actor: ADMIN })).toEqual({
      invited: 0,
      accounts: 1,
    });
    const second = await accountWithSeats(db, keys, { spaceId: space.id, adamId: "300000003", total: 5 });
    expect(await inviteUsers(deps(), { spaceId: space.id, userIds: [ada.id], actor: ADMIN })).toEqual({
      invited: 1,
      accounts: 2,
    });
    const outbox = await listOutbox(db, { spaceId: space.id, kind: "create_user" });
    expect(outbox.map((o) => o.accountId).sort()).toEqual([first.account.id, second.account.id].sort());
  });

  it("RV5: deleting a user retires them at Apple in every account", async () => {
    const { db, keys } = database().store;
    const space = await createSpace(db, { name: "rv5" });
    await accountWithSeats(db, keys, { spaceId: space.id, adamId: "300000002", total: 5 });
    const bob = await createUser(db, { spaceId: space.id, name: "Bob", appleClientUserId: "bob-client" });
    await applyEvent(deps(), { kind: "user_deleted", spaceId: space.id, userId: bob.id }, ADMIN);
    const retire = await listOutbox(db, { spaceId: space.id, kind: "retire_user" });
    expect(retire.map((o) => o.clientUserId)).toEqual(["bob-client"]);
  });
});

describeEachDatabase("books", (database) => {
  it("RV5: a book (Apple: not revocable) stays with its holder when the user is deleted; apps are released", async () => {
    const { db, keys } = database().store;
    const deps = { db, now: () => NOW };
    const space = await createSpace(db, { name: "books" });
    const { account } = await accountWithSeats(db, keys, {
      spaceId: space.id,
      adamId: "300000003",
      total: 5,
    });
    await upsertAsset(
      db,
      {
        spaceId: space.id,
        accountId: account.id,
        adamId: "300000004",
        pricingParam: "STDQ",
        productType: "Book",
        total: 5,
        deviceAssignable: false,
        revocable: false,
        platforms: ["iOS"],
      },
      NOW,
    );
    for (const adamId of ["300000003", "300000004"])
      await setCatalogApp(db, { spaceId: space.id, adamId }, NOW);
    const ada = await createUser(db, {
      spaceId: space.id,
      name: "Ada",
      appleStatus: "Associated",
      appleClientUserId: "ada",
    });
    const app = await requestLicense(deps, {
      spaceId: space.id,
      adamId: "300000003",
      subject: { kind: "user", userId: ada.id },
      why: "requested",
      actor: ADMIN,
    });
    const book = await requestLicense(deps, {
      spaceId: space.id,
      adamId: "300000004",
      subject: { kind: "user", userId: ada.id },
      why: "requested",
      actor: ADMIN,
    });
    expect(book.decision).toMatchObject({ outcome: "grant", type: "user" });
    const c = await applyEvent(deps, { kind: "user_deleted", spaceId: space.id, userId: ada.id }, ADMIN);
    expect(c.releases.map((r) => r.licenseId)).toEqual([app.licenseId]);
    expect((await getLicense(db, space.id, book.licenseId ?? "")).state).toBe("pending_assign");
  });
});
