import { givesUp, retryDelayMs } from "../delivery-retry.js";
import {
  claimMdmCommands,
  type DeliverableMdmCommand,
  type MdmCommandRecord,
  settleMdmCommands,
} from "../store/mdm-command.repo.js";
import { groupBy } from "../store/sql-helpers.js";
import type { MdmDeps } from "./deps.js";
import { type MdmCommandMessage, type MdmCommandSink, MdmDeliveryError } from "./sinks.js";

/**
 * Delivers pending MDM commands to the sink, oldest first, in batches. A failure the
 * MDM may recover from is retried with backoff (src/delivery-retry.ts); after its last attempt, or for a refusal,
 * the command is marked failed and stays visible. Returns how many were delivered.
 */
export async function deliverMdmCommands(
  deps: MdmDeps,
  sink: MdmCommandSink,
  options: { batchSize?: number; leaseMs?: number } = {},
): Promise<number> {
  const now = deps.now();
  const claimed = await claimMdmCommands(deps.db, {
    now,
    limit: options.batchSize ?? 200,
    leaseMs: options.leaseMs ?? 60_000,
  });
  if (claimed.length === 0) return 0;
  try {
    await sink.deliver(claimed.map(toMdmCommandMessage));
  } catch (error) {
    const retryable = !(error instanceof MdmDeliveryError) || error.retryable;
    const retryAfterMs = error instanceof MdmDeliveryError ? error.retryAfterMs : undefined;
    const message = error instanceof Error ? error.message : String(error);
    // Each command by its own attempts: one near its last must not fail a fresh one.
    for (const [attempts, commands] of groupBy(claimed, (c) => c.attempts)) {
      const giveUp = givesUp(retryable, attempts);
      await settle(deps, commands, giveUp ? "failed" : "pending", now, {
        error: message,
        ...(giveUp ? {} : { notBefore: new Date(now.getTime() + retryDelayMs(attempts, retryAfterMs)) }),
      });
    }
    return 0;
  }
  await settle(deps, claimed, "delivered", now);
  return claimed.length;
}

/** Only while the claim is still ours: a command acknowledged, cancelled or claimed again meanwhile stays so. */
function settle(
  deps: MdmDeps,
  commands: readonly MdmCommandRecord[],
  state: "delivered" | "pending" | "failed",
  now: Date,
  outcome: { error?: string; notBefore?: Date } = {},
): Promise<void> {
  return settleMdmCommands(deps.db, {
    commands,
    state,
    fromStates: ["pending"],
    ...(commands[0]?.claimedUntil ? { claimedUntil: commands[0].claimedUntil } : {}),
    now,
    ...outcome,
  });
}

/** A command as the webhook carries it (`webhooks.mdmCommands`; the polled command has these fields too). */
export function toMdmCommandMessage(c: DeliverableMdmCommand): MdmCommandMessage {
  return {
    ...c.target,
    id: c.id,
    seq: c.seq,
    spaceId: c.spaceId,
    kind: c.kind,
    deviceId: c.deviceId,
    serialNumber: c.serialNumber,
    adamId: c.adamId ?? null,
    ...(c.userId ? { userId: c.userId } : {}),
    ...(c.invitationUrl ? { invitationUrl: c.invitationUrl } : {}),
    ...(c.licenseId ? { licenseId: c.licenseId } : {}),
    ...(c.appVersion ? { appVersion: c.appVersion } : {}),
    because: c.ruleIds,
    createdAt: c.createdAt.toISOString(),
  };
}
