import { useQuery } from "@tanstack/react-query";
import { api } from "../api/client";
import { usePage } from "../api/query";
import type { Device, Items, PageQuery, WaitingRequest } from "../api/types";
import type { LicenseUsageRow } from "../users/types";

export function useDevices(
  spaceId: string,
  query: PageQuery & { user?: string; platform?: string; status?: string },
) {
  return usePage<Device>(`/spaces/${spaceId}/devices`, { ...query });
}

export function useDevice(spaceId: string, deviceId: string, enabled = true) {
  return useQuery({
    queryKey: [`/spaces/${spaceId}/devices`, deviceId],
    queryFn: () => api.get<Device>(`/spaces/${spaceId}/devices/${deviceId}`),
    enabled,
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

/** GET devices/:id/waiting (src/api/schemas.ts `subjectWaitingSchema`). */
export interface DeviceWaiting {
  adamId: string;
  name?: string;
  position: number;
  of: number;
  why: "requested" | "mandatory" | "check_in";
  reason: WaitingRequest["reason"];
  /** `apple_refused`: what Apple said; the request waits until sent again. */
  refusal?: WaitingRequest["refusal"];
  ruleIds: string[];
  waitingSince: string;
}

/** DB2, UB3: the apps the device waits for, with its place in each app's queue. */
export function useDeviceWaiting(spaceId: string, deviceId: string) {
  return useQuery({
    queryKey: [`/spaces/${spaceId}/devices`, deviceId, "waiting"],
    queryFn: () =>
      api.get<Items<DeviceWaiting>>(`/spaces/${spaceId}/devices/${deviceId}/waiting`).then((r) => r.items),
  });
}
