import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { ApiProblemError, api, apiRequest } from "../api/client";

/** DB4: how device-licensed copies are updated (mdm.routes.ts `updateMode`). */
export const UPDATE_MODES = ["immediate", "automatic"] as const;
export type UpdateMode = (typeof UPDATE_MODES)[number];

/** An app's catalog entry in a space (apps.routes.ts `catalogSchema`). */
export interface CatalogEntry {
  adamId: string;
  name?: string;
  inCatalog: boolean;
  /** CA1 "Install on device": the app is mandatory. */
  installOnDevice: boolean;
  updateMode: UpdateMode;
  description?: string;
  /** The default space, when it delegated the app here. */
  delegatedFromSpaceId?: string;
  /** The spaces this one delegated the app to (those the admin sees). */
  delegatedTo: string[];
}

/** What a catalog change sends (PUT …/catalog/:adamId). */
export interface CatalogOptions {
  name?: string;
  description: string;
  installOnDevice: boolean;
  updateMode: UpdateMode;
}

/** PB1: what taking the app out would do (GET …/removal-preview). */
export interface RemovalPreview {
  licenses: number;
  devices: number;
}

/** What a removal did (DELETE …/catalog/:adamId and …/delegations): the consequences applied. */
export interface Consequences {
  releases: Array<{ licenseId: string }>;
  commands: Array<{ kind: "install" | "remove"; deviceId: string }>;
}

export const catalogPath = (spaceId: string, adamId: string) => `/spaces/${spaceId}/catalog/${adamId}`;

/** The app's catalog entry; `null` for an app never added to this space's catalog (the API's 404). */
export function useCatalogEntry(spaceId: string, adamId: string) {
  return useQuery({
    queryKey: [catalogPath(spaceId, adamId)],
    queryFn: () =>
      api.get<CatalogEntry>(catalogPath(spaceId, adamId)).catch((error: unknown) => {
        if (error instanceof ApiProblemError && error.status === 404) return null;
        throw error;
      }),
  });
}

/**
 * PB1: the licenses and iOS devices that deleting the app (or, with `undelegate`, taking it
 * from those spaces) would touch now: read afresh each time a confirmation opens.
 */
export function useRemovalPreview(spaceId: string, adamId: string, undelegate?: string[]) {
  const query = undelegate ? { undelegate: undelegate.join(",") } : undefined;
  return useQuery({
    queryKey: [`${catalogPath(spaceId, adamId)}/removal-preview`, query],
    queryFn: () => api.get<RemovalPreview>(`${catalogPath(spaceId, adamId)}/removal-preview`, query),
    staleTime: 0,
  });
}

/** Delegations change other spaces' catalogs too: every space's views are read again. */
function useInvalidateSpaces() {
  const qc = useQueryClient();
  return () =>
    qc.invalidateQueries({
      predicate: (q) => typeof q.queryKey[0] === "string" && q.queryKey[0].startsWith("/spaces/"),
    });
}

/** CA1, CA3, DB4: adds the app to the catalog, or changes its options. */
export function useSaveCatalogApp(spaceId: string, adamId: string) {
  const invalidate = useInvalidateSpaces();
  return useMutation({
    mutationFn: (options: CatalogOptions) => api.put<CatalogEntry>(catalogPath(spaceId, adamId), options),
    onSuccess: invalidate,
  });
}

/** RV1, PB1, PB2: deletes the app from the catalog (from the default space, also where it was delegated). */
export function useRemoveFromCatalog(spaceId: string, adamId: string) {
  const invalidate = useInvalidateSpaces();
  return useMutation({
    mutationFn: () => api.delete<Consequences>(catalogPath(spaceId, adamId)),
    onSuccess: invalidate,
  });
}

/** Delegates an app of the default space to custom spaces. */
export function useDelegate(spaceId: string, adamId: string) {
  const invalidate = useInvalidateSpaces();
  return useMutation({
    mutationFn: (spaceIds: string[]) =>
      api.post<void>(`${catalogPath(spaceId, adamId)}/delegations`, { spaceIds }),
    onSuccess: invalidate,
  });
}

/** PB1: stops delegating; the spaces losing the app uninstall it on iOS. */
export function useUndelegate(spaceId: string, adamId: string) {
  const invalidate = useInvalidateSpaces();
  return useMutation({
    mutationFn: (spaceIds: string[]) =>
      apiRequest<Consequences>("DELETE", `${catalogPath(spaceId, adamId)}/delegations`, {
        json: { spaceIds },
      }),
    onSuccess: invalidate,
  });
}

/** The devices a removal sent a remove command to. */
export function removedFrom(c: Consequences): number {
  return new Set(c.commands.filter((x) => x.kind === "remove").map((x) => x.deviceId)).size;
}
