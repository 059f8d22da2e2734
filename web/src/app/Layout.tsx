import { Suspense, useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { Navigate, Outlet, useLocation, useParams } from "react-router";
import { signInThenBackTo } from "../auth/next-page";
import { useMe, useSpaces } from "../auth/session";
import { EmptyState, ErrorNotice, Loading, Notice } from "../ui/States";
import { Sidebar } from "./Sidebar";
import { SpaceProvider, spacePath } from "./space";
import { TopBar } from "./TopBar";

/** The signed-in shell: sidebar, top bar, and the page of the space in the URL. */
export function Layout() {
  const { t } = useTranslation();
  const { spaceId } = useParams();
  const me = useMe();
  const spaces = useSpaces(me.isSuccess);
  const location = useLocation();
  // On a narrow screen the navigation is a menu over the page: closed again by each page shown.
  const [navOpen, setNavOpen] = useState(false);
  // biome-ignore lint/correctness/useExhaustiveDependencies: a new page closes the menu
  useEffect(() => setNavOpen(false), [location.pathname]);
  useEffect(() => {
    if (!navOpen) return;
    const onKey = (e: KeyboardEvent) => e.key === "Escape" && setNavOpen(false);
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [navOpen]);
  // Signed out: the sign-in page brings them back here (an e-mail's link to a notification).
  if (me.isError) return <Navigate to={signInThenBackTo(location.pathname + location.search)} replace />;
  if (me.isPending || spaces.isPending) return <Loading />;
  if (spaces.isError) return <ErrorNotice error={spaces.error} onRetry={spaces.refetch} />;
  const list = spaces.data;
  const first = list.find((s) => s.isDefault) ?? list[0];
  if (!first) return <EmptyState title={t("shell.noSpaceTitle")}>{t("shell.noSpaceText")}</EmptyState>;
  const space = list.find((s) => s.id === spaceId);
  if (!space) {
    // `default` names the default space, as in the API (and `_`, as links of earlier
    // versions did): the rest of the link is kept. Another space (deleted, or no role in it)
    // is said so over the first space's dashboard.
    const rest = location.pathname.slice(spacePath(spaceId ?? "").length) + location.search;
    return spaceId === "default" || spaceId === "_" ? (
      <Navigate to={spacePath(first.id, rest)} replace />
    ) : (
      <Navigate to={spacePath(first.id)} replace state={{ missingSpace: spaceId }} />
    );
  }
  const missingSpace = (location.state as { missingSpace?: string } | null)?.missingSpace;
  return (
    <SpaceProvider value={{ space, spaces: list, spaceId: space.id, canWrite: space.role === "manage" }}>
      <div className="shell">
        {/* The first stop of Tab: past the navigation, to the page (WCAG 2.4.1). */}
        <a className="skip-link" href="#main">
          {t("shell.skipToContent")}
        </a>
        <Sidebar open={navOpen} />
        {navOpen ? (
          <div className="nav-backdrop" aria-hidden="true" onClick={() => setNavOpen(false)} />
        ) : null}
        <div className="main">
          <TopBar navOpen={navOpen} onNav={() => setNavOpen((open) => !open)} />
          <main className="content" id="main" tabIndex={-1}>
            {missingSpace ? (
              <Notice tone="warning">{t("shell.missingSpace", { id: missingSpace })}</Notice>
            ) : null}
            {/* A page's chunk loads the first time it is shown (lazy-page.tsx); the shell stays. */}
            <Suspense fallback={<Loading />}>
              <Outlet />
            </Suspense>
          </main>
        </div>
      </div>
    </SpaceProvider>
  );
}
