import type { MdmCommand } from "../licensing/index.js";
import type { Db } from "../store/index.js";
import { queueMdmCommands } from "../store/mdm-command.repo.js";
import type { MdmCommandSink } from "../sync/index.js";

/**
 * The sync engine's MDM port (remove commands at the end of a grace, RV3) bound to the
 * MDM command outbox, so they reach the MDM the same way as every other command.
 */
export function queueingMdmSink(db: Db, now: () => Date): MdmCommandSink {
  return {
    async send(commands: readonly MdmCommand[]) {
      if (commands.length === 0) return;
      const devices = await db
        .selectFrom("devices")
        .select(["space_id", "id", "serial_number", "status"])
        .where("id", "in", [...new Set(commands.map((c) => c.deviceId))])
        .execute();
      // A moved device has a row per space it was in: the active one is where it is now.
      const where = new Map<string, { spaceId: string; serialNumber: string }>();
      for (const d of devices.sort((a, b) => Number(a.status === "active") - Number(b.status === "active"))) {
        where.set(d.id, { spaceId: d.space_id, serialNumber: d.serial_number });
      }
      const at = now();
      await queueMdmCommands(
        db,
        commands.flatMap((c) => {
          const device = where.get(c.deviceId);
          return device
            ? [
                {
                  ...device,
                  kind: c.kind,
                  deviceId: c.deviceId,
                  adamId: c.adamId,
                  ruleIds: c.because,
                  now: at,
                },
              ]
            : [];
        }),
      );
    },
  };
}
