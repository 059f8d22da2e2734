import { useQuery } from "@tanstack/react-query";
import { api } from "../api/client";
import { usePage } from "../api/query";
import type { Device, Items, PageQuery } from "../api/types";
import type { LicenseUsageRow } from "../users/types";

export function useDevices(spaceId: string, query: PageQuery & { user?: string }) {
  return usePage<Device>(`/spaces/${spaceId}/devices`, { ...query });
}

export function useDevice(spaceId: string, deviceId: string) {
  return useQuery({
    queryKey: [`/spaces/${spaceId}/devices`, deviceId],
    queryFn: () => api.get<Device>(`/spaces/${spaceId}/devices/${deviceId}`),
  });
}

/** VU3: searchable by name and bundle id. */
export function useInstalledApps(spaceId: string, deviceId: string, q: string) {
  return useQuery({
    queryKey: [`/spaces/${spaceId}/devices`, deviceId, "installed-apps", q],
    queryFn: () =>
      api
        .get<Items<LicenseUsageRow>>(`/spaces/${spaceId}/devices/${deviceId}/installed-apps`, { q })
        .then((r) => r.items),
  });
}
