import { useTranslation } from "react-i18next";
import { setLanguage } from "../i18n";
import { Card } from "../ui/Card";
import { PageHeader } from "../ui/PageHeader";
import { ApiTokens } from "./ApiTokens";

export function SettingsPage() {
  const { t, i18n } = useTranslation();
  return (
    <>
      <PageHeader title={t("settings.title")} />
      <ApiTokens />
      <Card title={t("settings.language")}>
        <div className="segmented" role="radiogroup" aria-label={t("settings.language")}>
          {(["en", "fr"] as const).map((lng) => (
            <label key={lng} className={i18n.language === lng ? "active" : ""}>
              <input
                type="radio"
                name="language"
                value={lng}
                checked={i18n.language === lng}
                onChange={() => setLanguage(lng)}
              />
              {t(`settings.languages.${lng}`)}
            </label>
          ))}
        </div>
      </Card>
    </>
  );
}
