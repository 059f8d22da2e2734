import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api } from "../api/client";
import type {
  Administrator,
  ApiToken,
  Grant,
  IssuedApiToken,
  Items,
  PasswordRules,
  Space,
  TokenRole,
} from "../api/types";
import { sessionKeys } from "../auth/session";

const tokensKey = ["/auth/tokens"];

export function useApiTokens() {
  return useQuery({
    queryKey: tokensKey,
    queryFn: () => api.get<Items<ApiToken>>("/auth/tokens").then((r) => r.items),
  });
}

export function useCreateToken() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (input: {
      name: string;
      grants: { spaceId: string; role: TokenRole }[];
      expiresInDays?: number;
    }) => api.post<IssuedApiToken>("/auth/tokens", input),
    onSuccess: () => qc.invalidateQueries({ queryKey: tokensKey }),
  });
}

export function useRevokeToken() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => api.delete(`/auth/tokens/${id}`),
    onSuccess: () => qc.invalidateQueries({ queryKey: tokensKey }),
  });
}

const adminsKey = ["/admins"];

/** Administrators and their roles per space (owners only, PM1). */
export function useAdministrators() {
  return useQuery({
    queryKey: adminsKey,
    queryFn: () => api.get<Items<Administrator>>("/admins").then((r) => r.items),
  });
}

/** The server's rules for a new password, shown beside the field as the server reports them. */
export function usePasswordRules() {
  return useQuery({
    queryKey: ["/admins/password-rules"],
    queryFn: () => api.get<PasswordRules>("/admins/password-rules"),
    staleTime: Number.POSITIVE_INFINITY,
  });
}

export interface NewAdministrator {
  login: string;
  displayName?: string;
  /** Absent: single sign-on only (the server must have it). */
  password?: string;
  isOwner: boolean;
  grants: Grant[];
  /** Where notification e-mails reach them (NT3). */
  email?: string;
  /** NT3: e-mail them the notifications of their spaces (needs `email`). */
  notifyByEmail?: boolean;
}

export function useCreateAdministrator() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (input: NewAdministrator) => api.post<Administrator>("/admins", input),
    onSuccess: () => qc.invalidateQueries({ queryKey: adminsKey }),
  });
}

export function useSetGrants() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (input: { adminId: string; grants: Grant[] }) =>
      api.put<Administrator>(`/admins/${encodeURIComponent(input.adminId)}/grants`, { grants: input.grants }),
    onSuccess: () => qc.invalidateQueries({ queryKey: adminsKey }),
  });
}

/**
 * Display name, owner or not, a new password (its sessions end), their notification e-mails:
 * only what is given changes.
 */
export interface AdministratorEdit {
  displayName?: string;
  isOwner?: boolean;
  password?: string;
  /** Single sign-on: forget the provider's account they are linked to. */
  unlinkSso?: true;
  disabled?: boolean;
  /** null: no address, and no notification e-mails (NT3). */
  email?: string | null;
  notifyByEmail?: boolean;
}

export function useEditAdministrator() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ adminId, ...edit }: AdministratorEdit & { adminId: string }) =>
      api.patch<Administrator>(`/admins/${encodeURIComponent(adminId)}`, edit),
    // An owner who edits themselves: the user menu's notification e-mails read GET /auth/me.
    onSuccess: () =>
      Promise.all([
        qc.invalidateQueries({ queryKey: adminsKey }),
        qc.invalidateQueries({ queryKey: sessionKeys.me }),
      ]),
  });
}

export function useRemoveAdministrator() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (adminId: string) => api.delete(`/admins/${encodeURIComponent(adminId)}`),
    onSuccess: () => qc.invalidateQueries({ queryKey: adminsKey }),
  });
}

/** Every change of a space refreshes the space picker (sessionKeys.spaces) and the list here. */
function useSpaceChange<I>(fn: (input: I) => Promise<Space>) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: fn,
    onSuccess: () => qc.invalidateQueries({ queryKey: sessionKeys.spaces }),
  });
}

export function useCreateSpace() {
  return useSpaceChange((input: { name: string; appsAndBooksEnabled: boolean }) =>
    api.post<Space>("/spaces", input),
  );
}

export function useRenameSpace() {
  return useSpaceChange((input: { spaceId: string; name: string }) =>
    api.put<Space>(`/spaces/${encodeURIComponent(input.spaceId)}/name`, { name: input.name }),
  );
}

/** CA3: Apps and Books on or off in a space. */
export function useSetAppsAndBooks() {
  return useSpaceChange((input: { spaceId: string; enabled: boolean }) =>
    api.patch<Space>(`/spaces/${encodeURIComponent(input.spaceId)}`, {
      appsAndBooksEnabled: input.enabled,
    }),
  );
}
