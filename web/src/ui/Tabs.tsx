import { useId } from "react";
import { useFormat } from "./format";

export interface TabItem<K extends string> {
  key: K;
  label: string;
  count?: number;
}

/** WAI-ARIA tabs; the panel is rendered by the caller for the selected key. */
export function Tabs<K extends string>({
  items,
  value,
  onChange,
  label,
}: {
  items: TabItem<K>[];
  value: K;
  onChange: (key: K) => void;
  label: string;
}) {
  const id = useId();
  const f = useFormat();
  return (
    <div className="tabs" role="tablist" aria-label={label}>
      {items.map((item, index) => (
        <button
          key={item.key}
          id={`${id}-${item.key}`}
          type="button"
          role="tab"
          aria-selected={item.key === value}
          tabIndex={item.key === value ? 0 : -1}
          className={`tab ${item.key === value ? "tab-active" : ""}`}
          onClick={() => onChange(item.key)}
          onKeyDown={(e) => {
            const step = e.key === "ArrowRight" ? 1 : e.key === "ArrowLeft" ? -1 : 0;
            if (!step) return;
            const next = items[(index + step + items.length) % items.length];
            if (next) onChange(next.key);
          }}
        >
          {item.label}
          {item.count !== undefined ? <span className="tab-count">{f.number(item.count)}</span> : null}
        </button>
      ))}
    </div>
  );
}
