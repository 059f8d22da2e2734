import { type SelectQueryBuilder, sql } from "kysely";

/** A page of a list view (VU1-VU5, DI5): 1-based `page`, `total` over every page. */
export interface Page<T> {
  items: T[];
  total: number;
  page: number;
  pageSize: number;
}

export interface PageRequest {
  page: number;
  pageSize: number;
  /** One of the view's sort keys (validated by the API), and its direction. */
  sort?: string;
  order?: "asc" | "desc";
  /** Free-text search, matched case-insensitively as a substring. */
  q?: string;
  /**
   * Lists of catalogue messages (activity, notifications): the message keys whose words in
   * the client's language contain `q`. A row matches `q` or one of them.
   */
  keys?: readonly string[];
}

/** `q` as an ILIKE pattern: its own % and _ match literally. */
export function likePattern(q: string): string {
  return `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * Runs a view's query for one page and its total. `columns` maps the sort keys a view
 * offers to SQL expressions (only those ever reach the query); `tie` keeps the order
 * stable between pages.
 */
export async function paged<DB, TB extends keyof DB, O, T>(
  query: SelectQueryBuilder<DB, TB, O>,
  request: PageRequest,
  columns: Record<string, string>,
  fallback: string,
  tie: string,
  map: (row: O) => T,
): Promise<Page<T>> {
  const { total } = (await query
    .clearSelect()
    .select(sql<number>`count(*)::int`.as("total"))
    .executeTakeFirst()) as unknown as { total: number };
  const column = columns[request.sort ?? ""] ?? columns[fallback] ?? fallback;
  const direction = request.order === "desc" ? sql`desc` : sql`asc`;
  const rows = await query
    .orderBy(sql`${sql.raw(column)} ${direction} nulls last`)
    .orderBy(sql.raw(tie))
    .limit(request.pageSize)
    .offset((request.page - 1) * request.pageSize)
    .execute();
  return { items: rows.map(map), total: Number(total ?? 0), page: request.page, pageSize: request.pageSize };
}
