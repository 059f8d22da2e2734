import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { z } from "zod";
import type {
  outsideAssignmentPageSchema,
  outsideReleaseAllAnswerSchema,
  outsideReleaseBody,
  outsideReleaseResultSchema,
} from "../../../src/api/outside-assignments.schema";
import { ApiProblemError, api } from "../api/client";
import { accountsPath } from "./api";

/** AC7: GET …/accounts/:accountId/outside-assignments (the last full sync's list). */
export type OutsidePage = z.input<typeof outsideAssignmentPageSchema>;
export type OutsideAssignment = OutsidePage["items"][number];
export type OutsideRef = z.input<typeof outsideReleaseBody>["assignments"][number];
export type OutsideReleaseResult = z.input<typeof outsideReleaseResultSchema>;
export type OutsideReleaseAll = z.input<typeof outsideReleaseAllAnswerSchema>;

const outsidePath = (spaceId: string, accountId: string) =>
  `${accountsPath(spaceId)}/${accountId}/outside-assignments`;

export function useOutsideAssignments(spaceId: string, accountId: string, page: number, pageSize: number) {
  return useQuery({
    queryKey: [accountsPath(spaceId), accountId, "outside-assignments", page, pageSize],
    queryFn: ({ signal }) =>
      api.get<OutsidePage>(outsidePath(spaceId, accountId), { page, pageSize }, signal),
    placeholderData: keepPreviousData,
  });
}

/** AC7: releases them at Apple (through the outbox); the list and the Apple work panel show it. */
export function useReleaseOutside(spaceId: string, accountId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (assignments: OutsideRef[]) =>
      api.post<OutsideReleaseResult>(`${outsidePath(spaceId, accountId)}/release`, { assignments }),
    onSuccess: () => qc.invalidateQueries({ queryKey: [accountsPath(spaceId), accountId] }),
  });
}

/**
 * AC7, "release all": `preview` counts the account's whole list and fingerprints it (nothing
 * queued); `release` releases exactly what a preview counted (a 409 `outside_changed` when
 * the list changed since: outsideChangedTo).
 */
export function useReleaseAllOutside(spaceId: string, accountId: string) {
  const qc = useQueryClient();
  const path = `${outsidePath(spaceId, accountId)}/release-all`;
  const preview = useMutation({
    mutationFn: () => api.post<OutsideReleaseAll>(path, { dryRun: true }),
  });
  const release = useMutation({
    mutationFn: (counted: { expect: number; fingerprint: string }) =>
      api.post<OutsideReleaseAll>(path, counted),
    onSuccess: () => qc.invalidateQueries({ queryKey: [accountsPath(spaceId), accountId] }),
  });
  return { preview, release };
}

/** The count the list holds now, when `error` is the 409 of a list that changed since its preview. */
export function outsideChangedTo(error: unknown): number | undefined {
  if (!(error instanceof ApiProblemError) || error.code !== "outside_changed") return undefined;
  const count = Number(error.problem.errors?.[0]?.limits?.count);
  return Number.isFinite(count) ? count : undefined;
}

/** An assignment as the API names it for a release: the app, and the serial number or the clientUserId. */
export function refOf(a: OutsideAssignment): OutsideRef {
  return a.serialNumber !== undefined
    ? { adamId: a.adamId, serialNumber: a.serialNumber }
    : { adamId: a.adamId, clientUserId: a.clientUserId ?? "" };
}

export const keyOf = (a: OutsideAssignment) =>
  `${a.adamId}|${a.pricingParam}|${a.serialNumber !== undefined ? `s:${a.serialNumber}` : `u:${a.clientUserId}`}`;
