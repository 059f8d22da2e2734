import {
  type Decision,
  decide,
  type LicenseRequest,
  type RequestReason,
  type Subject,
} from "../licensing/index.js";
import { Coalescer, coalescerPer } from "../store/coalesce.js";
import type { Db } from "../store/database.js";
import { loadWorldSnapshot, worldFor } from "../store/index.js";
import { DEFAULT_LANGUAGE, type Language } from "./decision-texts.js";
import { type Described, describe } from "./describe.js";

export interface Explanation extends Described {
  request: LicenseRequest;
  decision: Decision;
}

/**
 * The decision the engine would make now for (app, subject), in words, without changing
 * anything: the same world the allocation would load, read without locks. Explanations of
 * one app asked together (an MDM asking for each of its devices) share one read of that
 * world (a Coalescer): the app's rules and seats once, every subject's licenses at once.
 */
export async function explain(
  db: Db,
  input: { spaceId: string; adamId: string; subject: Subject; why: RequestReason },
  language: Language = DEFAULT_LANGUAGE,
): Promise<Explanation> {
  const request: LicenseRequest = { ...input };
  const outcome = await explainedOf(db).submit(`${input.spaceId}\u0000${input.adamId}`, {
    request,
    language,
  });
  if ("error" in outcome) throw outcome.error;
  return outcome.explanation;
}

type Outcome = { explanation: Explanation } | { error: unknown };

const explainedOf = coalescerPer(
  (db: Db) =>
    new Coalescer<{ request: LicenseRequest; language: Language }, Outcome>(async (asked) => {
      const requests = asked.map((a) => a.request);
      const first = requests[0];
      if (!first) return [];
      const snapshot = await loadWorldSnapshot(db, {
        spaceId: first.spaceId,
        adamId: first.adamId,
        subjects: requests.map((r) => r.subject),
      });
      const names = snapshot.accountNames;
      return asked.map(({ request, language }) => {
        try {
          const decision = decide(request, worldFor(snapshot, request));
          const words = describe(decision, (id) => names.get(id) ?? id, language);
          return { explanation: { request, decision, ...words } };
        } catch (error) {
          return { error }; // this subject's (unknown device, ...), not the others'
        }
      });
    }),
);
