import { useMutation } from "@tanstack/react-query";
import { api } from "../api/client";
import type { LicenseType, RuleSentence } from "../api/types";

/** POST /what-if (src/api/routes/decisions.routes.ts `changeSchema`, `whatIfSchema`). */
export type ProposedChange =
  | { kind: "priorities"; order: string[] }
  | {
      kind: "rules";
      accountId: string;
      adamId: string;
      fcfs?: { groupIds: string[]; requestedType: LicenseType; mandatoryType: LicenseType };
      reservedUserIds: string[];
      reservedDeviceIds: string[];
      prohibitedUserIds: string[];
    }
  | { kind: "remove_account"; accountId: string };

/** A subject the change affects: today (`before`) and after the change. */
export interface WhatIfOutcome {
  /** `name`: the user's name or the device's serial number. */
  subject: { kind: "user" | "device"; id: string; name: string };
  before: { outcome: string; accountId?: string; type?: LicenseType };
  outcome: string;
  accountId?: string;
  type?: LicenseType;
  summary: string;
  because: string[];
}

export interface WhatIfCounts {
  licensed: number;
  waiting: number;
  refused: number;
}

export const CHANGE_KINDS = ["gain", "lose", "wait", "refuse", "move"] as const;
export type ChangeKind = (typeof CHANGE_KINDS)[number];

export interface WhatIfApp extends Record<ChangeKind, WhatIfOutcome[]> {
  adamId: string;
  name?: string;
  now: WhatIfCounts;
  after: WhatIfCounts;
  keep: number;
}

/** POST /what-if: only the apps the change affects; the others are counted. */
export interface WhatIfResult {
  apps: WhatIfApp[];
  unaffectedApps: number;
  totals: Record<ChangeKind | "keep", number>;
  rules: RuleSentence[];
}

export function useWhatIf(spaceId: string) {
  return useMutation({
    mutationFn: (changes: ProposedChange[]) =>
      api.post<WhatIfResult>(`/spaces/${spaceId}/what-if`, { changes }),
  });
}
