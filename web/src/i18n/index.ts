import i18next from "i18next";
import { initReactI18next } from "react-i18next";
import en from "./en.json";
import fr from "./fr.json";

export const LANGUAGES = ["en", "fr"] as const;
export type Language = (typeof LANGUAGES)[number];
const STORAGE_KEY = "orchard.language";

function initialLanguage(): Language {
  const stored = typeof localStorage === "undefined" ? null : localStorage.getItem(STORAGE_KEY);
  if (stored === "en" || stored === "fr") return stored;
  return typeof navigator !== "undefined" && navigator.language.toLowerCase().startsWith("fr") ? "fr" : "en";
}

void i18next.use(initReactI18next).init({
  resources: { en: { translation: en }, fr: { translation: fr } },
  lng: initialLanguage(),
  fallbackLng: "en",
  interpolation: { escapeValue: false },
  returnNull: false,
});

const CHOSEN_SIGNED_OUT = "orchard.language.chosenSignedOut";

/** A language chosen on the sign-in page: saved with the administrator once signed in. */
export function chooseLanguageSignedOut(language: Language): void {
  setLanguage(language);
  sessionStorage.setItem(CHOSEN_SIGNED_OUT, language);
}

/** The language chosen on the sign-in page, if any, forgotten once read. */
export function takeLanguageChosenSignedOut(): Language | undefined {
  const chosen = sessionStorage.getItem(CHOSEN_SIGNED_OUT);
  sessionStorage.removeItem(CHOSEN_SIGNED_OUT);
  return LANGUAGES.find((l) => l === chosen);
}

export function setLanguage(language: Language): void {
  void i18next.changeLanguage(language);
  localStorage.setItem(STORAGE_KEY, language);
  document.documentElement.lang = language;
}

document.documentElement.lang = i18next.language;

export default i18next;
