import type { AccountOps } from "../service/accounts.js";
import {
  addAccount,
  deleteAccount,
  resyncAccount,
  type SyncDeps,
  setAccountOrder,
  setAccountPriority,
  updateAccount,
} from "../sync/index.js";

/** The API's account port bound to the sync engine: every account operation talks to Apple (AC1-AC6). */
export function syncAccountOps(deps: SyncDeps): AccountOps {
  return {
    async add(input) {
      const { account, importFailed } = await addAccount(deps, input);
      return { account, ...(importFailed ? { importFailed } : {}) };
    },
    async update(input) {
      return (await updateAccount(deps, input)).account;
    },
    remove(input) {
      return deleteAccount(deps, input);
    },
    setPriority(input) {
      return setAccountPriority(deps, {
        spaceId: input.spaceId,
        accountId: input.accountId,
        priority: input.position,
        actor: input.actor,
      });
    },
    setOrder(input) {
      return setAccountOrder(deps, {
        spaceId: input.spaceId,
        order: input.order,
        ...(input.from ? { from: input.from } : {}),
        actor: input.actor,
      });
    },
    async resync(input) {
      await resyncAccount(deps, input);
    },
  };
}
