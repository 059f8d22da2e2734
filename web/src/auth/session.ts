import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api } from "../api/client";
import type { Items, Me, SpaceWithRole } from "../api/types";

export const sessionKeys = { me: ["me"] as const, spaces: ["spaces"] as const };

/** Who is signed in; `undefined` data with a 401 error means nobody. */
export function useMe() {
  return useQuery({
    queryKey: sessionKeys.me,
    queryFn: () => api.get<Me>("/auth/me"),
    retry: false,
    staleTime: 60_000,
  });
}

export function useSpaces(enabled: boolean) {
  return useQuery({
    queryKey: sessionKeys.spaces,
    queryFn: () => api.get<Items<SpaceWithRole>>("/spaces").then((r) => r.items),
    enabled,
    staleTime: 60_000,
  });
}

/** How this server signs in: with a password, with single sign-on, or both (public). */
export function useSignInMethods() {
  return useQuery({
    queryKey: ["auth-methods"],
    queryFn: () => api.get<{ password: boolean; sso: boolean }>("/auth/methods"),
    staleTime: 300_000,
  });
}

export function useLogin() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (input: { login: string; password: string }) => api.post<unknown>("/auth/login", input),
    onSuccess: async () => {
      qc.clear();
      await qc.invalidateQueries();
    },
  });
}

export function useLogout() {
  const qc = useQueryClient();
  return useMutation({
    // A session single sign-on opened may end at the provider too: the answer says where to go.
    mutationFn: () => api.post<{ redirect: string } | undefined>("/auth/logout"),
    onSettled: () => {
      qc.clear();
    },
  });
}

/** NT3: an administrator's own address for notification e-mails, and whether they want them. */
export interface NotificationEmails {
  /** null: no address, and no notification e-mails. */
  email?: string | null;
  notifyByEmail?: boolean;
}

/** PATCH /auth/me: the administrator's own notification e-mails; answers who is signed in anew. */
export function useSetNotificationEmails() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (input: NotificationEmails) => api.patch<Me>("/auth/me", input),
    onSuccess: (me) => {
      qc.setQueryData(sessionKeys.me, me);
      // An owner sees their own row in Settings › Administrators (settings/api.ts adminsKey).
      return qc.invalidateQueries({ queryKey: ["/admins"] });
    },
  });
}
