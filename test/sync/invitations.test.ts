import { afterAll, beforeAll, expect, it } from "vitest";
import { inviteUsers } from "../../src/mdm/index.js";
import {
  createUser,
  getUser,
  listOutbox,
  listWaitingRequests,
  requestLicenses,
  setRegisterWaitingUsers,
} from "../../src/store/index.js";
import { registrationsOfIds } from "../../src/store/invitations.repo.js";
import { addAccount, startWorker, syncAccount } from "../../src/sync/index.js";
import { registerWaitingUsers } from "../../src/sync/invitations.js";
import { describeEachDatabase } from "../store/databases.js";
import { ADMIN, newAdamId, spaceWithApps } from "./fixtures.js";
import { appleSubjects, drain, type Harness, startHarness } from "./harness.js";

/**
 * UB2, UB4 against the simulator: a user Orchard invites is registered at Apple, which
 * gives them an inviteCode; Orchard's invitation link (Apple's invitationEmail template of
 * /service/config with that code) is the one the user opens; once they accept, the request
 * that waited for their enrolment is served, whether Apple's USER_ASSOCIATED notification
 * or a users sync tells Orchard. A space may register waiting users on its own.
 */
for (const notifications of [true, false]) {
  const told = notifications ? "USER_ASSOCIATED" : "a users sync";
  describeEachDatabase(`invitations, told by ${told}`, (tdb) => {
    let h: Harness;
    beforeAll(async () => {
      h = await startHarness(tdb(), { notifications });
    });
    afterAll(async () => {
      await h?.close();
    });
    const db = () => tdb().store.db;

    /** An app of the location in the space's catalog, requested (DI2: user-based under All Users' FCFS, AC1). */
    async function setUp() {
      const adamId = newAdamId();
      const loc = h.newLocation();
      h.sim.operator.addAsset(loc.uId, { adamId, totalCount: 5, supportedPlatforms: ["iOS"] });
      const space = await spaceWithApps(db(), [adamId], false);
      const { account } = await addAccount(h.deps, {
        spaceId: space.id,
        name: "Main",
        sTokenFile: loc.sToken,
        actor: ADMIN,
      });
      return { adamId, loc, space, account };
    }

    async function waitsForEnrolment(spaceId: string, adamId: string, userId: string) {
      const [result] = await requestLicenses(db(), {
        spaceId,
        adamId,
        requests: [{ spaceId, adamId, subject: { kind: "user", userId }, why: "requested" }],
        actor: ADMIN,
        now: new Date(),
      });
      expect(result?.decision).toMatchObject({ outcome: "wait", reason: "not_enrolled", because: ["UB2"] });
    }

    it(`UB2, UB4, DI2: an invited user opens Apple's invitation link, and the request that waited is served (${told})`, async () => {
      const { adamId, loc, space, account } = await setUp();
      const ada = await createUser(db(), { spaceId: space.id, name: "Ada", email: "ada@example.com" });
      await waitsForEnrolment(space.id, adamId, ada.id);

      expect(await inviteUsers(h.deps, { spaceId: space.id, userIds: [ada.id], actor: ADMIN })).toEqual({
        invited: 1,
        accounts: 1,
      });
      expect((await registrationsOfIds(db(), space.id, [ada.id])).get(ada.id)).toEqual({
        registration: "registering",
      });
      await drain(h);
      await h.sim.operator.idle();
      // Without notifications, the next sync reads Apple's users (Registered, with the inviteCode).
      if (!notifications)
        await syncAccount(h.deps, { spaceId: space.id, accountId: account.id, mode: "incremental" });
      const invited = (await registrationsOfIds(db(), space.id, [ada.id])).get(ada.id);
      expect(invited?.registration).toBe("invited");
      const code = (await getUser(db(), space.id, ada.id)).inviteCode ?? "";
      expect(code).toMatch(/^[0-9a-f]{32}$/);
      // The simulator's invitationEmail, as /service/config gives it, with the code in place of %25inviteCode%25.
      expect(invited?.invitationUrl).toBe(
        `${new URL(h.sim.url).origin}/operator/invitations/accept?inviteCode=${code}&mt=8`,
      );
      expect(await listWaitingRequests(db(), space.id, adamId)).toHaveLength(1);

      // The user opens the link (the simulator's page stands for Apple's): Associated at Apple.
      const opened = await fetch(invited?.invitationUrl ?? "");
      expect(opened.status).toBe(200);
      await h.sim.operator.idle();
      if (!notifications) {
        expect(await listWaitingRequests(db(), space.id, adamId)).toHaveLength(1); // nobody told Orchard yet
        await syncAccount(h.deps, { spaceId: space.id, accountId: account.id, mode: "incremental" });
      }
      expect((await registrationsOfIds(db(), space.id, [ada.id])).get(ada.id)).toEqual({
        registration: "enrolled",
      });
      // UB4: served at once; the license reaches Apple for the user's clientUserId.
      expect(await listWaitingRequests(db(), space.id, adamId)).toHaveLength(0);
      await drain(h);
      const { appleClientUserId } = await getUser(db(), space.id, ada.id);
      expect(appleSubjects(h.sim, loc.uId, adamId)).toEqual([`u:${appleClientUserId}`]);
    });

    it(`UB2, UB3: with registerWaitingUsers on, a user a request waits for is registered at Apple by the housekeeping, once (${told})`, async () => {
      const { adamId, space, account } = await setUp();
      const bea = await createUser(db(), { spaceId: space.id, name: "Bea", email: "bea@example.com" });
      await waitsForEnrolment(space.id, adamId, bea.id);
      // Off (the default): nobody is registered.
      expect(await registerWaitingUsers(h.deps)).toBe(0);
      expect(await listOutbox(db(), { spaceId: space.id, kind: "create_user" })).toEqual([]);

      await setRegisterWaitingUsers(db(), space.id, true);
      // The worker's housekeeping runs it (every minute in production).
      const worker = startWorker(h.deps, { engine: tdb().engine, schedule: false, idleMs: 10 });
      try {
        expect(await worker.runJob("housekeeping")).toBe(true);
      } finally {
        await worker.stop();
      }
      // Registered (the worker's own rounds may have sent it to Apple already).
      const { appleClientUserId } = await getUser(db(), space.id, bea.id);
      expect(appleClientUserId).toMatch(/^orchard-/);
      expect((await registrationsOfIds(db(), space.id, [bea.id])).get(bea.id)?.registration).not.toBe(
        "not_registered",
      );
      // Once registered, never again by this job (a refusal is the administrator's to resend).
      expect(await registerWaitingUsers(h.deps)).toBe(0);
      await drain(h);
      await h.sim.operator.idle();
      if (!notifications)
        await syncAccount(h.deps, { spaceId: space.id, accountId: account.id, mode: "incremental" });
      const registered = (await registrationsOfIds(db(), space.id, [bea.id])).get(bea.id);
      expect(registered?.registration).toBe("invited");
      expect(registered?.invitationUrl).toContain("/operator/invitations/accept?inviteCode=");
      await setRegisterWaitingUsers(db(), space.id, false);
    });
  });
}
