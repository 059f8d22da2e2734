import { keepPreviousData, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, type QueryValue } from "./client";
import type { Page, PageQuery } from "./types";

/** A paged list view of the API, keyed by its path and query, keeping the last page while the next loads. */
export function usePage<T>(path: string, query: PageQuery & Record<string, QueryValue>, enabled = true) {
  return useQuery({
    queryKey: [path, query],
    queryFn: ({ signal }) => api.get<Page<T>>(path, query, signal),
    placeholderData: keepPreviousData,
    enabled,
  });
}

/** Query keys start with the API path, so a change invalidates every view under it. */
export function pathKey(path: string): [string] {
  return [path];
}

/**
 * Reads the space's views again after a change: every query whose key starts with the
 * space's path (groups, users, rules and licenses read one another's names and counts).
 * Resolves once the views on screen are read again.
 */
export function useRefreshSpace(spaceId: string) {
  const qc = useQueryClient();
  return () =>
    qc.invalidateQueries({
      predicate: (q) => typeof q.queryKey[0] === "string" && q.queryKey[0].startsWith(`/spaces/${spaceId}`),
    });
}
