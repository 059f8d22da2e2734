import type { FastifyInstance } from "fastify";
import { sql } from "kysely";
import type { DestinationStream } from "pino";
import { buildApi } from "../api/app.js";
import type { Config } from "../config.js";
import { localAccountOps } from "../service/accounts.js";
import type { ServiceDeps } from "../service/deps.js";
import { type RunningSimulator, startSimulator } from "../simulator/index.js";
import { createSpace, findDefaultSpace, openDatabase, type Store } from "../store/index.js";
import { mdmDirectoryOps, mdmLicenseOps } from "./mdm-bindings.js";

export interface Orchard {
  app: FastifyInstance;
  store: Store;
  deps: ServiceDeps;
  /** Apple's base URL in use: the real service, or the in-process simulator's. */
  appleBaseUrl: string;
  simulator?: RunningSimulator;
  close(): Promise<void>;
}

export interface ServerOptions {
  logStream?: DestinationStream;
  /** PGlite in memory (tests); default: the configured data folder or PostgreSQL. */
  memory?: boolean;
  now?: () => Date;
  loginRateLimit?: number;
}

/**
 * The composition root of `orchard serve` and `npm start`: the store (PGlite or
 * PostgreSQL), the key ring, Apple (APPLE_BASE_URL, else an in-process simulator), the
 * use cases' ports, and the HTTP API. The only place these are constructed.
 */
export async function buildServer(config: Config, options: ServerOptions = {}): Promise<Orchard> {
  const store = await openDatabase({
    ...(config.databaseUrl ? { databaseUrl: config.databaseUrl.reveal() } : {}),
    dataDir: config.dataDir,
    ...(config.secretKey ? { secretKey: config.secretKey.reveal() } : {}),
    ...(options.memory ? { memory: true } : {}),
  });
  const simulator = config.appleBaseUrl ? undefined : await startSimulator({ port: 0 });
  const appleBaseUrl = config.appleBaseUrl ?? simulator?.url ?? "";
  const now = options.now ?? (() => new Date());
  // Until src/sync and src/mdm are bound here, account and license changes go through
  // the store alone (no Apple call is made from the API process for them).
  const deps: ServiceDeps = {
    db: store.db,
    keys: store.keys,
    now,
    accounts: localAccountOps(store.db, store.keys, now),
    licenses: mdmLicenseOps,
    directory: mdmDirectoryOps,
  };
  const app = await buildApi(
    {
      deps,
      ping: async () => {
        await sql`select 1`.execute(store.db);
      },
      secureCookies: false,
    },
    {
      logLevel: config.logLevel,
      ...(options.logStream ? { logStream: options.logStream } : {}),
      ...(options.loginRateLimit ? { loginRateLimit: options.loginRateLimit } : {}),
    },
  );
  return {
    app,
    store,
    deps,
    appleBaseUrl,
    ...(simulator ? { simulator } : {}),
    async close() {
      await app.close();
      await simulator?.close();
      await store.close();
    },
  };
}

/** The default space, created on first start. */
export async function ensureDefaultSpace(orchard: Pick<Orchard, "store">): Promise<string> {
  const existing = await findDefaultSpace(orchard.store.db);
  if (existing) return existing.id;
  const space = await createSpace(orchard.store.db, { name: "Default", isDefault: true });
  return space.id;
}
