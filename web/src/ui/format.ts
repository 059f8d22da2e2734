import { useTranslation } from "react-i18next";

/** Dates, numbers and prices in the console's language. */
export function useFormat() {
  const { t, i18n } = useTranslation();
  const locale = i18n.language === "fr" ? "fr-FR" : "en-GB";
  return {
    date(value: string | undefined): string {
      if (!value) return "—";
      const d = new Date(value);
      return Number.isNaN(d.getTime())
        ? "—"
        : d.toLocaleDateString(locale, { year: "numeric", month: "short", day: "numeric" });
    },
    dateTime(value: string | undefined): string {
      if (!value) return "—";
      const d = new Date(value);
      return Number.isNaN(d.getTime())
        ? "—"
        : d.toLocaleString(locale, {
            year: "numeric",
            month: "short",
            day: "numeric",
            hour: "2-digit",
            minute: "2-digit",
          });
    },
    number(value: number | undefined): string {
      return value === undefined ? "—" : value.toLocaleString(locale);
    },
    price(value: number | undefined): string {
      if (value === undefined) return "—";
      return value === 0
        ? t("common.free")
        : value.toLocaleString(locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    },
    percent(used: number, total: number): string {
      return total > 0 ? `${Math.round((used / total) * 100)} %` : "—";
    },
  };
}
