import { useState } from "react";
import { useTranslation } from "react-i18next";
import { usePage } from "../api/query";
import { SearchBox } from "./DataTable";

export interface Picked {
  id: string;
  name: string;
}

/**
 * Choose several rows of a paged list view (users, groups, devices): a search over the
 * API, a checkbox per match, the chosen ones as removable chips.
 */
export function PickList<T extends { id: string }>({
  path,
  labelOf,
  value,
  onChange,
  label,
  error,
  name,
}: {
  path: string;
  labelOf: (row: T) => string;
  value: Picked[];
  onChange: (value: Picked[]) => void;
  label: string;
  error?: string | undefined;
  name: string;
}) {
  const { t } = useTranslation();
  const [q, setQ] = useState("");
  const page = usePage<T>(path, { page: 1, pageSize: 8, order: "asc", q });
  const chosen = new Set(value.map((v) => v.id));
  const toggle = (row: T) =>
    onChange(
      chosen.has(row.id)
        ? value.filter((v) => v.id !== row.id)
        : [...value, { id: row.id, name: labelOf(row) }],
    );
  return (
    <fieldset className={`picklist ${error ? "field-invalid" : ""}`} data-field={name}>
      <legend className="field-label">{label}</legend>
      <div className="chips" aria-live="polite">
        {value.length === 0 ? <span className="muted small">{t("picker.none")}</span> : null}
        {value.map((v) => (
          <span key={v.id} className="chip">
            {v.name}
            <button
              type="button"
              aria-label={t("picker.remove", { name: v.name })}
              onClick={() => onChange(value.filter((x) => x.id !== v.id))}
            >
              ×
            </button>
          </span>
        ))}
      </div>
      <SearchBox
        value={q}
        onChange={setQ}
        label={t("picker.search", { what: label })}
        placeholder={t("picker.searchPlaceholder")}
      />
      <ul className="picklist-options">
        {(page.data?.items ?? []).map((row) => (
          <li key={row.id}>
            <label>
              <input type="checkbox" checked={chosen.has(row.id)} onChange={() => toggle(row)} />
              {labelOf(row)}
            </label>
          </li>
        ))}
        {page.data && page.data.items.length === 0 ? (
          <li className="muted small">{t("common.noResults")}</li>
        ) : null}
      </ul>
      {error ? (
        <div className="field-error" role="alert">
          {error}
        </div>
      ) : null}
    </fieldset>
  );
}
