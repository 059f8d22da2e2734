import { useQuery } from "@tanstack/react-query";
import { api } from "../api/client";
import { usePage } from "../api/query";
import type { Group, Items, PageQuery, User } from "../api/types";
import type { SubjectWaiting } from "../apps/WaitingQueue";
import type { LicenseUsageRow } from "./types";

/** The space's users; `registration` narrows them to where they stand at Apple (UB2). */
export function useUsers(spaceId: string, query: PageQuery & { registration?: string | undefined }) {
  return usePage<User>(`/spaces/${spaceId}/users`, { ...query });
}

export function useUser(spaceId: string, userId: string, enabled = true) {
  return useQuery({
    queryKey: [`/spaces/${spaceId}/users`, userId],
    queryFn: () => api.get<User>(`/spaces/${spaceId}/users/${userId}`),
    enabled,
  });
}

/** VU1. */
export function useUserLicenseUsage(spaceId: string, userId: string) {
  return useQuery({
    queryKey: [`/spaces/${spaceId}/users`, userId, "license-usage"],
    queryFn: () =>
      api
        .get<Items<LicenseUsageRow>>(`/spaces/${spaceId}/users/${userId}/license-usage`)
        .then((r) => r.items),
  });
}

export function useGroups(spaceId: string, query: PageQuery) {
  return usePage<Group>(`/spaces/${spaceId}/groups`, { ...query });
}

/** DI7: the groups the user is in, All Users first. */
export function useUserGroups(spaceId: string, userId: string) {
  return useQuery({
    queryKey: [`/spaces/${spaceId}/users`, userId, "groups"],
    queryFn: () => api.get<Items<Group>>(`/spaces/${spaceId}/users/${userId}/groups`).then((r) => r.items),
  });
}

/** DB2, UB3: the apps the user waits for a user-based license of, with their place in each app's queue. */
export function useUserWaiting(spaceId: string, userId: string) {
  return useQuery({
    queryKey: [`/spaces/${spaceId}/users`, userId, "waiting"],
    queryFn: () =>
      api.get<Items<SubjectWaiting>>(`/spaces/${spaceId}/users/${userId}/waiting`).then((r) => r.items),
  });
}
