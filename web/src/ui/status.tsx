import { useTranslation } from "react-i18next";
import type { LicenseState, LicenseType } from "../api/types";
import { Badge, type Tone } from "./Badge";

const STATE_TONE: Record<string, Tone> = {
  assigned: "success",
  pending_assign: "info",
  pending_release: "warning",
  in_grace: "warning",
  released: "neutral",
};

export function LicenseStateBadge({ state }: { state: LicenseState }) {
  const { t } = useTranslation();
  return <Badge tone={STATE_TONE[state] ?? "neutral"}>{t(`licenseState.${state}`)}</Badge>;
}

export function LicenseTypeBadge({ type }: { type: LicenseType }) {
  const { t } = useTranslation();
  return <Badge tone={type === "device" ? "accent" : "info"}>{t(`licenseType.${type}`)}</Badge>;
}

const SEVERITY_TONE: Record<string, Tone> = { info: "info", warning: "warning", alert: "danger" };

export function SeverityBadge({ severity }: { severity: string }) {
  const { t } = useTranslation();
  return (
    <Badge tone={SEVERITY_TONE[severity] ?? "neutral"}>
      {t(`severity.${severity}`, { defaultValue: severity })}
    </Badge>
  );
}

/** The account's health as the API reports it (NT2); "ok" is green, the rest need a fix. */
export function HealthBadge({ health }: { health: string }) {
  const { t } = useTranslation();
  const tone: Tone =
    health === "ok" ? "success" : health === "paused" || health === "deleting" ? "warning" : "danger";
  return <Badge tone={tone}>{t(`health.${health}.label`, { defaultValue: health })}</Badge>;
}

export function UsageBar({ used, total }: { used: number; total: number }) {
  const ratio = total > 0 ? Math.min(1, used / total) : 0;
  const tone = ratio >= 0.9 ? "danger" : ratio >= 0.7 ? "warning" : "ok";
  return (
    <span className={`usage usage-${tone}`} aria-hidden="true">
      <span className="usage-fill" style={{ width: `${Math.round(ratio * 100)}%` }} />
    </span>
  );
}
