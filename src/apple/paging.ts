/**
 * Streaming Apple's paged reads (GET /assets, /assignments, /users) a page at a time, the
 * next one asked for while the reader works on this one: pass `nextPageIndex` as `pageIndex`
 * until a response has none.
 * https://developer.apple.com/documentation/devicemanagement/using-paginated-endpoints
 */

import type { z } from "zod";
import { AppleProtocolError } from "./errors.js";
import type { Transport } from "./http.js";
import type { PageMeta } from "./wire.js";

/** One page of a paged read: its items and Apple's page metadata. */
export interface Page<T> {
  items: T[];
  currentPageIndex: number;
  nextPageIndex: number | undefined;
  totalPages: number;
  /** Apple's `size` (items in this page, as Apple counts them). */
  size: number;
  /** This page's versionId. */
  versionId: string;
  /**
   * The first page's versionId: the `sinceVersionId` for the next delta read, to be stored
   * only once the walk has reached the last page (as go-apple-dm does).
   */
  checkpointVersionId: string;
  /** True on the last page (no nextPageIndex). */
  last: boolean;
  uId: string | undefined;
  tokenExpirationDate: string | undefined;
}

export type QueryValue = string | number | boolean | undefined;

export function toQuery(filters: Record<string, QueryValue>): URLSearchParams {
  const q = new URLSearchParams();
  for (const [key, value] of Object.entries(filters)) {
    if (value === undefined) continue;
    q.set(key, String(value));
  }
  return q;
}

/**
 * Walks every page from `startPageIndex` (omitted on the first request unless given, as
 * Apple's examples do), reading one page ahead of the caller. Rejects a response whose currentPageIndex is not the one asked for,
 * or whose nextPageIndex does not move forward, rather than loop forever.
 */
export async function* walkPages<R extends PageMeta, T>(
  transport: Transport,
  path: string,
  filters: Record<string, QueryValue>,
  schema: z.ZodType<R>,
  itemsOf: (response: R) => T[],
  startPageIndex?: number,
): AsyncGenerator<Page<T>, void, undefined> {
  // Aborted when the reader stops: the page read ahead then makes no further attempt.
  const stopped = new AbortController();
  const read = (pageIndex: number | undefined) => {
    const response = transport.request({
      method: "GET",
      path,
      query: toQuery({ ...filters, pageIndex }),
      schema,
      signal: stopped.signal,
    });
    // Awaited at the next turn of the walk; not an unhandled rejection if the caller stops first.
    response.catch(() => undefined);
    return { expected: pageIndex ?? 0, response };
  };
  let reading = read(startPageIndex);
  let checkpoint: string | undefined;
  try {
    for (;;) {
      const response = await reading.response;
      if (response.currentPageIndex !== reading.expected) {
        throw new AppleProtocolError(
          "GET",
          path,
          `asked page ${reading.expected}, got ${response.currentPageIndex}`,
        );
      }
      const next = response.nextPageIndex;
      if (next !== undefined && next <= response.currentPageIndex) {
        throw new AppleProtocolError(
          "GET",
          path,
          `nextPageIndex ${next} does not follow ${response.currentPageIndex}`,
        );
      }
      checkpoint ??= response.versionId;
      // The next page is asked for before this one is handed over: Apple answers while the
      // caller works on this one (one request ahead, never more).
      if (next !== undefined) reading = read(next);
      yield {
        items: itemsOf(response),
        currentPageIndex: response.currentPageIndex,
        nextPageIndex: next,
        totalPages: response.totalPages,
        size: response.size,
        versionId: response.versionId,
        checkpointVersionId: checkpoint,
        last: next === undefined,
        uId: response.uId,
        tokenExpirationDate: response.tokenExpirationDate,
      };
      if (next === undefined) return;
    }
  } finally {
    stopped.abort();
  }
}
