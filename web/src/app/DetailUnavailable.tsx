import { useTranslation } from "react-i18next";
import { Link } from "react-router";
import { ApiProblemError } from "../api/client";
import { EmptyState, ErrorNotice } from "../ui/States";
import { spacePath, useSpace } from "./space";

/** The lists whose items have a page of their own: `/<list>`, `<list>.title`, `<list>.notFoundTitle` and `<list>.notFoundText`. */
export type DetailList = "accounts" | "apps" | "devices" | "groups" | "users";

/**
 * An item's page that cannot show it, with the way back to its list: an item that is not in
 * this space (a 404: deleted, an old link, another space's id; or `error` undefined) as an
 * empty state; any other failure as an error to try again.
 */
export function DetailUnavailable({
  list,
  error,
  onRetry,
}: {
  list: DetailList;
  error?: unknown;
  onRetry?: () => unknown;
}) {
  const { t } = useTranslation();
  const { spaceId } = useSpace();
  const notFound = error === undefined || (error instanceof ApiProblemError && error.status === 404);
  return (
    <>
      <div className="page-back">
        <Link to={spacePath(spaceId, `/${list}`)}>← {t(`${list}.title`)}</Link>
      </div>
      {notFound ? (
        <EmptyState title={t(`${list}.notFoundTitle`)}>{t(`${list}.notFoundText`)}</EmptyState>
      ) : (
        <ErrorNotice error={error} onRetry={onRetry} />
      )}
    </>
  );
}
