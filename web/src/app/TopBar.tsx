import { useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { useLocation, useNavigate } from "react-router";
import { useAdministratorLanguage, useChooseLanguage, useLogout, useMe } from "../auth/session";
import { Badge } from "../ui/Badge";
import { NotificationEmailsDialog } from "./NotificationEmails";
import { spacePath, useSpace } from "./space";

/** A space named "Default" (or the word in the console's language) needs no "(default)" after its name. */
const saysDefault = (name: string, word: string) =>
  [word, "default"].some((w) => name.trim().toLocaleLowerCase() === w.toLocaleLowerCase());

/** A space's id, shortened, that tells apart two spaces of the same name ("Paris · 3f2a9c1d…"). */
const shortId = (id: string) => (id.length > 12 ? `${id.slice(0, 8)}…` : id);

/** `onNav` opens and closes the navigation, a menu on a narrow screen (the button shows only there). */
export function TopBar({ navOpen = false, onNav }: { navOpen?: boolean; onNav?: () => void }) {
  const { t, i18n } = useTranslation();
  const { space, spaces, canWrite } = useSpace();
  const me = useMe();
  const logout = useLogout();
  const navigate = useNavigate();
  const location = useLocation();
  const menu = useRef<HTMLDetailsElement>(null);
  const [emails, setEmails] = useState(false);
  useAdministratorLanguage();
  const setLanguage = useChooseLanguage();
  const switchSpace = (id: string) => {
    const rest = location.pathname.split("/").slice(3, 4).join("/");
    navigate(spacePath(id, rest ? `/${rest}` : ""));
  };
  return (
    <header className="topbar">
      <div className="topbar-left">
        {onNav ? (
          <button
            type="button"
            className="nav-toggle"
            aria-controls="main-nav"
            aria-expanded={navOpen}
            aria-label={navOpen ? t("nav.close") : t("nav.open")}
            onClick={onNav}
          >
            <span aria-hidden="true">{navOpen ? "✕" : "☰"}</span>
          </button>
        ) : null}
        <label className="sr-only" htmlFor="space-switcher">
          {t("top.space")}
        </label>
        <select
          id="space-switcher"
          className="space-switcher"
          value={space.id}
          onChange={(e) => switchSpace(e.target.value)}
        >
          {spaces.map((s) => {
            const shared = spaces.some((o) => o.id !== s.id && o.name.trim() === s.name.trim());
            const name =
              s.isDefault && !saysDefault(s.name, t("top.defaultSpace"))
                ? `${s.name} (${t("top.defaultSpace")})`
                : s.name;
            return (
              <option key={s.id} value={s.id} title={s.id}>
                {shared ? `${name} · ${shortId(s.id)}` : name}
              </option>
            );
          })}
        </select>
        <Badge tone={canWrite ? "success" : "neutral"} title={t("ruleText.PM1")}>
          {canWrite ? t("roles.manage") : t("roles.read")}
        </Badge>
      </div>
      <div className="topbar-right">
        <fieldset className="lang-switch" aria-label={t("top.language")}>
          {(["en", "fr"] as const).map((lng) => (
            <button
              key={lng}
              type="button"
              aria-pressed={i18n.language === lng}
              className={i18n.language === lng ? "active" : ""}
              onClick={() => setLanguage(lng)}
            >
              {lng.toUpperCase()}
            </button>
          ))}
        </fieldset>
        <details className="user-menu" ref={menu}>
          <summary>
            <span className="avatar" aria-hidden="true">
              {(me.data?.name ?? "?").slice(0, 1).toUpperCase()}
            </span>
            <span className="user-name">{me.data?.name}</span>
          </summary>
          <div className="menu" role="menu">
            <button type="button" role="menuitem" onClick={() => navigate(spacePath(space.id, "/settings"))}>
              {t("nav.settings")}
            </button>
            {me.data?.kind === "admin" ? (
              <button
                type="button"
                role="menuitem"
                onClick={() => {
                  if (menu.current) menu.current.open = false;
                  setEmails(true);
                }}
              >
                {t("notificationEmails.menu")}
              </button>
            ) : null}
            <button
              type="button"
              role="menuitem"
              onClick={() =>
                logout.mutate(undefined, {
                  onSettled: (ended) => {
                    if (ended?.redirect) window.location.assign(ended.redirect);
                    else navigate("/login");
                  },
                })
              }
            >
              {t("top.signOut")}
            </button>
          </div>
        </details>
        {emails && me.data ? (
          <NotificationEmailsDialog
            me={me.data}
            onClose={() => {
              setEmails(false);
              // Back where the dialog was opened from: the menu's button (its items are hidden, closed).
              menu.current?.querySelector("summary")?.focus();
            }}
          />
        ) : null}
      </div>
    </header>
  );
}
