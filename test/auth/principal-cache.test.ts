import { type KyselyPlugin, sql } from "kysely";
import { expect, it } from "vitest";
import {
  adminPrincipal,
  createAdministrator,
  issueApiToken,
  login,
  logout,
  principalOfSession,
  principalOfToken,
  revokeToken,
} from "../../src/auth/auth.service.js";
import { PrincipalCache } from "../../src/auth/principal-cache.js";
import { parseApiToken } from "../../src/auth/secrets.js";
import { revokeApiToken, setGrants } from "../../src/store/auth.repo.js";
import type { Db } from "../../src/store/database.js";
import { createSpace } from "../../src/store/index.js";
import { describeEachDatabase } from "../store/databases.js";

const NOW = new Date("2026-03-01T12:00:00Z");
const PASSWORD = "correct horse battery";

/** The database handle with a count of the statements sent through it. */
function counting(db: Db): { db: Db; count: () => number } {
  let n = 0;
  const plugin: KyselyPlugin = {
    transformQuery: (args) => {
      n++;
      return args.node;
    },
    transformResult: async (args) => args.result,
  };
  return { db: db.withPlugin(plugin), count: () => n };
}

/**
 * The principal cache (issue 5): a principal is read once per token or session and kept
 * a moment, but a revoked token, a removed grant or a closed session stops at once in
 * this process (PM1, and invariant 6: a space the principal lost answers 404).
 */
