import { useTranslation } from "react-i18next";
import type { LicenseType } from "../api/types";
import { Field } from "../ui/Field";

/** DI2: the license type FCFS gives in one case (a requested app, a mandatory one). */
export function LicenseTypeField({
  label,
  hint,
  value,
  onChange,
}: {
  label: string;
  hint?: string;
  value: LicenseType;
  onChange: (type: LicenseType) => void;
}) {
  const { t } = useTranslation();
  return (
    <Field label={label} hint={hint}>
      {(p) => (
        <select
          {...p}
          className="select"
          value={value}
          onChange={(e) => onChange(e.target.value === "device" ? "device" : "user")}
        >
          <option value="user">{t("licenseType.user")}</option>
          <option value="device">{t("licenseType.device")}</option>
        </select>
      )}
    </Field>
  );
}
