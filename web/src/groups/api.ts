import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { ApiProblemError, api, apiRequest } from "../api/client";
import { usePage, useRefreshSpace } from "../api/query";
import type { Group, PageQuery, User } from "../api/types";

export const groupsPath = (spaceId: string) => `/spaces/${spaceId}/groups`;

/** The license rules (account, app) whose FCFS groups include a group (directory.routes.ts `usedBySchema`). */
export interface UsedBy {
  total: number;
  /** The first 20, by app name. */
  rules: RuleUse[];
}
export interface RuleUse {
  accountId: string;
  accountName: string;
  adamId: string;
  appName?: string;
}

/** A group as listed and read (directory.routes.ts `groupViewSchema`): with the rules that use it. */
export type GroupView = Group & { usedBy: UsedBy };

/** The groups of the space with their members and the rules that use each. */
export function useGroupViews(spaceId: string, query: PageQuery) {
  return usePage<GroupView>(groupsPath(spaceId), { ...query });
}

export function useGroup(spaceId: string, groupId: string) {
  return useQuery({
    queryKey: [groupsPath(spaceId), groupId],
    queryFn: () => api.get<GroupView>(`${groupsPath(spaceId)}/${groupId}`),
  });
}

/** A group's members (All Users: every user of the space), paged, searchable by name. */
export function useGroupMembers(spaceId: string, groupId: string, query: PageQuery) {
  return usePage<User>(`${groupsPath(spaceId)}/${groupId}/members`, { ...query });
}

export function useCreateGroup(spaceId: string) {
  const invalidate = useRefreshSpace(spaceId);
  return useMutation({
    mutationFn: (name: string) => api.post<Group>(groupsPath(spaceId), { name }),
    onSuccess: invalidate,
  });
}

export function useRenameGroup(spaceId: string, groupId: string) {
  const invalidate = useRefreshSpace(spaceId);
  return useMutation({
    mutationFn: (name: string) => api.patch<GroupView>(`${groupsPath(spaceId)}/${groupId}`, { name }),
    onSuccess: invalidate,
  });
}

/** Members added or removed: the API takes a list of user ids either way. */
export function useChangeMembers(spaceId: string, groupId: string, change: "add" | "remove") {
  const invalidate = useRefreshSpace(spaceId);
  const path = `${groupsPath(spaceId)}/${groupId}/members`;
  return useMutation({
    mutationFn: (userIds: string[]) =>
      change === "add"
        ? api.post<void>(path, { userIds })
        : apiRequest<void>("DELETE", path, { json: { userIds } }),
    onSuccess: invalidate,
  });
}

/**
 * DI1: deletes a group; `confirm` (its exact name) deletes one that license rules use.
 * Refused unconfirmed, the error is `group_in_use` with the rules (`inUseOf`).
 */
export function useDeleteGroup(spaceId: string, groupId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (confirm?: string) =>
      api.delete(`${groupsPath(spaceId)}/${groupId}`, confirm === undefined ? undefined : { confirm }),
    // Not the group's own queries (itself, its members): the page leaves them, read again they would be 404s.
    onSuccess: () => {
      const own = `${groupsPath(spaceId)}/${groupId}`;
      return qc.invalidateQueries({
        predicate: ({ queryKey: [path, id] }) =>
          typeof path === "string" &&
          path.startsWith(`/spaces/${spaceId}`) &&
          !path.startsWith(`${own}/`) &&
          !(path === groupsPath(spaceId) && id === groupId),
      });
    },
  });
}

/** The rules a refused deletion names (409 `group_in_use`, `GroupInUseProblem.usedBy`). */
export function inUseOf(error: unknown): UsedBy | undefined {
  if (!(error instanceof ApiProblemError) || error.code !== "group_in_use") return undefined;
  return (error.problem as { usedBy?: UsedBy }).usedBy;
}
