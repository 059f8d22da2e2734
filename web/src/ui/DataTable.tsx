import { type ReactNode, useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import type { PageQuery } from "../api/types";
import { Button } from "./Button";
import { useFormat } from "./format";

export interface Column<T> {
  key: string;
  header: string;
  /** The API's sort key, when the column can be sorted. */
  sort?: string;
  align?: "right";
  /** A class for the column's cells (styles.css: `col-rules`, `col-actions`, `col-nowrap`). */
  className?: string;
  render: (row: T) => ReactNode;
}

const cellClass = (c: { align?: "right"; className?: string }) =>
  [c.align === "right" ? "num" : "", c.className ?? ""].filter(Boolean).join(" ") || undefined;

/** Table state held by a page: search, sort, paging (sent to the API as is). */
export function useTableQuery(initial: Partial<PageQuery> = {}) {
  const [query, setQuery] = useState<PageQuery>({ page: 1, pageSize: 25, order: "asc", ...initial });
  return {
    query,
    setSearch: (q: string) => setQuery((s) => ({ ...s, q, page: 1 })),
    setPage: (page: number) => setQuery((s) => ({ ...s, page })),
    toggleSort: (sort: string) =>
      setQuery((s) => ({
        ...s,
        sort,
        order: s.sort === sort && s.order === "asc" ? "desc" : "asc",
        page: 1,
      })),
  };
}
export type TableQuery = ReturnType<typeof useTableQuery>;

export function SearchBox({
  value,
  onChange,
  placeholder,
  label,
}: {
  value: string;
  onChange: (v: string) => void;
  placeholder: string;
  label: string;
}) {
  const [text, setText] = useState(value);
  useEffect(() => {
    const handle = setTimeout(() => {
      if (text !== value) onChange(text);
    }, 250);
    return () => clearTimeout(handle);
  }, [text, value, onChange]);
  return (
    <div className="search">
      <svg
        viewBox="0 0 24 24"
        width="16"
        height="16"
        aria-hidden="true"
        fill="none"
        stroke="currentColor"
        strokeWidth="2"
      >
        <circle cx="11" cy="11" r="7" />
        <path d="m20 20-3.5-3.5" />
      </svg>
      <input
        type="search"
        aria-label={label}
        placeholder={placeholder}
        // As wide as its placeholder, so that it is never cut off (the box still shrinks in a narrow toolbar).
        size={Math.max(16, placeholder.length)}
        value={text}
        onChange={(e) => setText(e.target.value)}
      />
    </div>
  );
}

export function DataTable<T>({
  columns,
  rows,
  rowKey,
  table,
  total,
  empty,
  caption,
}: {
  columns: Column<T>[];
  rows: T[];
  rowKey: (row: T) => string;
  table?: TableQuery;
  total?: number;
  empty?: ReactNode;
  caption: string;
}) {
  const { t } = useTranslation();
  if (rows.length === 0 && empty) return <>{empty}</>;
  const q = table?.query;
  return (
    <div className="table-wrap">
      <table className="table">
        <caption className="sr-only">{caption}</caption>
        <thead>
          <tr>
            {columns.map((c) => {
              const sorted = q?.sort === c.sort && c.sort !== undefined;
              const ariaSort = sorted ? (q?.order === "asc" ? "ascending" : "descending") : undefined;
              return (
                <th key={c.key} scope="col" aria-sort={ariaSort} className={cellClass(c)}>
                  {c.sort && table ? (
                    <button
                      type="button"
                      className="th-sort"
                      onClick={() => table.toggleSort(c.sort ?? c.key)}
                    >
                      {c.header}
                      <span className="sort-mark" aria-hidden="true">
                        {sorted ? (q?.order === "asc" ? "▲" : "▼") : "↕"}
                      </span>
                    </button>
                  ) : (
                    c.header
                  )}
                </th>
              );
            })}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={rowKey(row)}>
              {columns.map((c) => (
                <td key={c.key} className={cellClass(c)}>
                  {c.render(row)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      {/* No pager under no rows, but on a page past the last (it leads back). */}
      {table && total !== undefined && (rows.length > 0 || table.query.page > 1) ? (
        <Pager table={table} total={total} />
      ) : null}
      {rows.length === 0 && !empty ? <p className="table-empty">{t("common.noResults")}</p> : null}
    </div>
  );
}

function Pager({ table, total }: { table: TableQuery; total: number }) {
  const { t } = useTranslation();
  const f = useFormat();
  const { page, pageSize } = table.query;
  const pages = Math.max(1, Math.ceil(total / pageSize));
  const from = total === 0 ? 0 : (page - 1) * pageSize + 1;
  const to = Math.min(total, page * pageSize);
  return (
    <nav className="pager" aria-label={t("table.paging")}>
      <span>{t("table.range", { from: f.number(from), to: f.number(to), total: f.number(total) })}</span>
      <div className="pager-buttons">
        <Button size="sm" variant="ghost" disabled={page <= 1} onClick={() => table.setPage(page - 1)}>
          {t("table.previous")}
        </Button>
        <span className="pager-page">
          {t("table.page", { page: f.number(page), pages: f.number(pages) })}
        </span>
        <Button size="sm" variant="ghost" disabled={page >= pages} onClick={() => table.setPage(page + 1)}>
          {t("table.next")}
        </Button>
      </div>
    </nav>
  );
}
