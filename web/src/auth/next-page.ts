/**
 * Where the console goes once signed in: the page it was on when the session was missing
 * (an e-mail's link to a notification). Only a console page under /s/ is ever followed,
 * nothing that leads elsewhere (as the server checks it for single sign-on,
 * src/api/routes/sso.routes.ts `consolePage`).
 */
export function consolePage(next: string | null | undefined): string | undefined {
  return next &&
    next.length <= 2000 &&
    /^\/s\/[\w-]+(\/[\w\-/]*)?(\?[\w\-=&%.]*)?$/.test(next) &&
    !next.includes("//")
    ? next
    : undefined;
}
/** The sign-in page, with the console's page to come back to (none for the default space's home). */
export function signInThenBackTo(page: string): string {
  const home = page === "/s/default" || page === "/s/default/" || page.startsWith("/s/_");
  const next = home ? undefined : consolePage(page);
  return next ? `/login?next=${encodeURIComponent(next)}` : "/login";
}
