import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api } from "../api/client";
import { usePage } from "../api/query";
import type { Notification, PageQuery } from "../api/types";

export interface NotificationFilter {
  open?: boolean;
  acknowledged?: boolean;
  severity?: "info" | "warning" | "alert";
  /** NT1: an (account, app)'s levels folded into the highest one (`folded`). */
  group?: boolean;
  /** Searched with the query's `q`: the message keys whose words in the console's language contain it. */
  keys?: string;
}

/** NT3. */
export function useNotifications(spaceId: string, query: PageQuery, filter: NotificationFilter = {}) {
  return usePage<Notification>(`/spaces/${spaceId}/notifications`, { ...query, ...filter });
}

/** NT3: one notification, by its id (the link of an e-mail about it). */
export function useNotification(spaceId: string, id: string | undefined) {
  return useQuery({
    queryKey: [`/spaces/${spaceId}/notifications`, "one", id],
    queryFn: () => api.get<Notification>(`/spaces/${spaceId}/notifications/${encodeURIComponent(id ?? "")}`),
    enabled: id !== undefined,
    retry: false,
  });
}

/** Every id a row stands for: itself and the lower NT1 levels folded into it. */
export function idsOf(n: Notification): string[] {
  return [n.id, ...(n.folded ?? []).map((x) => x.id)];
}

/** Acknowledges several notifications at once (a folded group, a selection). */
export function useAcknowledge(spaceId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (ids: string[]) =>
      api.post<{ acknowledged: number }>(`/spaces/${spaceId}/notifications/acknowledge`, { ids }),
    onSuccess: () => qc.invalidateQueries({ queryKey: [`/spaces/${spaceId}/notifications`] }),
  });
}
