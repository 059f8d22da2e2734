import {
  type Decision,
  decide,
  type LicenseRequest,
  type RequestReason,
  type Subject,
} from "../licensing/index.js";
import type { Db } from "../store/database.js";
import { listAccounts, loadDecisionWorld } from "../store/index.js";
import { type Described, describe } from "./describe.js";

export interface Explanation extends Described {
  request: LicenseRequest;
  decision: Decision;
}

/**
 * The decision the engine would make now for (app, subject), in words, without changing
 * anything: the same world the allocation would load, read without locks.
 */
export async function explain(
  db: Db,
  input: { spaceId: string; adamId: string; subject: Subject; why: RequestReason },
): Promise<Explanation> {
  const request: LicenseRequest = { ...input };
  const [world, accounts] = await Promise.all([
    loadDecisionWorld(db, request),
    listAccounts(db, input.spaceId),
  ]);
  const decision = decide(request, world);
  const names = new Map(accounts.map((a) => [a.id, a.displayName]));
  return { request, decision, ...describe(decision, (id) => names.get(id) ?? id) };
}
