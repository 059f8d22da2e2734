import { useTranslation } from "react-i18next";
import { NavLink } from "react-router";
import { Icon } from "../ui/icons";
import { spacePath, useSpace } from "./space";

const NAV: { section: string; items: { to: string; key: string; icon: string; end?: boolean }[] }[] = [
  {
    section: "nav.overview",
    items: [
      { to: "", key: "nav.dashboard", icon: "dashboard", end: true },
      { to: "/notifications", key: "nav.notifications", icon: "notifications" },
    ],
  },
  {
    section: "nav.licensing",
    items: [
      { to: "/accounts", key: "nav.accounts", icon: "accounts" },
      { to: "/apps", key: "nav.apps", icon: "apps" },
      { to: "/licenses", key: "nav.licenses", icon: "licenses" },
    ],
  },
  {
    section: "nav.inventory",
    items: [
      { to: "/users", key: "nav.users", icon: "users" },
      { to: "/groups", key: "nav.groups", icon: "groups" },
      { to: "/devices", key: "nav.devices", icon: "devices" },
      { to: "/mdm", key: "nav.mdm", icon: "mdm" },
    ],
  },
  {
    section: "nav.insight",
    items: [
      { to: "/explain", key: "nav.explain", icon: "explain" },
      { to: "/what-if", key: "nav.whatIf", icon: "whatIf" },
      { to: "/activity", key: "nav.activity", icon: "activity" },
    ],
  },
  { section: "nav.admin", items: [{ to: "/settings", key: "nav.settings", icon: "settings" }] },
];

/** The navigation: a column beside the page; on a narrow screen, a menu over it while `open`. */
export function Sidebar({ open = false }: { open?: boolean }) {
  const { t } = useTranslation();
  const { spaceId } = useSpace();
  return (
    <nav id="main-nav" className={open ? "sidebar open" : "sidebar"} aria-label={t("nav.label")}>
      <div className="brand">
        <svg viewBox="0 0 32 32" width="26" height="26" aria-hidden="true">
          <circle cx="16" cy="18" r="11" fill="#2f7d4f" />
          <path d="M16 7c1-4 5-5 7-4-1 3-4 4-7 4z" fill="#7cc596" />
        </svg>
        <span className="brand-name">Orchard</span>
      </div>
      {NAV.map((group) => (
        <div key={group.section} className="nav-group">
          <div className="nav-section">{t(group.section)}</div>
          <ul>
            {group.items.map((item) => (
              <li key={item.key}>
                <NavLink
                  to={spacePath(spaceId, item.to)}
                  end={item.end ?? false}
                  className={({ isActive }) => `nav-link ${isActive ? "active" : ""}`}
                >
                  <Icon name={item.icon} />
                  <span>{t(item.key)}</span>
                </NavLink>
              </li>
            ))}
          </ul>
        </div>
      ))}
    </nav>
  );
}
