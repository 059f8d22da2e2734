import type { FastifyInstance } from "fastify";
import { sql } from "kysely";
import type { DestinationStream } from "pino";
import { buildApi } from "../api/app.js";
import type { ApiContext } from "../api/context.js";
import { createSsoClient } from "../auth/sso.js";
import type { Config } from "../config.js";
import { mdmWebhookTarget } from "../mdm/delivery-loop.js";
import { sendMdmWebhookTest } from "../mdm/webhook-test.js";
import type { ServiceDeps } from "../service/deps.js";
import type { RunningSimulator } from "../simulator/index.js";
import type { Store } from "../store/index.js";
import {
  handleAppleNotification,
  type RunningWorker,
  resendDeliveries,
  type SyncDeps,
} from "../sync/index.js";
import { type BackgroundWork, startBackgroundWork } from "./background.js";
import { openCore } from "./compose.js";

export interface Orchard {
  app: FastifyInstance;
  store: Store;
  deps: ServiceDeps;
  sync: SyncDeps;
  /** Apple's base URL in use: the real service, or the in-process simulator's. */
  appleBaseUrl: string;
  simulator?: RunningSimulator;
  /** The in-process worker (embedded PGlite, or `worker: true`). */
  worker?: RunningWorker;
  close(): Promise<void>;
}

export interface ServerOptions {
  logStream?: DestinationStream;
  /** PGlite in memory (tests); default: the configured data folder or PostgreSQL. */
  memory?: boolean;
  /** With `memory`: a migrated PGlite data folder to start from (tests). */
  pgliteTemplate?: Blob;
  now?: () => Date;
  loginRateLimit?: number;
  /** Run the sync worker and the MDM command delivery in this process. Default: with PGlite only. */
  worker?: boolean;
}

/**
 * `orchard serve` and `npm start`: the core (store, Apple or the simulator, sync
 * engine, use cases), the HTTP API with Apple's notification endpoint, and, with
 * embedded PGlite (one process only), the worker in-process.
 */
export async function buildServer(config: Config, options: ServerOptions = {}): Promise<Orchard> {
  const core = await openCore(config, {
    ...(options.memory ? { memory: true } : {}),
    ...(options.pgliteTemplate ? { pgliteTemplate: options.pgliteTemplate } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
  const app = await buildApi(
    {
      deps: core.deps,
      appleNotifications: (input) => handleAppleNotification(core.sync, input),
      notificationDeliveries: {
        channels: core.sync.channels.map((c) => c.name),
        resend: (input) => resendDeliveries(core.sync, input),
      },
      ...mdmWebhookTestPort(config),
      ping: async () => {
        await sql`select 1`.execute(core.store.db);
      },
      secureCookies: false,
      metricsToken: config.metricsToken?.reveal(),
      ...(config.sso
        ? { sso: createSsoClient({ ...config.sso, clientSecret: config.sso.clientSecret.reveal() }) }
        : {}),
      passwordLogin: config.passwordLogin,
    },
    {
      logLevel: config.logLevel,
      ...(options.logStream ? { logStream: options.logStream } : {}),
      ...(options.loginRateLimit ? { loginRateLimit: options.loginRateLimit } : {}),
      tokenRateLimit: config.apiTokenRequestsPerMinute,
      ...(config.trustProxy !== undefined ? { trustProxy: config.trustProxy } : {}),
    },
  );
  const runWorker = options.worker ?? core.store.engine === "pglite";
  const background: BackgroundWork | undefined = runWorker ? startBackgroundWork(core, app.log) : undefined;
  return {
    app,
    store: core.store,
    deps: core.deps,
    sync: core.sync,
    appleBaseUrl: core.appleBaseUrl,
    ...(core.simulator ? { simulator: core.simulator } : {}),
    ...(background ? { worker: background.worker } : {}),
    async close() {
      await app.close();
      await background?.stop();
      await core.close();
    },
  };
}

/** "Send a test webhook" (src/mdm/webhook-test.ts), bound when MDM_WEBHOOK_URL is set. */
function mdmWebhookTestPort(config: Config): Pick<ApiContext, "mdmWebhookTest"> {
  const target = mdmWebhookTarget(config.mdmWebhook);
  return target ? { mdmWebhookTest: (input) => sendMdmWebhookTest(target, input) } : {};
}

/** Runs until SIGINT/SIGTERM, then closes the server, the simulator and the database. */
export async function runUntilStopped(orchard: Orchard): Promise<void> {
  const stop = () => {
    void orchard.close().then(() => process.exit(0));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}
