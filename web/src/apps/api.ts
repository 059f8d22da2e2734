import { useMutation, useQueries, useQuery } from "@tanstack/react-query";
import { ApiProblemError, api } from "../api/client";
import { usePage, useRefreshSpace } from "../api/query";
import type { AppRow, AppRules, AppRulesInput, License, Page, PageQuery, WaitingRequest } from "../api/types";

export const appsPath = (spaceId: string) => `/spaces/${spaceId}/apps`;
export const rulesPath = (spaceId: string, accountId: string, adamId: string) =>
  `/spaces/${spaceId}/accounts/${accountId}/apps/${adamId}/rules`;

/** VU4: every bought app of the space, or of one account. */
export function useApps(spaceId: string, query: PageQuery, accountId?: string) {
  return usePage<AppRow>(accountId ? `/spaces/${spaceId}/accounts/${accountId}/apps` : appsPath(spaceId), {
    ...query,
  });
}

/** One app's VU4 row, for one account or the whole space (the API has no GET /apps/:adamId). */
export function useAppRow(spaceId: string, adamId: string, accountId?: string) {
  const path = accountId ? `/spaces/${spaceId}/accounts/${accountId}/apps` : appsPath(spaceId);
  return useQuery({
    queryKey: [path, "row", adamId],
    queryFn: () =>
      api
        .get<Page<AppRow>>(path, { q: adamId, pageSize: 50 })
        .then((r) => r.items.find((a) => a.adamId === adamId) ?? null),
  });
}

export function useRules(spaceId: string, accountId: string, adamId: string, enabled = true) {
  return useQuery({
    queryKey: [rulesPath(spaceId, accountId, adamId)],
    queryFn: () => api.get<AppRules>(rulesPath(spaceId, accountId, adamId)),
    enabled,
  });
}

/**
 * DI1: replace the three lists of one (account, app), only if they are still of the version
 * the edit began from (If-Match): another administrator's change made meanwhile is a 412
 * `rules_changed` (RULES_CHANGED), never undone.
 */
export function useSetRules(spaceId: string, accountId: string, adamId: string) {
  const invalidate = useRefreshSpace(spaceId);
  return useMutation({
    mutationFn: ({ rules, version }: { rules: AppRulesInput; version?: string | undefined }) =>
      api.put<AppRules>(
        rulesPath(spaceId, accountId, adamId),
        rules,
        version ? { "if-match": `"${version}"` } : undefined,
      ),
    onSuccess: invalidate,
  });
}

/** The API's code for rules changed since the version an edit named. */
export const RULES_CHANGED = "rules_changed";

/** True when the save failed because someone changed the rules meanwhile. */
export function rulesChangedMeanwhile(error: unknown): boolean {
  return error instanceof ApiProblemError && error.code === RULES_CHANGED;
}

/** The rules as the PUT takes them back: the lists by id, FCFS with its types. */
export function rulesInput(rules: AppRules): AppRulesInput {
  return {
    ...(rules.fcfs
      ? {
          fcfs: {
            groupIds: rules.fcfs.groups.map((g) => g.id),
            requestedType: rules.fcfs.requestedType,
            mandatoryType: rules.fcfs.mandatoryType,
          },
        }
      : {}),
    reservedUserIds: rules.reservedUsers.map((u) => u.id),
    reservedDeviceIds: rules.reservedDevices.map((d) => d.id),
    prohibitedUserIds: rules.prohibitedUsers.map((u) => u.id),
  };
}

/**
 * DI3: a license of the app at this account reserved for the user, the app's other rules as
 * they are (the server adds it under the app's lock; reserved already, nothing changes).
 */
export function useReserveForUser(spaceId: string) {
  const invalidate = useRefreshSpace(spaceId);
  return useMutation({
    mutationFn: (input: { accountId: string; adamId: string; userId: string }) =>
      api.post<AppRules>(`${rulesPath(spaceId, input.accountId, input.adamId)}/reservations`, {
        userIds: [input.userId],
      }),
    onSuccess: invalidate,
  });
}

/** DI5, VU2: the log of one (account, app). */
export function useAppLog(spaceId: string, accountId: string, adamId: string, query: PageQuery) {
  return usePage<License>(`/spaces/${spaceId}/accounts/${accountId}/apps/${adamId}/log`, { ...query });
}

/** DB2, UB3: the app's waiting queue, in the order it is served. */
export function useWaiting(spaceId: string, adamId: string, query: PageQuery) {
  return usePage<WaitingRequest>(`${appsPath(spaceId)}/${adamId}/waiting`, { ...query });
}

/**
 * DB2, UB3: requests of the app Apple refused, sent again (these subjects', or all): each
 * waits again in its place and is served in its turn.
 */
export function useRetryRefused(spaceId: string, adamId: string) {
  const invalidate = useRefreshSpace(spaceId);
  return useMutation({
    mutationFn: (input: { userIds?: string[]; deviceIds?: string[] }) =>
      api.post<{ retried: Array<{ adamId: string; userId?: string; deviceId?: string }> }>(
        `${appsPath(spaceId)}/${adamId}/waiting/retry`,
        input,
      ),
    onSuccess: invalidate,
  });
}

/** DB2: an administrator cancels a subject's waiting request: it leaves the queue (logged). */
export function useCancelWaiting(spaceId: string, adamId: string) {
  const invalidate = useRefreshSpace(spaceId);
  return useMutation({
    mutationFn: (subject: { kind: "user" | "device"; id: string }) =>
      api.delete(
        `${appsPath(spaceId)}/${adamId}/waiting/${encodeURIComponent(`${subject.kind}:${subject.id}`)}`,
      ),
    onSuccess: invalidate,
  });
}

/** VU5: the app's licenses in the space, searchable by user name. */
export function useLicenseUsage(spaceId: string, adamId: string, query: PageQuery) {
  return usePage<License>(`${appsPath(spaceId)}/${adamId}/license-usage`, { ...query });
}

/** RV4 (from License usage) or RV2 (from a log). */
export function useRevoke(spaceId: string) {
  const invalidate = useRefreshSpace(spaceId);
  return useMutation({
    mutationFn: (input: { licenseId: string; from: "usage" | "log" }) =>
      api.post<{ revoked: License[] }>(`/spaces/${spaceId}/licenses/${input.licenseId}/revoke`, {
        from: input.from,
      }),
    onSuccess: invalidate,
  });
}

/** MA4: every license of the app in every account of this space. */
export function useRevokeAll(spaceId: string, adamId: string) {
  const invalidate = useRefreshSpace(spaceId);
  return useMutation({
    mutationFn: () =>
      api.post<{ revoked: number }>(`${appsPath(spaceId)}/${adamId}/revoke-all`, { confirm: true }),
    onSuccess: invalidate,
  });
}

/** VU2: the accounts of the space that bought the app, each with its counts (one call per account). */
export function useAppAccounts(spaceId: string, adamId: string, accountIds: string[]) {
  return useQueries({
    queries: accountIds.map((accountId) => {
      const path = `/spaces/${spaceId}/accounts/${accountId}/apps`;
      return {
        queryKey: [path, "row", adamId],
        queryFn: () =>
          api
            .get<Page<AppRow>>(path, { q: adamId, pageSize: 50 })
            .then((r) => r.items.find((a) => a.adamId === adamId) ?? null),
      };
    }),
  });
}
