import { useSearchParams } from "react-router";

/**
 * A list's filters kept in its URL (a filtered list can be bookmarked, sent and opened again):
 * `get` reads one, `set` changes one (empty: removed) in place of the current history entry,
 * so Back leaves the list rather than undoing each choice; `onChange` (back to page 1) runs after.
 */
export function useUrlFilters<K extends string>(onChange?: () => void) {
  const [params, setParams] = useSearchParams();
  return {
    get: (key: K): string | undefined => params.get(key) ?? undefined,
    set: (key: K, value: string) => {
      const next = new URLSearchParams(params);
      if (value) next.set(key, value);
      else next.delete(key);
      setParams(next, { replace: true });
      onChange?.();
    },
    /** Every filter off. */
    clear: () => {
      setParams(new URLSearchParams(), { replace: true });
      onChange?.();
    },
  };
}

/**
 * A toolbar's filter: its first choice ("All apps") says what it filters, so its label is
 * read out, not shown (toolbars fit one line at 1366 px in both languages).
 */
export function FilterSelect({
  label,
  all,
  value,
  options,
  onChange,
}: {
  label: string;
  all: string;
  value: string | undefined;
  options: ReadonlyArray<readonly [string, string]>;
  onChange: (value: string) => void;
}) {
  return (
    <label className="inline-field">
      <span className="sr-only">{label}</span>
      <select className="select filter-select" value={value ?? ""} onChange={(e) => onChange(e.target.value)}>
        <option value="">{all}</option>
        {options.map(([v, l]) => (
          <option key={v} value={v}>
            {l}
          </option>
        ))}
      </select>
    </label>
  );
}
