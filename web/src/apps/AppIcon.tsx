/**
 * An app's icon: the store's artwork only when it is served from this origin (the CSP
 * allows img-src 'self' and data: only, and stays so), else a neutral badge with the
 * name's initial. Decorative: the name is always written next to it.
 */
export function AppIcon({ name, artworkUrl }: { name: string; artworkUrl?: string | undefined }) {
  if (artworkUrl && isSameOrigin(artworkUrl)) {
    return <img className="app-icon" src={artworkUrl} alt="" aria-hidden="true" />;
  }
  const initial = name.trim().charAt(0).toUpperCase() || "?";
  return (
    <span className="app-icon app-icon-initial" aria-hidden="true">
      {initial}
    </span>
  );
}

function isSameOrigin(url: string): boolean {
  try {
    return new URL(url, window.location.href).origin === window.location.origin;
  } catch {
    return false;
  }
}
