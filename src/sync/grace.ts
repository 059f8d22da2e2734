/**
 * RV3: at the end of the 30 days of grace, the MDM is told to remove the app from iOS
 * devices where it is still installed and the subject is not licensed again (macOS keeps
 * it). Commands go out before the licenses are closed: a crash in between sends them
 * again next time, and removing an app twice is harmless.
 */
import { endOfGrace, type MdmCommand } from "../licensing/index.js";
import { expireGrace } from "../store/index.js";
import { graceContext, graceDue } from "../store/sync-grace.repo.js";
import type { SyncDeps } from "./deps.js";
import { SYSTEM } from "./deps.js";

export async function expireGracePeriods(
  deps: SyncDeps,
  limit = 1000,
): Promise<{ expired: number; commands: MdmCommand[] }> {
  const now = deps.now();
  const due = await graceDue(deps.db, now, limit);
  const commands: MdmCommand[] = [];
  for (const license of due) {
    const context = await graceContext(deps.db, license);
    const removes = endOfGrace({ license, now, ...context });
    if (removes.length === 0) continue;
    commands.push(...removes);
    if (deps.mdm) await deps.mdm.send(removes, license.spaceId);
  }
  if (commands.length > 0 && !deps.mdm) {
    deps.logger.warn({ commands: commands.length }, "no MDM command sink bound: remove commands not sent");
  }
  // When more are due than one round takes, close exactly those looked at (up to the last one's end).
  const last = due.length === limit ? due[due.length - 1]?.graceUntil : undefined;
  const expired = due.length
    ? await expireGrace(deps.db, { now: last ?? now, actor: SYSTEM, limit: limit * 2 })
    : 0;
  return { expired, commands };
}
