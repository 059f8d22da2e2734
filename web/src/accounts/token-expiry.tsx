import { useTranslation } from "react-i18next";
import { Badge } from "../ui/Badge";

/**
 * NT2: a token that expires within this many days needs the administrator as much as a
 * broken one (Orchard warns at 30, 7 and 1 days): every place that shows an account says so.
 */
export const EXPIRY_WINDOW_DAYS = 30;
const URGENT_DAYS = 7;
const DAY_MS = 86_400_000;

/** Whole days until the token expires (0 or less: expired), unknown without a date. */
export function tokenDaysLeft(expiresAt: string | undefined, now = Date.now()): number | undefined {
  return expiresAt ? Math.ceil((new Date(expiresAt).getTime() - now) / DAY_MS) : undefined;
}

export function tokenExpiring(expiresAt: string | undefined, now = Date.now()): boolean {
  return (tokenDaysLeft(expiresAt, now) ?? Number.POSITIVE_INFINITY) <= EXPIRY_WINDOW_DAYS;
}

/** "Token expires in N days", beside the health: a warning within 30 days, urgent within 7. */
export function TokenExpiryBadge({ expiresAt }: { expiresAt: string | undefined }) {
  const { t } = useTranslation();
  const days = tokenDaysLeft(expiresAt);
  if (days === undefined || days > EXPIRY_WINDOW_DAYS) return null;
  return (
    <Badge tone={days <= URGENT_DAYS ? "danger" : "warning"}>
      {t("dashboard.expiresIn", { count: Math.max(0, days) })}
    </Badge>
  );
}
