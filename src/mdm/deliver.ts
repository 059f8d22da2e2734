import { claimMdmCommands, settleMdmCommands } from "../store/mdm-command.repo.js";
import type { MdmDeps } from "./deps.js";
import { type MdmCommandSink, MdmDeliveryError } from "./sinks.js";

/**
 * Attempts of a delivery the MDM may recover from (unreachable, 408, 429, 5xx): 2 s,
 * doubling, at most MAX_DELAY_MS apart: nearly 3 hours in all, longer than a
 * deployment or a short outage of the MDM's receiver.
 */
const MAX_ATTEMPTS = 20;
const MAX_DELAY_MS = 15 * 60_000;

/**
 * Delivers pending MDM commands to the sink, oldest first, in batches. A failure the
 * MDM may recover from is retried with backoff; after MAX_ATTEMPTS, or for a refusal,
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
    await sink.deliver(
      claimed.map((c) => ({
        id: c.id,
        seq: c.seq,
        spaceId: c.spaceId,
        kind: c.kind,
        deviceId: c.deviceId,
        serialNumber: c.serialNumber,
        adamId: c.adamId,
        ...(c.licenseId ? { licenseId: c.licenseId } : {}),
        ...(c.appVersion ? { appVersion: c.appVersion } : {}),
        because: c.ruleIds,
        createdAt: c.createdAt.toISOString(),
      })),
    );
  } catch (error) {
    const retryable = !(error instanceof MdmDeliveryError) || error.retryable;
    const attempts = Math.max(...claimed.map((c) => c.attempts));
    const giveUp = !retryable || attempts >= MAX_ATTEMPTS;
    await settleMdmCommands(deps.db, {
      commands: claimed,
      state: giveUp ? "failed" : "pending",
      error: error instanceof Error ? error.message : String(error),
      ...(giveUp
        ? {}
        : { notBefore: new Date(now.getTime() + Math.min(2 ** attempts * 1000, MAX_DELAY_MS)) }),
      now,
    });
    return 0;
  }
  await settleMdmCommands(deps.db, { commands: claimed, state: "delivered", now });
  return claimed.length;
}
