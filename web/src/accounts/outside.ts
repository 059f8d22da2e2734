import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { z } from "zod";
import type {
  outsideAssignmentPageSchema,
  outsideReleaseBody,
  outsideReleaseResultSchema,
} from "../../../src/api/outside-assignments.schema";
import { api } from "../api/client";
import { accountsPath } from "./api";

/** AC7: GET …/accounts/:accountId/outside-assignments (the last full sync's list). */
export type OutsidePage = z.input<typeof outsideAssignmentPageSchema>;
export type OutsideAssignment = OutsidePage["items"][number];
export type OutsideRef = z.input<typeof outsideReleaseBody>["assignments"][number];
export type OutsideReleaseResult = z.input<typeof outsideReleaseResultSchema>;

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

/** An assignment as the API names it for a release: the app, and the serial number or the clientUserId. */
export function refOf(a: OutsideAssignment): OutsideRef {
  return a.serialNumber !== undefined
    ? { adamId: a.adamId, serialNumber: a.serialNumber }
    : { adamId: a.adamId, clientUserId: a.clientUserId ?? "" };
}

export const keyOf = (a: OutsideAssignment) =>
  `${a.adamId}|${a.pricingParam}|${a.serialNumber !== undefined ? `s:${a.serialNumber}` : `u:${a.clientUserId}`}`;
