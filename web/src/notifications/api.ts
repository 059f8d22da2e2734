import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api } from "../api/client";
import { usePage } from "../api/query";
import type { Notification, PageQuery } from "../api/types";

export interface NotificationFilter {
  open?: boolean;
  acknowledged?: boolean;
  severity?: "info" | "warning" | "alert";
}

/** NT3. */
export function useNotifications(spaceId: string, query: PageQuery, filter: NotificationFilter = {}) {
  return usePage<Notification>(`/spaces/${spaceId}/notifications`, { ...query, ...filter });
}

export function useAcknowledge(spaceId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => api.post<void>(`/spaces/${spaceId}/notifications/${id}/acknowledge`),
    onSuccess: () => qc.invalidateQueries({ queryKey: [`/spaces/${spaceId}/notifications`] }),
  });
}
