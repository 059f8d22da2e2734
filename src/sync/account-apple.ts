/**
 * What the account operations share with Apple: validating a token file, one account per
 * location, claiming the location (client config: our mdmInfo, the notification URL and its secret), clearing
 * every assignment of a token, and the account's activity-log lines.
 */
import { randomBytes } from "node:crypto";
import {
  type AppleClient,
  type ClientConfigResult,
  type NotificationType,
  parseSToken,
} from "../apple/index.js";
import {
  type Account,
  type ActivityMessage,
  type Actor,
  activityMessage,
  appendActivity,
  getAccount,
} from "../store/index.js";
import {
  findAccountsByLocation,
  setAccountFromApple,
  setNotificationSecret,
} from "../store/sync-accounts.repo.js";
import { assignmentsAtApple } from "./account-release.js";
import { toSyncError } from "./apple-errors.js";
import type { SyncDeps } from "./deps.js";
import { SyncError } from "./errors.js";

const NOTIFICATION_TYPES: NotificationType[] = [
  "ASSET_MANAGEMENT",
  "ASSET_COUNT",
  "USER_MANAGEMENT",
  "USER_ASSOCIATED",
];

export async function validateToken(
  deps: SyncDeps,
  file: string,
  takeOver: boolean,
  doing: string,
): Promise<{ sToken: ReturnType<typeof parseSToken>; client: AppleClient; config: ClientConfigResult }> {
  try {
    const sToken = parseSToken(file.trim(), { now: deps.now() });
    const client = deps.apple.forToken(sToken.value());
    const config = await client.getClientConfig();
    if (config.ownership.state === "other" && !takeOver) {
      throw new SyncError(
        "token_owned_by_other_mdm",
        `${doing}: the location is managed by another MDM; confirm to take it over`,
        {
          owner: config.ownership.owner.name ?? config.ownership.owner.id,
        },
      );
    }
    return { sToken, client, config };
  } catch (error) {
    throw toSyncError(error, doing);
  }
}

/**
 * One account per Apple location (issue item 7): another account holding `uId` is refused,
 * named when it is in the same space (the administrator updates that one's token instead);
 * another space's is only said to exist, as its data is not this administrator's (invariant 6).
 */
export async function assertLocationFree(
  deps: SyncDeps,
  spaceId: string,
  uId: string | undefined,
  exceptAccountId?: string,
): Promise<void> {
  if (!uId) return;
  const holders = (await findAccountsByLocation(deps.db, uId)).filter((a) => a.id !== exceptAccountId);
  const holder = holders.find((a) => a.spaceId === spaceId) ?? holders[0];
  if (!holder) return;
  if (holder.spaceId !== spaceId) {
    throw new SyncError(
      "duplicate_location",
      "this Apple location already has an account in another space of Orchard; its token is managed there",
    );
  }
  const { displayName } = await getAccount(deps.db, holder.spaceId, holder.id);
  throw new SyncError(
    "duplicate_location",
    `this Apple location is already the account "${displayName}"; update that account's token instead`,
    { accountId: holder.id, account: displayName },
  );
}

/** Writes our client config: mdmInfo, and notifications when Apple can reach us. */
export async function claimLocation(
  deps: SyncDeps,
  account: Account,
  client: AppleClient,
  takeOver: boolean,
): Promise<void> {
  const secret = randomBytes(32).toString("base64url");
  await setNotificationSecret(deps.db, deps.keys, { spaceId: account.spaceId, id: account.id, secret });
  const settings = deps.publicBaseUrl
    ? {
        notificationUrl: `${deps.publicBaseUrl}/api/v1/apple/notifications/${account.id}`,
        notificationAuthToken: secret,
        notificationTypes: NOTIFICATION_TYPES,
      }
    : {};
  const result = takeOver ? await client.takeOverToken(settings) : await client.setClientConfig(settings);
  await setAccountFromApple(deps.db, {
    spaceId: account.spaceId,
    id: account.id,
    ...(result.config.mdmInfo
      ? { ownerMdmInfo: { ...result.config.mdmInfo, name: result.config.mdmInfo.name ?? "" } }
      : {}),
    ...(result.config.countryISO2ACode ? { countryCode: result.config.countryISO2ACode } : {}),
    now: deps.now(),
  });
}

/** AC1/AC2 "clear all previous license data": every assignment of the token, whoever made it. */
export async function clearAtApple(
  deps: SyncDeps,
  account: Account,
  client: AppleClient,
  actor: Actor,
): Promise<number> {
  try {
    const held = await assignmentsAtApple(client);
    await held.release(client);
    await logAccount(
      deps,
      account,
      actor,
      "account.cleared",
      ["AC1"],
      activityMessage("account.cleared", { released: held.size }),
      { released: held.size },
    );
    return held.size;
  } catch (error) {
    throw toSyncError(error, "clearing previous license data at Apple");
  }
}

export async function logAccount(
  deps: SyncDeps,
  account: Account,
  actor: Actor,
  action: string,
  ruleIds: string[],
  message: ActivityMessage,
  details: Record<string, unknown>,
): Promise<void> {
  await appendActivity(deps.db, [
    {
      spaceId: account.spaceId,
      actor,
      action,
      accountId: account.id,
      ruleIds,
      message,
      details,
      at: deps.now(),
    },
  ]);
}
