import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import { spacePath, useSpace } from "../app/space";

/** What a history is of: the activity log's subject filters, set in its URL. */
export const HISTORY_SUBJECTS = ["user", "device", "app", "account", "license"] as const;
export type HistorySubject = (typeof HISTORY_SUBJECTS)[number];

/** The activity log of one user, device, app, account or license (invariant 4). */
export function historyPath(spaceId: string, of: Partial<Record<HistorySubject, string>>): string {
  const query = new URLSearchParams(Object.entries(of).filter((e): e is [string, string] => Boolean(e[1])));
  return spacePath(spaceId, `/activity?${query}`);
}

/** "History": a page's way to its subject's lines of the activity log. */
export function HistoryLink({ of }: { of: Partial<Record<HistorySubject, string>> }) {
  const { t } = useTranslation();
  const { spaceId } = useSpace();
  return (
    <Link className="btn btn-secondary" to={historyPath(spaceId, of)}>
      {t("activity.history")}
    </Link>
  );
}
