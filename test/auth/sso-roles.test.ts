import { describe, expect, it } from "vitest";
import { createAdministrator, createAdministratorFromGroups } from "../../src/auth/auth.service.js";
import { type GroupRole, groupsOfClaim, parseGroupRoles, rolesOfGroups } from "../../src/auth/sso-roles.js";
import { findAdmin, listGrants, setRolesFromGroups } from "../../src/store/auth.repo.js";
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

  it("a space the mapping names that this Orchard does not have is reported, not granted", () => {
    expect(rolesOfGroups(mapping("x=manage:Berlin"), ["x"], SPACES)).toEqual({
      isOwner: false,
      grants: [],
      unknownSpaces: ["Berlin"],
    });
  });

  it("the groups claim: an array of strings (others dropped), or one string; anything else is no group", () => {
    expect(groupsOfClaim(["a", 3, "b", null])).toEqual(["a", "b"]);
    expect(groupsOfClaim("solo")).toEqual(["solo"]);
    expect(groupsOfClaim(undefined)).toEqual([]);
    expect(groupsOfClaim({ a: 1 })).toEqual([]);
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
});
