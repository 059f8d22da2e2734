import { Writable } from "node:stream";
import type { FastifyInstance } from "fastify";
import { sql } from "kysely";
import { buildApi } from "../../src/api/app.js";
import type { ApiContext } from "../../src/api/context.js";
import { adminPrincipal, createAdministrator, issueApiToken } from "../../src/auth/auth.service.js";
import { mdmDirectoryOps, mdmLicenseOps } from "../../src/main/mdm-bindings.js";
import { syncAccountOps } from "../../src/main/sync-bindings.js";
import { type AccountOps, localAccountOps } from "../../src/service/accounts.js";
import type { ServiceDeps } from "../../src/service/deps.js";
import { encodeSToken } from "../../src/simulator/index.js";
import {
  createAccount,
  createDevice,
  createGroup,
  createSpace,
  createUser,
  notificationMessage,
  raiseNotification,
  requestLicenses,
  type Store,
  setAppleStatus,
  setCatalogApp,
  upsertAsset,
} from "../../src/store/index.js";
import { makeSyncDeps } from "../../src/sync/index.js";

/** Every log line the API writes, for the tests that grep them (invariant 5). */
export class LogCapture extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.lines.push(
      ...chunk
        .toString("utf8")
        .split("\n")
        .filter((l) => l !== ""),
    );
    done();
  }
}

export const NOW = new Date("2026-03-01T12:00:00Z");
export const INNER_TOKEN = "inner-secret-token-value-5f1c9a";
export const STOKEN = encodeSToken({
  token: INNER_TOKEN,
  expDate: "2030-11-08T22:33:22+0000",
  orgName: "Test Org",
});

export interface Fixture {
  app: FastifyInstance;
  logs: LogCapture;
  deps: ServiceDeps;
  /** Bearer tokens per role: manage and read in space A, none, manage in space B, owner. */
  tokens: { write: string; read: string; none: string; other: string; owner: string };
  ids: {
    suffix: string;
    spaceA: string;
    spaceB: string;
    accountA: string;
    accountB: string;
    adamId: string;
    userA: string;
    deviceA: string;
    groupA: string;
    licenseA: string;
    notificationA: string;
    userB: string;
  };
}

