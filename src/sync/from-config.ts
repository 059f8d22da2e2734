/** Builds the sync engine's dependencies from the configuration (for `orchard worker` and `orchard serve`). */
import type { Config } from "../config.js";
import { observeAppleAttempt } from "../metrics/process-metrics.js";
import { LANGUAGES, notificationRecipientsOfSpace } from "../store/auth.repo.js";
import type { Store } from "../store/index.js";
import { emailChannel, type NotificationChannel, webhookChannel } from "./channels.js";
import {
  type Allocate,
  type MdmCommandSink,
  makeSyncDeps,
  type OnNewVersion,
  type SyncDeps,
  type SyncLogger,
  type SyncTuning,
} from "./deps.js";

export function syncDepsFromConfig(
  config: Config,
  store: Store,
  extras: {
    appleBaseUrl?: string;
    logger?: SyncLogger;
    mdm?: MdmCommandSink;
    allocate?: Allocate;
    tuning?: Partial<SyncTuning>;
    onNewVersion?: OnNewVersion;
  } = {},
): SyncDeps {
  const appleBaseUrl = extras.appleBaseUrl ?? config.appleBaseUrl;
  if (!appleBaseUrl) throw new Error("APPLE_BASE_URL is not set (or start the built-in simulator)");
  const channels: NotificationChannel[] = [];
  if (config.notifyWebhook) {
    channels.push(
      webhookChannel({
        url: config.notifyWebhook.url,
        secret: config.notifyWebhook.secret.reveal(),
        ...(config.notifyWebhook.previousSecret
          ? { previousSecret: config.notifyWebhook.previousSecret.reveal() }
          : {}),
      }),
    );
  }
  if (config.notifyEmail) {
    // NT3: one channel per language, each e-mail a delivery of its own (email, email-fr).
    const email = config.notifyEmail;
    for (const language of LANGUAGES)
      channels.push(
        emailChannel({
          smtpUrl: email.smtpUrl.reveal(),
          from: email.from,
          to: email.to,
          administrators: (spaceId) => notificationRecipientsOfSpace(store.db, spaceId),
          ...(config.publicBaseUrl ? { consoleUrl: config.publicBaseUrl } : {}),
          language,
        }),
      );
  }
  return makeSyncDeps({
    db: store.db,
    keys: store.keys,
    appleBaseUrl,
    mdmInfo: { id: config.mdmId, name: "Orchard", metadata: "Orchard Apps and Books license manager" },
    ...(config.publicBaseUrl ? { publicBaseUrl: config.publicBaseUrl } : {}),
    ...(extras.logger ? { logger: extras.logger } : {}),
    ...(extras.mdm ? { mdm: extras.mdm } : {}),
    ...(extras.allocate ? { allocate: extras.allocate } : {}),
    ...(extras.onNewVersion ? { onNewVersion: extras.onNewVersion } : {}),
    ...(config.appleMetadataUrl ? { metadataUrl: config.appleMetadataUrl } : {}),
    channels,
    // PostgreSQL may have any number of workers; PGlite lives in one process.
    shareRateLimit: store.engine === "postgres",
    onAppleAttempt: observeAppleAttempt,
    tuning: {
      pollIntervalMs: config.syncPollIntervalMs,
      firstPollMs: config.syncPollIntervalMs,
      ...extras.tuning,
    },
  });
}
