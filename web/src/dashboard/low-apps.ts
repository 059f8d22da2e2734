/** NT1's first level: 90% of an app's licenses taken. */
const LOW_SHARE = 0.9;

/**
 * Few licenses left: none free, or 90% taken. Seats held for reservations (DI6) are taken
 * too: 1 free of 20 is low, whatever the reservations.
 */
export const isLow = (a: { total: number; available: number }) =>
  a.total > 0 && (a.available === 0 || (a.total - a.available) / a.total >= LOW_SHARE);

/** Where an app is low, per account: the accounts' names and counts, by app. */
export type LowAt = ReadonlyMap<string, ReadonlyArray<{ account: string; available: number; total: number }>>;

export function lowAccounts(
  accounts: ReadonlyArray<{
    name: string;
    assets: ReadonlyArray<{ adamId: string; total: number; available: number }>;
  }>,
): LowAt {
  const low = new Map<string, Array<{ account: string; available: number; total: number }>>();
  for (const { name, assets } of accounts)
    for (const a of assets.filter(isLow)) {
      const at = { account: name, available: a.available, total: a.total };
      low.set(a.adamId, [...(low.get(a.adamId) ?? []), at]);
    }
  return low;
}
