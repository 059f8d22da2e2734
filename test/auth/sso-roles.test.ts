import { describe, expect, it } from "vitest";
import {
  createAdministrator,
  createAdministratorFromGroups,
  openSession,
  principalOfSession,
} from "../../src/auth/auth.service.js";
import { claimAt, emailOfClaims, SsoError, type SsoIdentity } from "../../src/auth/sso.js";
import { type GroupRole, groupsOfClaim, parseGroupRoles, rolesOfGroups } from "../../src/auth/sso-roles.js";
import { administratorSignedIn } from "../../src/auth/sso-sign-in.js";
import {
  findAdmin,
  listGrants,
  setNotificationEmail,
  setRolesFromGroups,
  updateAdmin,
} from "../../src/store/auth.repo.js";
import { createSpace } from "../../src/store/index.js";
import { describeEachDatabase } from "../store/databases.js";

const NOW = new Date("2026-11-27T12:00:00Z");
const SPACES = [
  { id: "s-paris", name: "Paris" },
  { id: "s-lyon", name: "Lyon" },
];

function mapping(text: string): GroupRole[] {
  const parsed = parseGroupRoles(text);
  if (typeof parsed === "string") throw new Error(parsed);
  return parsed;
}

describe("OIDC_GROUP_ROLES: the roles a person's groups give (PM1: roles per space)", () => {
  it("PM1: a space by id or by name, every space with *, manage over read in one space, owner apart; groups not named give nothing", () => {
    const roles = mapping("helpdesk=read:*; paris-it=manage:Paris; lyon=read:s-lyon; boss=owner");
    expect(rolesOfGroups(roles, ["helpdesk", "paris-it", "cafeteria"], SPACES)).toEqual({
      isOwner: false,
      grants: [
        { spaceId: "s-paris", role: "manage" },
        { spaceId: "s-lyon", role: "read" },
      ],
      unknownSpaces: [],
    });
    // The order of the entries does not matter: manage wins over read either way.
    expect(
      rolesOfGroups(mapping("paris-it=manage:Paris; helpdesk=read:*"), ["helpdesk", "paris-it"], SPACES)
        .grants,
    ).toContainEqual({
      spaceId: "s-paris",
      role: "manage",
    });
    expect(rolesOfGroups(roles, ["boss"], SPACES)).toMatchObject({ isOwner: true, grants: [] });
    expect(rolesOfGroups(roles, ["cafeteria"], SPACES)).toMatchObject({ isOwner: false, grants: [] });
    // Group names are compared exactly: Entra ID sends object ids, others names.
    expect(rolesOfGroups(roles, ["Helpdesk"], SPACES).grants).toEqual([]);
  });

  it("a space the mapping names that this Orchard does not have, or a name two spaces share, is reported, not granted; an id is never mistaken for a name", () => {
    expect(rolesOfGroups(mapping("x=manage:Berlin"), ["x"], SPACES)).toEqual({
      isOwner: false,
      grants: [],
      unknownSpaces: ["Berlin"],
    });
    const twins = [...SPACES, { id: "s-paris-2", name: "Paris" }];
    expect(rolesOfGroups(mapping("x=manage:Paris"), ["x"], twins)).toMatchObject({
      grants: [],
      unknownSpaces: ["Paris"],
    });
    // A space named like another's id: the id wins.
    const named = [...SPACES, { id: "s-odd", name: "s-lyon" }];
    expect(rolesOfGroups(mapping("x=read:s-lyon"), ["x"], named).grants).toEqual([
      { spaceId: "s-lyon", role: "read" },
    ]);
  });

  it("the groups claim: an array of strings (others dropped), or one string; anything else is no group", () => {
    expect(groupsOfClaim(["a", 3, "b", null])).toEqual(["a", "b"]);
    expect(groupsOfClaim("solo")).toEqual(["solo"]);
    expect(groupsOfClaim(undefined)).toEqual([]);
    expect(groupsOfClaim({ a: 1 })).toEqual([]);
  });

  it("the groups claim by name, or by a dotted path into nested claims when no claim has that name (Keycloak's realm_access.roles; Auth0's namespaced URL claims)", () => {
    const claims = {
      groups: ["a"],
      realm_access: { roles: ["orchard-admin"] },
      "https://example.org/groups": ["b"],
    };
    expect(claimAt(claims, "groups")).toEqual(["a"]);
    expect(claimAt(claims, "realm_access.roles")).toEqual(["orchard-admin"]);
    expect(claimAt(claims, "https://example.org/groups")).toEqual(["b"]);
    expect(claimAt(claims, "realm_access.missing")).toBeUndefined();
    expect(claimAt(claims, "groups.0.x")).toBeUndefined();
  });

  it("NT3: the provider's e-mail claim is an administrator's address unless email_verified is false; anything but an address is none", () => {
    expect(emailOfClaims({ email: "pat@example.org", email_verified: true })).toBe("pat@example.org");
    // A provider that says nothing of verification (Entra ID) is taken at its word.
    expect(emailOfClaims({ email: "pat@example.org" })).toBe("pat@example.org");
    expect(emailOfClaims({ email: "pat@example.org", email_verified: false })).toBeUndefined();
    expect(emailOfClaims({ email: "pat@example.org", email_verified: "false" })).toBeUndefined();
    expect(emailOfClaims({ email: "not an address", email_verified: true })).toBeUndefined();
    expect(emailOfClaims({ email: ["pat@example.org"] })).toBeUndefined();
    expect(emailOfClaims({ name: "Pat" })).toBeUndefined();
  });

  it("a group name may hold = (the role is after the last one); an entry without a role is refused", () => {
    expect(mapping("cn=ops,ou=groups=read:*")).toEqual([
      { group: "cn=ops,ou=groups", role: "read", space: "*" },
    ]);
    expect(parseGroupRoles("ops=")).toMatch(/the role is owner/);
    expect(parseGroupRoles("=owner")).toMatch(/is not <group>=<role>/);
    expect(parseGroupRoles("ops=write:*")).toMatch(/the role is owner/);
  });
});

