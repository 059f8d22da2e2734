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
    /** With its currency when known (the store's lookup gives it): "$7.99", "7,99 $US". */
    price(value: number | undefined, currency?: string): string {
      if (value === undefined) return "—";
      if (value === 0) return t("common.free");
      const digits = { minimumFractionDigits: 2, maximumFractionDigits: 2 };
      try {
        if (currency) return value.toLocaleString(locale, { ...digits, style: "currency", currency });
      } catch {
        // An unknown currency code: the number alone, as before.
      }
      return value.toLocaleString(locale, digits);
    },
    /** A size in whole megabytes: "12 MB" in English, "12 Mo" in French. */
    megabytes(bytes: number | undefined): string {
      if (bytes === undefined) return "—";
      return Math.round(bytes / 1_048_576).toLocaleString(locale, { style: "unit", unit: "megabyte" });
    },
    /** "64%" in English, "64 %" in French. */
    percent(used: number, total: number): string {
      return total > 0
        ? (used / total).toLocaleString(locale, { style: "percent", maximumFractionDigits: 0 })
        : "—";
    },
  };
}
