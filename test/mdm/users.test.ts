import { expect, it } from "vitest";
import { applyEvent, inviteUsers } from "../../src/mdm/index.js";
import { createSpace, createUser, getUser, listOutbox } from "../../src/store/index.js";
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
