import type { Migration } from "kysely";
import { runStatements } from "./run-statements.js";

/**
 * The MDM delivery poll (`claimMdmCommands`, every second) read every pending command and
 * looked its license up, because an install waits until Apple confirmed its license: in a
 * check-in storm tens of thousands of installs wait for Apple at once, and each poll paid
 * for all of them although almost none could go.
 *
 * A pending install whose license is still pending_assign is now marked
 * (`awaiting_license`, set when it is queued) and is out of the poll's index
 * (`mdm_commands_deliverable`). The database clears the mark when the license leaves
 * pending_assign, by whatever statement (Apple's confirmation, a refusal, a release, a
 * resync) or is deleted (AC5): statement triggers with a transition table, which find the
 * marked commands by license (`mdm_commands_awaiting`). The poll then delivers the install
 * or cancels it, as before. `mdm_commands_open` stays: nothing names it, but the API's
 * listing of a space's pending commands (MDMs that poll, `listMdmCommands`) walks it; without
 * it that listing reads the space's whole delivered history (35 ms at 100,000 on PostgreSQL).
 *
 * Every statement that updates licenses runs the trigger, so its cost must follow the
 * licenses changed, never the installs waiting: the lookup is one index probe per license
 * (`license_id = ANY`, per space), not a join the planner could hash over every marked
 * command (seen: 14 ms for a one-license update with 49,000 waiting).
 *
 * The triggers exist before the backfill, in this migration's transaction: CREATE TRIGGER
 * locks `licenses` against writes, so no license can leave pending_assign between the
 * backfill's read and the triggers taking over.
 */
const statements = [
  `ALTER TABLE mdm_commands ADD COLUMN awaiting_license boolean NOT NULL DEFAULT false`,
  // One function for both triggers: each names its transition table `changed_licenses`; a
  // deleted license (AC5) settles its commands whatever its state.
  `CREATE FUNCTION mdm_commands_license_changed() RETURNS trigger LANGUAGE plpgsql AS $$
  DECLARE
    of_space text;
    license_ids text[];
  BEGIN
    FOR of_space, license_ids IN
      SELECT l.space_id, array_agg(l.id) FROM changed_licenses l
      WHERE TG_OP = 'DELETE' OR l.state <> 'pending_assign' GROUP BY l.space_id
    LOOP
      UPDATE mdm_commands SET awaiting_license = false
      WHERE space_id = of_space AND license_id = ANY (license_ids) AND state = 'pending' AND awaiting_license;
    END LOOP;
    RETURN NULL;
  END
  $$`,
  `CREATE TRIGGER licenses_settle_awaiting_commands AFTER UPDATE ON licenses
    REFERENCING NEW TABLE AS changed_licenses
    FOR EACH STATEMENT EXECUTE FUNCTION mdm_commands_license_changed()`,
  `CREATE TRIGGER licenses_release_awaiting_commands AFTER DELETE ON licenses
    REFERENCING OLD TABLE AS changed_licenses
    FOR EACH STATEMENT EXECUTE FUNCTION mdm_commands_license_changed()`,
  `UPDATE mdm_commands c SET awaiting_license = true
    FROM licenses l
    WHERE l.space_id = c.space_id AND l.id = c.license_id
      AND c.state = 'pending' AND l.state = 'pending_assign'`,
  // The poll: oldest first among the pending commands that may go (or be cancelled).
  `CREATE INDEX mdm_commands_deliverable ON mdm_commands (seq) WHERE state = 'pending' AND NOT awaiting_license`,
  // The triggers: the marked commands of a license.
  `CREATE INDEX mdm_commands_awaiting ON mdm_commands (space_id, license_id)
    WHERE state = 'pending' AND awaiting_license`,
];

export const mdmCommandsAwaitingLicense: Migration = {
  up: (db) => runStatements(db, statements),
};
