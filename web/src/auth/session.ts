import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef } from "react";
import { useTranslation } from "react-i18next";
import { api } from "../api/client";
import type { Items, Me, SpaceWithRole } from "../api/types";
import { LANGUAGES, type Language } from "../i18n";

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
  /** The console's language, their e-mails' too. */
  language?: Language;
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

/**
 * NT3: the console's language, saved with the signed-in administrator whenever it differs
 * from theirs (chosen at sign-in, in the top bar or in Settings), so that the notification
 * e-mails they receive are written in it too.
 */
export function useSaveLanguage(): void {
  const { i18n } = useTranslation();
  const me = useMe().data;
  const save = useSetNotificationEmails();
  const language = LANGUAGES.find((l) => l === i18n.language);
  const differs =
    me?.kind === "admin" && me.language !== undefined && language !== undefined && me.language !== language;
  const { mutate } = save;
  // Once per language chosen: a refusal is not asked again at every render.
  const tried = useRef<Language>(undefined);
  useEffect(() => {
    if (!differs || !language || tried.current === language) return;
    tried.current = language;
    mutate({ language });
  }, [differs, language, mutate]);
}
