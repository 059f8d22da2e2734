import { useTranslation } from "react-i18next";

/** The id of the built-in group of every user of a space (AC1, DI7); the API keeps its English name. */
export const ALL_USERS = "all-users";

/** A group's name as the console shows it: All Users in the console's language, any other as named. */
export function useGroupName(): (group: { id: string; name: string }) => string {
  const { t } = useTranslation();
  return (group) => (group.id === ALL_USERS ? t("rules.allUsers") : group.name);
}
