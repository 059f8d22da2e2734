import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api } from "../api/client";
import type { Page, PageQuery } from "../api/types";

export type MdmCommandState = "pending" | "delivered" | "cancelled" | "failed";

/** GET mdm/commands/overview (src/api/routes/mdm.routes.ts `commandViewSchema`). */
export interface MdmCommand {
  seq: number;
  kind: "install" | "remove" | "invite";
  deviceId: string;
  serialNumber: string;
  /** The app of an install or a remove; null for an invite. */
  adamId: string | null;
  /** UB2, an invite: the user invited and Apple's invitation link. */
  userId?: string;
  invitationUrl?: string;
  appName?: string;
  appVersion?: string;
  licenseId?: string;
  ruleIds: string[];
  state: MdmCommandState;
  awaitingLicense: boolean;
  attempts: number;
  lastError?: string;
  notBefore?: string;
  createdAt: string;
  updatedAt: string;
}

/** A page of commands, and the space's commands in each state whatever the filter. */
export interface MdmCommandPage extends Page<MdmCommand> {
  counts: Record<MdmCommandState, number>;
}

/** POST mdm/commands/retry. */
export interface MdmRetryResult {
  retried: number;
  seqs: number[];
  skipped: Array<
    | { seq: number; reason: "license_not_live" }
    | { seq: number; reason: "superseded"; by: number }
    | { seq: number; reason: "not_failed"; state: MdmCommandState }
    | { seq: number; reason: "not_found" }
  >;
}

/** POST mdm/webhook/test. */
export type MdmWebhookTest =
  | { outcome: "delivered"; id: string; status: number; latencyMs: number }
  | { outcome: "failed"; id: string; status?: number; error: string; retryable: boolean; latencyMs: number };

const path = (spaceId: string) => `/spaces/${spaceId}/mdm/commands`;

/**
 * The space's commands, failed first, then pending (the default sort), of the states chosen;
 * as `usePage` (api/query.ts) keeps the last page while the next loads.
 */
export function useMdmCommands(spaceId: string, query: PageQuery, states: readonly MdmCommandState[]) {
  const url = `${path(spaceId)}/overview`;
  const params = { ...query, state: states.length > 0 ? states.join(",") : undefined };
  return useQuery({
    queryKey: [url, params],
    queryFn: ({ signal }) => api.get<MdmCommandPage>(url, params, signal),
    placeholderData: keepPreviousData,
  });
}

/** Sends failed commands again: these, or every failed one of the space. */
export function useRetryMdmCommands(spaceId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (which: { seqs: number[] } | { all: true }) =>
      api.post<MdmRetryResult>(`${path(spaceId)}/retry`, which),
    onSettled: () => qc.invalidateQueries({ queryKey: [`${path(spaceId)}/overview`] }),
  });
}

/** One signed test message to the MDM's webhook, and what it answered. */
export function useMdmWebhookTest(spaceId: string) {
  return useMutation({
    mutationFn: () => api.post<MdmWebhookTest>(`/spaces/${spaceId}/mdm/webhook/test`),
  });
}
