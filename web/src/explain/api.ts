import { useQuery } from "@tanstack/react-query";
import { api } from "../api/client";
import type { Decision, RuleSentence } from "../api/types";

/** GET /explain (src/api/routes/decisions.routes.ts `explanationSchema`). */
export interface Explanation {
  decision: Decision;
  outcome: string;
  summary: string;
  rules: RuleSentence[];
}

export type ExplainWhy = "requested" | "mandatory" | "check_in";

export interface ExplainInput {
  app: string;
  subject: { kind: "user" | "device"; id: string };
  why: ExplainWhy;
}

export function useExplain(spaceId: string, input: ExplainInput | undefined) {
  return useQuery({
    queryKey: [`/spaces/${spaceId}/explain`, input],
    queryFn: () =>
      api.get<Explanation>(`/spaces/${spaceId}/explain`, {
        app: input?.app,
        [input?.subject.kind ?? "user"]: input?.subject.id,
        why: input?.why,
      }),
    enabled: input !== undefined,
    retry: false,
  });
}