export async function buildFixture(
  store: Store,
  options: {
    /** The account port: the offline binding by default; the sync engine's to test what it logs. */
    accounts?: (store: Store) => AccountOps;
    /** API_TOKEN_REQUESTS_PER_MINUTE; default: unlimited. */
    tokenRateLimit?: number;
    /** METRICS_TOKEN; default: /metrics off. */
    metricsToken?: string;
    /** More of what `orchard serve` binds (src/main/server.ts): single sign-on, password sign-in. */
    context?: Partial<Pick<ApiContext, "sso" | "passwordLogin">>;
    /** TRUST_PROXY; default: no proxy believed. */
    trustProxy?: boolean | number | string[];
    /** Sign-ins per minute per client address; default 1000. */
    loginRateLimit?: number;
  } = {},
): Promise<Fixture> {
  const db = store.db;
  const deps: ServiceDeps = {
    db,
    keys: store.keys,
    now: () => NOW,
    accounts: options.accounts?.(store) ?? localAccountOps(db, store.keys, () => NOW),
    licenses: mdmLicenseOps,
    directory: mdmDirectoryOps,
  };
  const logs = new LogCapture();
  const app = await buildApi(
    {
      deps,
      ping: async () => void (await sql`select 1`.execute(db)),
      secureCookies: false,
      ...(options.metricsToken ? { metricsToken: options.metricsToken } : {}),
      ...options.context,
    },
    {
      logLevel: "info",
      logStream: logs,
      loginRateLimit: options.loginRateLimit ?? 1000,
      ...(options.tokenRateLimit ? { tokenRateLimit: options.tokenRateLimit } : {}),
      ...(options.trustProxy !== undefined ? { trustProxy: options.trustProxy } : {}),
    },
  );
  const suffix = Math.random().toString(36).slice(2, 8);
  const spaceA = (await createSpace(db, { name: `A ${suffix}` })).id;
  const spaceB = (await createSpace(db, { name: `B ${suffix}` })).id;
  const accountA = (
    await createAccount(db, store.keys, { spaceId: spaceA, displayName: "Main", sToken: STOKEN })
  ).id;
  const accountB = (
    await createAccount(db, store.keys, { spaceId: spaceB, displayName: "Other", sToken: STOKEN })
  ).id;
  const adamId = "361309726";
  for (const [spaceId, accountId] of [
    [spaceA, accountA],
    [spaceB, accountB],
  ] as const) {
    await upsertAsset(
      db,
      {
        spaceId,
        accountId,
        adamId,
        pricingParam: "STDQ",
        productType: "App",
        name: "Pages",
        total: 10,
        deviceAssignable: true,
        platforms: ["iOS"],
        price: 4.99,
      },
      NOW,
    );
    await setCatalogApp(db, { spaceId, adamId, name: "Pages" }, NOW);
  }
  const userA = (
    await createUser(db, {
      spaceId: spaceA,
      name: "Alice Apple",
      email: "alice@example.com",
      appleClientUserId: `c-${suffix}`,
    })
  ).id;
  await setAppleStatus(db, spaceA, userA, "Associated", NOW);
  const userB = (await createUser(db, { spaceId: spaceB, name: "Bob Other" })).id;
  const deviceA = (
    await createDevice(db, { spaceId: spaceA, serialNumber: `SER${suffix}`, platform: "iOS", userId: userA })
  ).id;
  const groupA = (await createGroup(db, { spaceId: spaceA, name: "Teachers" })).id;
  const [granted] = await requestLicenses(db, {
    spaceId: spaceA,
    adamId,
    requests: [{ spaceId: spaceA, adamId, subject: { kind: "user", userId: userA }, why: "requested" }],
    actor: { kind: "system" },
    now: NOW,
  });
  const licenseA = granted?.licenseId ?? "";
  const notificationA =
    (
      await raiseNotification(db, {
        spaceId: spaceA,
        kind: "license_usage",
        severity: "info",
        component: "Apps and Books",
        message: notificationMessage("usage.reached", { app: "Pages", account: "Main", percent: 50 }),
        accountId: accountA,
        adamId,
        threshold: 50,
        now: NOW,
      })
    )?.id ?? "";

  const admin = async (
    login: string,
    isOwner: boolean,
    grants: Array<{ spaceId: string; role: "manage" | "read" }>,
  ) => {
    const a = await createAdministrator(db, {
      login: `${login}-${suffix}`,
      password: "correct horse battery",
      isOwner,
      grants,
      now: NOW,
    });
    const principal = await adminPrincipal(db, a, "token");
    return (await issueApiToken(db, { ...principal, isOwner: true }, { name: login, grants, now: NOW }))
      .token;
  };
  const owner = await createAdministrator(db, {
    login: `owner-${suffix}`,
    password: "correct horse battery",
    isOwner: true,
    now: NOW,
  });
  const ownerPrincipal = await adminPrincipal(db, owner, "token");
  const tokens = {
    write: await admin("writer", false, [{ spaceId: spaceA, role: "manage" }]),
    read: await admin("reader", false, [{ spaceId: spaceA, role: "read" }]),
    none: await admin("nobody", false, []),
    other: await admin("other", false, [{ spaceId: spaceB, role: "manage" }]),
    // Owners reach every space through their admin role; a token of theirs carries grants, so log in instead.
    owner: "",
  };
  void ownerPrincipal;
  await app.ready();
  return {
    app,
    logs,
    deps,
    tokens,
    ids: {
      suffix,
      spaceA,
      spaceB,
      accountA,
      accountB,
      adamId,
      userA,
      deviceA,
      groupA,
      licenseA,
      notificationA,
      userB,
    },
  };
}

export const auth = (token: string) => ({ authorization: `Bearer ${token}` });

/** The fixture's owner signed in: the session cookie and the CSRF header a change needs. */
export async function ownerSession(f: Fixture): Promise<Record<string, string>> {
  const r = await f.app.inject({
    method: "POST",
    url: "/api/v1/auth/login",
    payload: { login: `owner-${f.ids.suffix}`, password: "correct horse battery" },
  });
  const cookie = r.cookies.find((c) => c.name === "orchard_session")?.value ?? "";
  return { cookie: `orchard_session=${cookie}`, "x-orchard-csrf": "1" };
}

/** The account port of the sync engine, against Apple at `appleUrl` (the simulator), on the fixture's clock. */
export const syncAccounts = (appleUrl: string) => (store: Store) =>
  syncAccountOps(
    makeSyncDeps({
      db: store.db,
      keys: store.keys,
      appleBaseUrl: appleUrl,
      mdmInfo: { id: "orchard-test", name: "Orchard", metadata: "tests" },
      now: () => NOW,
      tuning: { appleRetry: { baseDelayMs: 5, maxDelayMs: 20, maxAttempts: 2 } },
    }),
  );
