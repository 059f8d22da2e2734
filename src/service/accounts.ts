import { parseSToken } from "../apple/index.js";
import type { KeyRing } from "../store/crypto.js";
import type { Db } from "../store/database.js";
import { StoreError } from "../store/errors.js";
import {
  type Account,
  createAccount,
  getAccount,
  replaceSToken,
  setAccountOrder,
  setAccountPriority,
} from "../store/index.js";
import type { Actor } from "../store/sql-helpers.js";
import { setAccountSettings } from "../store/sync-accounts.repo.js";

/**
 * Account operations (AC1-AC6). They talk to Apple, so src/sync owns them; this port
 * lets main/server.ts bind sync's versions. `localAccountOps` is the offline binding:
 * it checks and stores the token without calling Apple (used until sync is bound, and
 * by tests that need no Apple).
 */
export interface AddAccountInput {
  spaceId: string;
  name: string;
  /** The `.vpptoken` / `.stoken` file's content. Never logged, never returned. */
  sTokenFile: string;
  autoDistribute: boolean;
  clearPrevious: boolean;
  takeOver: boolean;
  actor: Actor;
}

export interface UpdateAccountInput {
  spaceId: string;
  accountId: string;
  name?: string;
  sTokenFile?: string;
  autoDistribute?: boolean;
  clearPrevious?: boolean;
  takeOver?: boolean;
  actor: Actor;
}

/** An added account; `importFailed` when Apple answered the token but the first import did not finish. */
export interface AddedAccount {
  account: Account;
  importFailed?: { code: string; message: string };
}

export interface AccountRemoved {
  released: number;
  /** Every license released at Apple (false: the token could not be used, or stopped working partway: stillAtApple). */
  releasedAtApple: boolean;
  /** How many are still assigned at Apple, for an administrator to release in Apple Business Manager. */
  stillAtApple: number;
}

export interface AccountOps {
  add(input: AddAccountInput): Promise<AddedAccount>;
  update(input: UpdateAccountInput): Promise<Account>;
  /** AC5: how many licenses were released, and whether at Apple (not when the token was unusable). */
  remove(input: { spaceId: string; accountId: string; actor: Actor }): Promise<AccountRemoved>;
  setPriority(input: {
    spaceId: string;
    accountId: string;
    position: number;
    actor: Actor;
  }): Promise<Account[]>;
  /** AC4, MA6: the whole order at once (each account's id once); `from`: the order it was made from. */
  setOrder(input: {
    spaceId: string;
    order: readonly string[];
    from?: readonly string[] | undefined;
    actor: Actor;
  }): Promise<Account[]>;
  /** AC3: a full sync, queued or run; resolves when accepted. */
  resync(input: { spaceId: string; accountId: string; actor: Actor }): Promise<void>;
}

export function localAccountOps(db: Db, keys: KeyRing, now: () => Date): AccountOps {
  return {
    async add(input) {
      const token = parseSToken(input.sTokenFile, { now: now() });
      const account = await createAccount(db, keys, {
        spaceId: input.spaceId,
        displayName: input.name,
        sToken: token.value(),
        orgName: token.orgName,
        tokenExpiresAt: token.expiresAt,
        autoDistribute: input.autoDistribute,
      });
      return { account };
    },
    async update(input) {
      await getAccount(db, input.spaceId, input.accountId);
      if (input.sTokenFile !== undefined) {
        const token = parseSToken(input.sTokenFile, { now: now() });
        await replaceSToken(db, keys, {
          spaceId: input.spaceId,
          id: input.accountId,
          sToken: token.value(),
          ...(input.name ? { displayName: input.name } : {}),
          tokenExpiresAt: token.expiresAt,
          now: now(),
        });
      }
      if (input.name || input.autoDistribute !== undefined) {
        // Under the space's lock, names unique (CA2), as the sync engine's update does.
        await setAccountSettings(db, {
          spaceId: input.spaceId,
          id: input.accountId,
          ...(input.name ? { displayName: input.name } : {}),
          ...(input.autoDistribute !== undefined ? { autoDistribute: input.autoDistribute } : {}),
          now: now(),
        });
      }
      return getAccount(db, input.spaceId, input.accountId);
    },
    async remove(input) {
      await getAccount(db, input.spaceId, input.accountId);
      const held = await db
        .selectFrom("licenses")
        .select("id")
        .where("space_id", "=", input.spaceId)
        .where("account_id", "=", input.accountId)
        .limit(1)
        .executeTakeFirst();
      if (held) {
        // Releasing at Apple is sync's job (AC5); offline, refuse rather than lose track.
        throw new StoreError(
          "invalid_transition",
          "the account gave licenses; deleting it needs the sync engine",
        );
      }
      await db
        .deleteFrom("accounts")
        .where("space_id", "=", input.spaceId)
        .where("id", "=", input.accountId)
        .execute();
      return { released: 0, releasedAtApple: true, stillAtApple: 0 };
    },
    setPriority(input) {
      return setAccountPriority(db, input.spaceId, input.accountId, input.position);
    },
    async setOrder(input) {
      return (await setAccountOrder(db, input.spaceId, input.order, input.from)).accounts;
    },
    async resync(input) {
      await getAccount(db, input.spaceId, input.accountId);
    },
  };
}
