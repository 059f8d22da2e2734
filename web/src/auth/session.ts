import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef } from "react";
import { useTranslation } from "react-i18next";
import { api } from "../api/client";
import type { Items, Me, SpaceWithRole } from "../api/types";
import { LANGUAGES, type Language, setLanguage, takeLanguageChosenSignedOut } from "../i18n";

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
 * NT3: the language an administrator's notification e-mails are written in is the one they
 * last chose in the console (top bar, Settings, or the sign-in page just before), saved with
 * them; the first time, when none is saved, the console's own. Opening the console in
 * another browser changes nothing: each browser keeps its own language.
 */
export function useAdministratorLanguage(): void {
  const { i18n } = useTranslation();
  const me = useMe().data;
  const { mutate } = useSetNotificationEmails();
  const settled = useRef(false);
  useEffect(() => {
    if (settled.current || me?.kind !== "admin") return;
    settled.current = true;
    const chosen = takeLanguageChosenSignedOut();
    const current = LANGUAGES.find((l) => l === i18n.language);
    const toSave = chosen ?? (me.language === undefined ? current : undefined);
    if (toSave && toSave !== me.language) mutate({ language: toSave });
  }, [me, i18n.language, mutate]);
}

/** An administrator's choice of language, in the top bar or Settings: the console's, saved with them. */
export function useChooseLanguage(): (language: Language) => void {
  const me = useMe().data;
  const { mutate } = useSetNotificationEmails();
  return (language) => {
    setLanguage(language);
    if (me?.kind === "admin" && me.language !== language) mutate({ language });
  };
}
