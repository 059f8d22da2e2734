import { useTranslation } from "react-i18next";
import type { AppRow } from "../api/types";

/** The control props a Field hands its child (ui/Field.tsx). */
type FieldControl = { id: string; "aria-describedby"?: string; "aria-invalid"?: boolean };

/** A select of the space's apps by name, "Choose an app" first (explain, what-if, reserve). */
export function AppSelect({
  field,
  apps,
  value,
  onChange,
  name,
}: {
  field: FieldControl;
  apps: ReadonlyArray<Pick<AppRow, "adamId" | "name">> | undefined;
  value: string;
  onChange: (adamId: string) => void;
  name?: string;
}) {
  const { t } = useTranslation();
  return (
    <select
      {...field}
      name={name}
      className="select"
      value={value}
      onChange={(e) => onChange(e.target.value)}
    >
      <option value="">{t("explain.chooseApp")}</option>
      {/* An app the list does not hold (yet: a deep link) keeps its place. */}
      {value && !apps?.some((a) => a.adamId === value) ? <option value={value}>{value}</option> : null}
      {(apps ?? []).map((a) => (
        <option key={a.adamId} value={a.adamId}>
          {a.name ?? a.adamId}
        </option>
      ))}
    </select>
  );
}