describeEachDatabase("principal cache", (database) => {
  const setUp = async () => {
    const { db } = database().store;
    const suffix = Math.random().toString(36).slice(2, 8);
    const spaceA = (await createSpace(db, { name: `A ${suffix}` })).id;
    const spaceB = (await createSpace(db, { name: `B ${suffix}` })).id;
    const admin = await createAdministrator(db, {
      login: `admin-${suffix}`,
      password: PASSWORD,
      isOwner: false,
      grants: [
        { spaceId: spaceA, role: "manage" },
        { spaceId: spaceB, role: "manage" },
      ],
      now: NOW,
    });
    const creator = await adminPrincipal(db, admin, "session");
    const issued = await issueApiToken(db, creator, {
      name: "mdm",
      grants: [
        { spaceId: spaceA, role: "manage" },
        { spaceId: spaceB, role: "read" },
      ],
      now: NOW,
    });
    return { db, suffix, spaceA, spaceB, admin, creator, token: issued.token, tokenId: issued.record.id };
  };

  it("reads a token's principal once, then answers from the cache", async () => {
    const { db, token, spaceA, spaceB } = await setUp();
    const cache = new PrincipalCache();
    const c = counting(db);
    const first = await principalOfToken(c.db, token, NOW, cache);
    expect(first?.roles.get(spaceA)).toBe("manage");
    expect(first?.roles.get(spaceB)).toBe("read");
    const afterFirst = c.count();
    expect(afterFirst).toBeGreaterThan(0);
    for (let i = 0; i < 5; i++) expect(await principalOfToken(c.db, token, NOW, cache)).toEqual(first);
    expect(c.count()).toBe(afterFirst);
  });

  it("a wrong secret for a cached token id is refused", async () => {
    const { db, token, tokenId } = await setUp();
    const cache = new PrincipalCache();
    expect(await principalOfToken(db, token, NOW, cache)).toBeDefined();
    const forged = `orch_${tokenId}_${"A".repeat(43)}`;
    expect(parseApiToken(forged)?.id).toBe(tokenId);
    expect(await principalOfToken(db, forged, NOW, cache)).toBeUndefined();
    expect(await principalOfToken(db, token, NOW, cache)).toBeDefined();
  });

  it("a revoked token stops at once in this process", async () => {
    const { db, token, tokenId, creator } = await setUp();
    const cache = new PrincipalCache();
    expect(await principalOfToken(db, token, NOW, cache)).toBeDefined();
    expect(await revokeToken(db, creator, tokenId, NOW)).toBe(true);
    expect(await principalOfToken(db, token, NOW, cache)).toBeUndefined();

    const other = await setUp();
    expect(await principalOfToken(other.db, other.token, NOW, cache)).toBeDefined();
    await revokeApiToken(other.db, other.tokenId, NOW);
    expect(await principalOfToken(other.db, other.token, NOW, cache)).toBeUndefined();
  });

  it("PM1, invariant 6: a grant removed from the token or from its creator stops at once", async () => {
    const { db, token, tokenId, admin, spaceA, spaceB } = await setUp();
    const cache = new PrincipalCache();
    expect((await principalOfToken(db, token, NOW, cache))?.roles.has(spaceB)).toBe(true);
    await setGrants(db, { kind: "api_token", id: tokenId }, [{ spaceId: spaceA, role: "manage" }]);
    const narrowed = await principalOfToken(db, token, NOW, cache);
    expect(narrowed?.roles.has(spaceB)).toBe(false);
    expect(narrowed?.roles.get(spaceA)).toBe("manage");
    // The creator becomes read-only in A: the token cannot do more than its creator.
    await setGrants(db, { kind: "admin", id: admin.id }, [{ spaceId: spaceA, role: "read" }]);
    expect((await principalOfToken(db, token, NOW, cache))?.roles.get(spaceA)).toBe("read");
  });

  it("an expiring token is cached no later than its expiresAt, then refused api_token_expired; PM1: an mdm token of a creator made read-only loses the space", async () => {
    const { db, admin, creator, spaceA } = await setUp();
    const expiresAt = new Date(NOW.getTime() + 30_000);
    const { token } = await issueApiToken(db, creator, {
      name: "mdm for a while",
      grants: [{ spaceId: spaceA, role: "mdm" }],
      now: NOW,
      expiresAt,
    });
    // A TTL far longer than the token's life: only its end can close the entry.
    const cache = new PrincipalCache(3_600_000);
    expect((await principalOfToken(db, token, NOW, cache))?.roles.get(spaceA)).toBe("mdm");
    const c = counting(db);
    const justBefore = new Date(expiresAt.getTime() - 1);
    expect(await principalOfToken(c.db, token, justBefore, cache)).toBeDefined();
    expect(c.count()).toBe(0);
    await expect(principalOfToken(c.db, token, expiresAt, cache)).rejects.toMatchObject({
      code: "api_token_expired",
    });

    await setGrants(db, { kind: "admin", id: admin.id }, [{ spaceId: spaceA, role: "read" }]);
    expect((await principalOfToken(db, token, NOW, cache))?.roles.has(spaceA)).toBe(false);
  });

  it("a session's principal is cached until logout, its grants change, or it expires", async () => {
    const { db, suffix, admin, spaceA, spaceB } = await setUp();
    const cache = new PrincipalCache();
    const c = counting(db);
    const session = await login(db, { login: `admin-${suffix}`, password: PASSWORD, now: NOW });
    const first = await principalOfSession(c.db, session.sessionId, NOW, cache);
    expect(first).toMatchObject({ kind: "admin", id: admin.id, via: "session" });
    expect(first?.roles.get(spaceA)).toBe("manage");
    const reads = c.count();
    expect(reads).toBe(1);
    expect(await principalOfSession(c.db, session.sessionId, NOW, cache)).toEqual(first);
    expect(c.count()).toBe(reads);

    await setGrants(db, { kind: "admin", id: admin.id }, [{ spaceId: spaceB, role: "read" }]);
    const regranted = await principalOfSession(db, session.sessionId, NOW, cache);
    expect([...(regranted?.roles ?? [])]).toEqual([[spaceB, "read"]]);

    const late = new Date(session.expiresAt.getTime() + 1);
    expect(await principalOfSession(db, session.sessionId, late, cache)).toBeUndefined();

    expect(await principalOfSession(db, session.sessionId, NOW, cache)).toBeDefined();
    await logout(db, session.sessionId);
    expect(await principalOfSession(db, session.sessionId, NOW, cache)).toBeUndefined();
  });

  it("a change made by another process is seen once the entry expires (PRINCIPAL_TTL_MS)", async () => {
    const { db, token, tokenId } = await setUp();
    const cache = new PrincipalCache(50);
    expect(await principalOfToken(db, token, NOW, cache)).toBeDefined();
    // Another process revokes the token: this process's auth.repo never hears of it.
    await sql`update api_tokens set revoked_at = now() where id = ${tokenId}`.execute(db);
    expect(await principalOfToken(db, token, NOW, cache)).toBeDefined();
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(await principalOfToken(db, token, NOW, cache)).toBeUndefined();
  });

  it("a TTL of 0 keeps nothing", async () => {
    const { db, token } = await setUp();
    const cache = new PrincipalCache(0);
    const c = counting(db);
    await principalOfToken(c.db, token, NOW, cache);
    const before = c.count();
    expect(await principalOfToken(c.db, token, NOW, cache)).toBeDefined();
    expect(c.count()).toBe(before + 1);
  });
});
