import { useMutation, useQuery } from "@tanstack/react-query";
import { api } from "../api/client";
import { useRefreshSpace } from "../api/query";
import type {
  Account,
  AccountDeleted,
  AccountDeletionPreview,
  AddedAccount,
  AppleWork,
  Asset,
  Items,
} from "../api/types";

export const accountsPath = (spaceId: string) => `/spaces/${spaceId}/accounts`;

/** Accounts in priority order (MA1). */
export function useAccounts(spaceId: string) {
  return useQuery({
    queryKey: [accountsPath(spaceId)],
    queryFn: () => api.get<Items<Account>>(accountsPath(spaceId)).then((r) => r.items),
  });
}

export function useAccount(spaceId: string, accountId: string) {
  return useQuery({
    queryKey: [accountsPath(spaceId), accountId],
    queryFn: () => api.get<Account>(`${accountsPath(spaceId)}/${accountId}`),
  });
}

export function useAccountAssets(spaceId: string, accountId: string | undefined) {
  return useQuery({
    queryKey: [accountsPath(spaceId), accountId, "assets"],
    queryFn: () => api.get<Items<Asset>>(`${accountsPath(spaceId)}/${accountId}/assets`).then((r) => r.items),
    enabled: accountId !== undefined,
  });
}

/** How often the Apple work panel looks again: operations move within seconds of a grant. */
export const APPLE_WORK_REFRESH_MS = 15_000;

/** What the account still owes Apple: pending, in flight, recent failures (invariant 3, NT2). */
export function useAppleWork(spaceId: string, accountId: string) {
  return useQuery({
    queryKey: [accountsPath(spaceId), accountId, "apple-work"],
    queryFn: ({ signal }) =>
      api.get<AppleWork>(`${accountsPath(spaceId)}/${accountId}/apple-work`, undefined, signal),
    refetchInterval: APPLE_WORK_REFRESH_MS,
  });
}

/**
 * RV1-RV5: a release Apple refused, sent again (`retry`) or abandoned (`abandon`: the
 * license is released here, its seat given back).
 */
export function useRefusedRelease(spaceId: string) {
  const invalidate = useRefreshSpace(spaceId);
  return useMutation({
    mutationFn: (input: { licenseId: string; action: "retry" | "abandon" }) =>
      api.post<{ license: { id: string; state: string } }>(
        `/spaces/${spaceId}/licenses/${input.licenseId}/release/${input.action}`,
        input.action === "abandon" ? { confirm: true } : undefined,
      ),
    onSuccess: invalidate,
  });
}

export interface AccountForm {
  name: string;
  file?: File | undefined;
  autoDistribute: boolean;
  clearPrevious: boolean;
  takeOver: boolean;
}

function toFormData(input: AccountForm): FormData {
  const form = new FormData();
  form.set("name", input.name);
  form.set("autoDistribute", String(input.autoDistribute));
  form.set("clearPrevious", String(input.clearPrevious));
  if (input.takeOver) form.set("takeOver", "true");
  if (input.file) form.set("sToken", input.file, input.file.name);
  return form;
}

/** AC1. */
export function useAddAccount(spaceId: string) {
  const invalidate = useRefreshSpace(spaceId);
  return useMutation({
    mutationFn: (input: AccountForm) => api.postForm<AddedAccount>(accountsPath(spaceId), toFormData(input)),
    onSuccess: invalidate,
  });
}

/** AC2. */
export function useUpdateAccount(spaceId: string, accountId: string) {
  const invalidate = useRefreshSpace(spaceId);
  return useMutation({
    mutationFn: (input: AccountForm) =>
      api.patchForm<Account>(`${accountsPath(spaceId)}/${accountId}`, toFormData(input)),
    onSuccess: invalidate,
  });
}

/** AC4, MA6. */
export function useSetPriority(spaceId: string) {
  const invalidate = useRefreshSpace(spaceId);
  return useMutation({
    mutationFn: (input: { accountId: string; position: number }) =>
      api.put<Items<Account>>(`${accountsPath(spaceId)}/${input.accountId}/priority`, {
        position: input.position,
      }),
    onSuccess: invalidate,
  });
}

/** The API's code for an order made from one the accounts no longer have. */
export const ACCOUNTS_REORDERED = "accounts_reordered";

/**
 * AC4, MA6: the whole order at once, only while the accounts are still in `from` (the order
 * it was made from): a 412 `accounts_reordered` otherwise, and nothing moves.
 */
export function useSetOrder(spaceId: string) {
  const invalidate = useRefreshSpace(spaceId);
  return useMutation({
    mutationFn: (input: { order: string[]; from: string[] }) =>
      api.put<Items<Account>>(`${accountsPath(spaceId)}/order`, input),
    onSuccess: invalidate,
  });
}

/** AC3. */
export function useResync(spaceId: string) {
  const invalidate = useRefreshSpace(spaceId);
  return useMutation({
    mutationFn: (accountId: string) =>
      api.post<{ accepted: true }>(`${accountsPath(spaceId)}/${accountId}/resync`),
    onSuccess: invalidate,
  });
}

/** AC5: what the deletion would take with it, read fresh each time the dialog opens. */
export function useDeletionPreview(spaceId: string, accountId: string) {
  return useQuery({
    queryKey: [accountsPath(spaceId), accountId, "deletion-preview"],
    queryFn: () => api.get<AccountDeletionPreview>(`${accountsPath(spaceId)}/${accountId}/deletion-preview`),
    staleTime: 0,
    gcTime: 0,
  });
}

/** AC5: `confirm` repeats the account's name; the answer says how many licenses are still at Apple. */
export function useDeleteAccount(spaceId: string) {
  const invalidate = useRefreshSpace(spaceId);
  return useMutation({
    mutationFn: (input: { accountId: string; confirm: string }) =>
      api.delete<AccountDeleted>(
        `${accountsPath(spaceId)}/${input.accountId}`,
        { confirm: input.confirm },
        { prefer: "return=representation" },
      ),
    onSuccess: invalidate,
  });
}