describeEachDatabase("OIDC_GROUP_ROLES: roles set from groups at sign-in", (db) => {
  it("PM1: the groups' roles replace the administrator's; the last owner is never demoted by their groups (kept, and said)", async () => {
    const { db: store } = db().store;
    const space = await createSpace(store, { name: "Paris" });
    const first = await createAdministratorFromGroups(store, {
      login: "first@example.org",
      subject: "https://idp.example first",
      isOwner: true,
      grants: [],
      now: NOW,
    });
    expect(first).toMatchObject({ isOwner: true, ssoManaged: true, ssoLinked: true });

    // The only owner: their groups no longer make them owner, but Orchard keeps one.
    expect(
      await setRolesFromGroups(store, first.id, {
        isOwner: false,
        grants: [{ spaceId: space.id, role: "read" }],
      }),
    ).toEqual({ keptOwner: true });
    expect((await findAdmin(store, first.id))?.isOwner).toBe(true);

    // Another owner, created in Orchard: now the groups have their way.
    await createAdministrator(store, {
      login: "second@example.org",
      password: "correct horse battery",
      isOwner: true,
      now: NOW,
    });
    expect(
      await setRolesFromGroups(store, first.id, {
        isOwner: false,
        grants: [{ spaceId: space.id, role: "manage" }],
      }),
    ).toEqual({ keptOwner: false });
    expect((await findAdmin(store, first.id))?.isOwner).toBe(false);
    expect(await listGrants(store, { kind: "admin", id: first.id })).toEqual([
      { spaceId: space.id, role: "manage" },
    ]);
    await setRolesFromGroups(store, first.id, { isOwner: false, grants: [] });
    expect(await listGrants(store, { kind: "admin", id: first.id })).toEqual([]);
  });

  it("PM1: a sign-in through the groups: created once, found again by the provider's account when renamed there, roles following the groups; no group left takes the roles and ends the sessions; disabled stays out", async () => {
    const { db: store } = db().store;
    const space = await createSpace(store, { name: "Lyon" });
    const owner = await createAdministrator(store, {
      login: "owner@example.org",
      password: "correct horse battery",
      isOwner: true,
      now: NOW,
    });
    const groupRoles = mapping(`helpdesk=read:${space.id}; ops=manage:*`);
    const warnings: unknown[] = [];
    const log = { info: () => undefined, warn: (o: unknown) => void warnings.push(o) } as never;
    const person = (fields: Partial<SsoIdentity>): SsoIdentity => ({
      login: "pat@example.org",
      subject: "https://idp.example pat",
      name: "Pat",
      groups: ["helpdesk"],
      ...fields,
    });
    const signIn = (identity: SsoIdentity) =>
      administratorSignedIn(store, { identity, groupRoles, now: NOW, log });

    const pat = await signIn(person({}));
    expect(pat).toMatchObject({ login: "pat@example.org", ssoManaged: true });
    expect(await listGrants(store, { kind: "admin", id: pat.id })).toEqual([
      { spaceId: space.id, role: "read" },
    ]);

    // Renamed at the provider (a new address), moved to ops: the same administrator.
    const renamed = await signIn(
      person({ login: "pat.smith@example.org", name: "Pat Smith", groups: ["ops"] }),
    );
    expect(renamed.id).toBe(pat.id);
    expect(await findAdmin(store, pat.id)).toMatchObject({
      login: "pat.smith@example.org",
      displayName: "Pat Smith",
    });
    // ops=manage:* : every space of this database, this one among them.
    expect(await listGrants(store, { kind: "admin", id: pat.id })).toContainEqual({
      spaceId: space.id,
      role: "manage",
    });

    // No group left: refused, roles gone, the session opened before ended.
    const session = await openSession(store, renamed, NOW);
    const refused = await signIn(person({ login: "pat.smith@example.org", groups: [] })).catch(
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(SsoError);
    expect((refused as SsoError).failure).toBe("no_role");
    expect(await listGrants(store, { kind: "admin", id: pat.id })).toEqual([]);
    expect(await principalOfSession(store, session.sessionId, NOW)).toBeUndefined();

    // An owner disables them: their groups do not let them back in.
    expect(await updateAdmin(store, { id: pat.id, by: owner.id, disabledAt: NOW })).toMatchObject({
      disabled: true,
    });
    await expect(signIn(person({ login: "pat.smith@example.org", groups: ["ops"] }))).rejects.toMatchObject({
      failure: "no_administrator",
    });

    // Someone none of whose groups gives a role is not created.
    await expect(
      signIn(person({ login: "sam@example.org", subject: "https://idp.example sam", groups: ["cafe"] })),
    ).rejects.toMatchObject({ failure: "no_role" });

    // Entra ID's overage (groups left out for their number) is logged with what to do.
    await signIn(
      person({
        login: "kim@example.org",
        subject: "https://idp.example kim",
        groups: ["helpdesk"],
        groupsOverage: true,
      }),
    );
    expect(JSON.stringify(warnings)).toContain("kim@example.org");
  });

  it("a session is never opened for an administrator disabled after the sign-in's check (the disable wins the race)", async () => {
    const { db: store } = db().store;
    const owner = await createAdministrator(store, {
      login: "race-owner@example.org",
      password: "correct horse battery",
      isOwner: true,
      now: NOW,
    });
    const checked = await createAdministrator(store, {
      login: "racer@example.org",
      password: "correct horse battery",
      isOwner: false,
      now: NOW,
    });
    await updateAdmin(store, { id: checked.id, by: owner.id, disabledAt: NOW });
    await expect(openSession(store, checked, NOW)).rejects.toMatchObject({ code: "invalid_credentials" });
  });

  it("a rename at the provider to a login another administrator has, in any case, keeps the login", async () => {
    const { db: store } = db().store;
    const log = { info: () => undefined, warn: () => undefined } as never;
    const groupRoles = mapping("ops=read:*");
    await createAdministrator(store, { login: "Taken@Example.org", isOwner: false, now: NOW });
    const identity = { login: "robin@example.org", subject: "https://idp.example robin", groups: ["ops"] };
    const robin = await administratorSignedIn(store, { identity, groupRoles, now: NOW, log });
    const again = await administratorSignedIn(store, {
      identity: { ...identity, login: "taken@example.org" },
      groupRoles,
      now: NOW,
      log,
    });
    expect(again).toMatchObject({ id: robin.id, login: "robin@example.org" });
    expect((await findAdmin(store, robin.id))?.login).toBe("robin@example.org");
  });

  it("PM1: an administrator created in Orchard keeps Orchard's roles whatever their groups, and is found by the provider's account once linked, even renamed there", async () => {
    const { db: store } = db().store;
    const space = await createSpace(store, { name: "Nice" });
    const groupRoles = mapping("ops=manage:*; boss=owner");
    const log = { info: () => undefined, warn: () => undefined } as never;
    const ada = await createAdministrator(store, {
      login: "ada@example.org",
      isOwner: false,
      grants: [{ spaceId: space.id, role: "read" }],
      now: NOW,
    });
    const identity = {
      login: "ada@example.org",
      subject: "https://idp.example ada",
      groups: ["ops", "boss"],
    };
    expect((await administratorSignedIn(store, { identity, groupRoles, now: NOW, log })).id).toBe(ada.id);
    const again = await administratorSignedIn(store, {
      identity: { ...identity, login: "ada.lovelace@example.org" },
      groupRoles,
      now: NOW,
      log,
    });
    expect(again).toMatchObject({ id: ada.id, login: "ada@example.org", isOwner: false, ssoManaged: false });
    expect(await listGrants(store, { kind: "admin", id: ada.id })).toEqual([
      { spaceId: space.id, role: "read" },
    ]);
  });

  it("NT3: single sign-on gives an administrator without an address the provider's verified e-mail; an address they have stays", async () => {
    const { db: store } = db().store;
    const groupRoles = mapping("mail-ops=read:*");
    const log = { info: () => undefined, warn: () => undefined } as never;
    const signIn = (identity: SsoIdentity, roles: GroupRole[] | undefined = groupRoles) =>
      administratorSignedIn(store, { identity, groupRoles: roles, now: NOW, log });

    // Created from their groups: with the provider's address, no notification e-mails asked yet.
    const lee = { login: "lee", subject: "https://idp.example lee", groups: ["mail-ops"] };
    const created = await signIn({ ...lee, email: "lee@example.org" });
    expect(created).toMatchObject({ ssoManaged: true, email: "lee@example.org", notifyByEmail: false });
    expect(await findAdmin(store, created.id)).toMatchObject({ email: "lee@example.org" });

    // They ask for the e-mails to the on-call mailbox: the provider's address does not replace it.
    await setNotificationEmail(store, created.id, { email: "on-call@example.org", notifyByEmail: true });
    const kept = await signIn({ ...lee, email: "lee.new@example.org" });
    expect(kept).toMatchObject({ email: "on-call@example.org", notifyByEmail: true });
    expect(await findAdmin(store, created.id)).toMatchObject({
      email: "on-call@example.org",
      notifyByEmail: true,
    });

    // A sign-in without the claim (or an unverified one, which sso.ts leaves out) clears nothing.
    expect(await signIn(lee)).toMatchObject({ email: "on-call@example.org", notifyByEmail: true });

    // Their address removed: the next sign-in gives them the provider's again.
    await setNotificationEmail(store, created.id, { email: null });
    expect(await signIn({ ...lee, email: "lee.new@example.org" })).toMatchObject({
      email: "lee.new@example.org",
      notifyByEmail: false,
    });

    // Created in Orchard, linked at their first sign-in, with or without OIDC_GROUP_ROLES: the same.
    for (const [login, roles] of [
      ["linked@example.org", undefined],
      ["linked-beside-groups@example.org", groupRoles],
    ] as const) {
      const own = await createAdministrator(store, { login, isOwner: false, now: NOW });
      const identity = { login, subject: `https://idp.example ${login}`, groups: [] };
      expect(await signIn({ ...identity, email: login }, roles)).toMatchObject({
        id: own.id,
        ssoManaged: false,
        email: login,
        notifyByEmail: false,
      });
      await signIn(identity, roles);
      expect(await findAdmin(store, own.id), login).toMatchObject({ email: login });
      // One an owner set for them stays.
      await setNotificationEmail(store, own.id, { email: "desk@example.org", notifyByEmail: true });
      await signIn({ ...identity, email: login }, roles);
      expect(await findAdmin(store, own.id), login).toMatchObject({
        email: "desk@example.org",
        notifyByEmail: true,
      });
    }
  });
});
