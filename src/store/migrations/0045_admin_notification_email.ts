import type { Migration } from "kysely";
import { runStatements } from "./run-statements.js";

/**
 * NT3: notification e-mails reach the administrators of the notification's space who asked
 * for them, besides NOTIFY_EMAIL_TO: each administrator's address (their own, or the identity
 * provider's `email` claim) and whether they want these e-mails. Asking needs an address.
 */
const statements = [
  `ALTER TABLE admins ADD COLUMN email text,
    ADD COLUMN notify_by_email boolean NOT NULL DEFAULT false,
    ADD CONSTRAINT admins_notify_needs_email CHECK (NOT notify_by_email OR email IS NOT NULL)`,
];

export const adminNotificationEmail: Migration = {
  up: (db) => runStatements(db, statements),
};
