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
    async send(commands: readonly MdmCommand[], spaceId: string) {
      if (commands.length === 0) return;
      // Only devices still managed in that space: a device that moved away keeps its app.
      const devices = await db
        .selectFrom("devices")
        .select(["id", "serial_number"])
        .where("space_id", "=", spaceId)
        .where("status", "=", "active")
        .where("id", "in", [...new Set(commands.map((c) => c.deviceId))])
        .execute();
      const serials = new Map(devices.map((d) => [d.id, d.serial_number]));
      const at = now();
      await queueMdmCommands(
        db,
        commands.flatMap((c) => {
          const serialNumber = serials.get(c.deviceId);
          return serialNumber
            ? [
                {
                  spaceId,
                  serialNumber,
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
