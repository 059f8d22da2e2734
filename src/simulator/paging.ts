/**
 * Index paging as Apple's read endpoints do it: 0-based `pageIndex`, responses with
 * currentPageIndex, size, totalPages, and nextPageIndex only while more pages remain
 * (https://developer.apple.com/documentation/devicemanagement/using-paginated-endpoints).
 * An out-of-range pageIndex is 9650. An empty result is one empty page (totalPages 1),
 * so that page 0 is always valid.
 */
import { AppleError } from "./errors.js";

export interface Page {
  start: number;
  end: number;
  meta: { currentPageIndex: number; nextPageIndex?: number; size: number; totalPages: number };
}

export function pageOf(total: number, pageSize: number, pageIndex: number): Page {
  const totalPages = Math.max(1, Math.ceil(total / pageSize));
  if (pageIndex >= totalPages) throw new AppleError(9650);
  const start = pageIndex * pageSize;
  const end = Math.min(total, start + pageSize);
  const meta: Page["meta"] = { currentPageIndex: pageIndex, size: end - start, totalPages };
  if (pageIndex + 1 < totalPages) meta.nextPageIndex = pageIndex + 1;
  return { start, end, meta };
}
