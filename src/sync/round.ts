/**
 * Every account's work of a round, to its end even when one fails: a round that ended at
 * the first failure would leave the others sending while the worker went on (or stopped
 * and handed their calls over). The first failure is thrown after.
 */
export async function allAccounts(work: ReadonlyArray<Promise<unknown>>): Promise<void> {
  const failed = (await Promise.allSettled(work)).find((r) => r.status === "rejected");
  if (failed) throw failed.reason;
}
