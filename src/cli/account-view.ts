import type { Account } from "../store/index.js";
import { expiryDate, shortDate } from "./output.js";

/** The stable JSON shape of an account in `orchard token …`: never the sToken (invariant 5). */
export function accountJson(a: Account) {
  return {
    id: a.id,
    name: a.displayName,
    priority: a.priority,
    orgName: a.orgName ?? null,
    locationName: a.locationName ?? null,
    tokenExpiresAt: a.tokenExpiresAt?.toISOString() ?? null,
    autoDistribute: a.autoDistribute,
    health: a.health,
    usable: a.usable,
    lastSyncedAt: a.lastSyncedAt?.toISOString() ?? null,
    createdAt: a.createdAt.toISOString(),
  };
}

export const ACCOUNT_HEADERS = [
  "PRIORITY",
  "ID",
  "NAME",
  "ORG",
  "LOCATION",
  "EXPIRES",
  "HEALTH",
  "LAST SYNC",
];

/** The table's rows: names and readable dates, the expiry with the days left (CA2, NT2). */
export function accountRows(accounts: readonly Account[], now: Date): string[][] {
  return accounts.map((a) => accountCells(a, now));
}

function accountCells(a: Account, now: Date): string[] {
  return [
    String(a.priority),
    a.id,
    a.displayName,
    a.orgName ?? "-",
    a.locationName ?? "-",
    expiryDate(a.tokenExpiresAt, now),
    a.usable ? a.health : `${a.health} (NT2: no new licenses)`,
    shortDate(a.lastSyncedAt),
  ];
}
