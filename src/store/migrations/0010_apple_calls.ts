import type { Migration } from "kysely";
import { runStatements } from "./run-statements.js";

/**
 * Apple calls in flight. The outbox keeps one row per pending operation (written with the
 * license change, invariant 3); when a worker forms an Apple request it moves the
 * operations it carries into one `apple_calls` row, in one transaction, and from then on
 * follows the call: one row written per request (claim, eventId, result) instead of one
 * per license, three times over. Operations Apple asks to retry, or refuses for good, come
 * back to the outbox (pending, or failed for the record) with their original `seq`.
 *
 * Rows the outbox still held as `sent` become calls, one per eventId, so an upgrade
 * follows the events already in flight.
 */
const statements = [
  `CREATE TABLE apple_calls (
    space_id text NOT NULL,
    id text NOT NULL,
    account_id text NOT NULL,
    kind text NOT NULL
      CHECK (kind IN ('associate', 'disassociate', 'revoke', 'create_user', 'update_user', 'retire_user')),
    -- The assets of an associate/disassociate request: [{ adamId, pricingParam }].
    assets jsonb NOT NULL DEFAULT '[]',
    -- The outbox operations the call carries: [{ seq, adamId, pricingParam, serialNumber, clientUserId, licenseId, attempts, createdAt }].
    ops jsonb NOT NULL,
    state text NOT NULL CHECK (state IN ('sending', 'sent')),
    event_id text,
    attempts integer NOT NULL DEFAULT 0,
    last_error text,
    not_before timestamptz,
    claimed_by text,
    claimed_until timestamptz,
    sent_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    -- No foreign key to accounts, as for the outbox: a deleted account's releases still go (AC5).
    PRIMARY KEY (space_id, id)
  )`,
  `CREATE INDEX apple_calls_due ON apple_calls (state, created_at)`,
  `CREATE INDEX apple_calls_by_event ON apple_calls (event_id) WHERE event_id IS NOT NULL`,
  `INSERT INTO apple_calls (space_id, id, account_id, kind, assets, ops, state, event_id, attempts,
      not_before, sent_at, created_at, updated_at)
    SELECT space_id, 'migrated-' || event_id, account_id, kind,
      coalesce(jsonb_agg(DISTINCT jsonb_build_object('adamId', adam_id, 'pricingParam', pricing_param))
        FILTER (WHERE adam_id IS NOT NULL), '[]'),
      jsonb_agg(jsonb_strip_nulls(jsonb_build_object('seq', seq, 'adamId', adam_id,
        'pricingParam', pricing_param, 'serialNumber', serial_number, 'clientUserId', client_user_id,
        'licenseId', license_id, 'attempts', attempts, 'createdAt', created_at)) ORDER BY seq),
      'sent', event_id, max(attempts), min(not_before), min(sent_at), min(created_at), max(updated_at)
    FROM outbox
    WHERE state = 'sent' AND event_id IS NOT NULL
    GROUP BY space_id, account_id, kind, event_id`,
  `DELETE FROM outbox WHERE state = 'sent' AND event_id IS NOT NULL`,
  // Anything else half-way goes again (associate and disassociate are idempotent at Apple).
  `UPDATE outbox SET state = 'pending', claimed_by = NULL, claimed_until = NULL WHERE state = 'sent'`,
  `UPDATE outbox SET claimed_by = NULL, claimed_until = NULL WHERE claimed_by IS NOT NULL`,
];

export const appleCalls: Migration = {
  up: (db) => runStatements(db, statements),
};
