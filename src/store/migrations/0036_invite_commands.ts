import type { Migration } from "kysely";
import { runStatements } from "./run-statements.js";

/**
 * UB2, the invitation delivered by the MDM (Apple's InviteToProgram command):
 * - `mdm_commands.kind` takes `invite`: no app (`adam_id` null), the user invited
 *   (`user_id`, whose deletion takes their commands with it) and Apple's link
 *   (`invitation_url`); install and remove keep their app and have neither. Rows from
 *   before are installs and removes with an app: both checks hold for them.
 * - One open invite per device and link (`mdm_commands_invite_once`): a device is never
 *   sent the same link twice, whoever queues it at the same time; a cancelled one leaves
 *   room for a new one (the device back in service).
 * - A user's invites, found without reading the commands (cancelled when they enrol or are
 *   deleted); also the index the foreign key's cascade reads.
 * - `spaces.send_invitations_to_devices`: the MDM is told to deliver the link; off by default.
 */
const statements = [
  `ALTER TABLE mdm_commands ALTER COLUMN adam_id DROP NOT NULL`,
  `ALTER TABLE mdm_commands ADD COLUMN user_id text`,
  `ALTER TABLE mdm_commands ADD COLUMN invitation_url text`,
  `ALTER TABLE mdm_commands DROP CONSTRAINT mdm_commands_kind_check`,
  `ALTER TABLE mdm_commands ADD CONSTRAINT mdm_commands_kind_check CHECK (kind IN ('install', 'remove', 'invite'))`,
  `ALTER TABLE mdm_commands ADD CONSTRAINT mdm_commands_kind_fields CHECK (CASE WHEN kind = 'invite'
    THEN adam_id IS NULL AND user_id IS NOT NULL AND invitation_url IS NOT NULL
    ELSE adam_id IS NOT NULL AND user_id IS NULL AND invitation_url IS NULL END)`,
  `ALTER TABLE mdm_commands ADD CONSTRAINT mdm_commands_user_fkey FOREIGN KEY (space_id, user_id)
    REFERENCES users (space_id, id) ON DELETE CASCADE`,
  `CREATE UNIQUE INDEX mdm_commands_invite_once ON mdm_commands (space_id, device_id, invitation_url)
    WHERE kind = 'invite' AND state <> 'cancelled'`,
  `CREATE INDEX mdm_commands_invites ON mdm_commands (space_id, user_id) WHERE user_id IS NOT NULL`,
  `ALTER TABLE spaces ADD COLUMN send_invitations_to_devices boolean NOT NULL DEFAULT false`,
];

export const inviteCommands: Migration = {
  up: (db) => runStatements(db, statements),
};
