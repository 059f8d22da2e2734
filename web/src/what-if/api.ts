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

export interface WhatIfOutcome {
  subject: { kind: "user" | "device"; id: string };
  outcome: string;
  accountId?: string;
  type?: LicenseType;
  summary: string;
  because: string[];
}

export interface WhatIfResult {
  apps: {
    adamId: string;
    gain: WhatIfOutcome[];
    lose: WhatIfOutcome[];
    wait: WhatIfOutcome[];
    refuse: WhatIfOutcome[];
    keep: number;
  }[];
  totals: { gain: number; lose: number; wait: number; refuse: number; keep: number };
  rules: RuleSentence[];
}

export function useWhatIf(spaceId: string) {
  return useMutation({
    mutationFn: (changes: ProposedChange[]) =>
      api.post<WhatIfResult>(`/spaces/${spaceId}/what-if`, { changes }),
  });
}
