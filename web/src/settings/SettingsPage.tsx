import { useTranslation } from "react-i18next";
import { useChooseLanguage, useMe } from "../auth/session";
import { Card } from "../ui/Card";
import { PageHeader } from "../ui/PageHeader";
import { Administrators } from "./Administrators";
import { ApiTokens } from "./ApiTokens";
import { Spaces } from "./Spaces";

export function SettingsPage() {
  const { t, i18n } = useTranslation();
  // Owners alone manage administrators and spaces (PM1): the API refuses everyone else, so nobody else sees them.
  const isOwner = useMe().data?.isOwner === true;
  // Saved with the administrator: their notification e-mails are written in it too (NT3).
  const setLanguage = useChooseLanguage();
  return (
    <>
      <PageHeader title={t("settings.title")} />
      {isOwner ? <Administrators /> : null}
      {isOwner ? <Spaces /> : null}
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
