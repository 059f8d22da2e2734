import type { Migration } from "kysely";
import { runStatements } from "./run-statements.js";

/**
 * An install whose license stops being live (refused by Apple, released, revoked, its
 * account deleted: AC5) is cancelled by the database as the license changes, by whatever
 * statement, with the reason the delivery poll gave ("license no longer live"). Until now
 * only that poll cancelled it, and it runs only with MDM_WEBHOOK_URL: an MDM that polls
 * `GET mdm/commands` saw the install pending for ever, and its acknowledgement marked
 * delivered an install that could not succeed.
 *
 * The triggers of 0013 find a license's pending commands by index, whatever their mark
 * (`mdm_commands_pending_license` replaces `mdm_commands_awaiting`): their cost still
 * follows the licenses changed. Installs already pending for a license no longer live are
 * cancelled once, here.
 */
const statements = [
  `CREATE INDEX mdm_commands_pending_license ON mdm_commands (space_id, license_id)
    WHERE state = 'pending' AND license_id IS NOT NULL`,
  `DROP INDEX mdm_commands_awaiting`,
  `CREATE OR REPLACE FUNCTION mdm_commands_license_changed() RETURNS trigger LANGUAGE plpgsql AS $$
  DECLARE
    of_space text;
    license_ids text[];
  BEGIN
    -- Assigned: the install may go (the poll, or an MDM listing ready commands, takes it).
    FOR of_space, license_ids IN
      SELECT l.space_id, array_agg(l.id) FROM changed_licenses l
      WHERE TG_OP = 'UPDATE' AND l.state = 'assigned' GROUP BY l.space_id
    LOOP
      UPDATE mdm_commands SET awaiting_license = false
      WHERE space_id = of_space AND license_id = ANY (license_ids) AND state = 'pending' AND awaiting_license;
    END LOOP;
    -- No longer live, or deleted: its commands cannot succeed.
    FOR of_space, license_ids IN
      SELECT l.space_id, array_agg(l.id) FROM changed_licenses l
      WHERE TG_OP = 'DELETE' OR l.state NOT IN ('pending_assign', 'assigned') GROUP BY l.space_id
    LOOP
      UPDATE mdm_commands
      SET state = 'cancelled', awaiting_license = false, not_before = NULL, claimed_until = NULL,
        updated_at = now(), last_error = 'license no longer live'
      WHERE space_id = of_space AND license_id = ANY (license_ids) AND state = 'pending';
    END LOOP;
    RETURN NULL;
  END
  $$`,
  `UPDATE mdm_commands c
    SET state = 'cancelled', awaiting_license = false, not_before = NULL, claimed_until = NULL,
      updated_at = now(), last_error = 'license no longer live'
    WHERE c.state = 'pending' AND c.license_id IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM licenses l WHERE l.space_id = c.space_id AND l.id = c.license_id
        AND l.state IN ('pending_assign', 'assigned'))`,
];

export const mdmCommandsLicenseGone: Migration = {
  up: (db) => runStatements(db, statements),
};
