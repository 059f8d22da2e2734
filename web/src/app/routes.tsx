import { createBrowserRouter, Navigate } from "react-router";
import { Layout } from "./Layout";
import { lazyPage } from "./lazy-page";

// Each page is a chunk of its own, loaded when first shown (lazy-page.tsx).
const AccountDetailPage = lazyPage(() => import("../accounts/AccountDetailPage"), "AccountDetailPage");
const AccountsPage = lazyPage(() => import("../accounts/AccountsPage"), "AccountsPage");
const ActivityPage = lazyPage(() => import("../activity/ActivityPage"), "ActivityPage");
const AppDetailPage = lazyPage(() => import("../apps/AppDetailPage"), "AppDetailPage");
const AppsPage = lazyPage(() => import("../apps/AppsPage"), "AppsPage");
const LoginPage = lazyPage(() => import("../auth/LoginPage"), "LoginPage");
const DashboardPage = lazyPage(() => import("../dashboard/DashboardPage"), "DashboardPage");
const DeviceDetailPage = lazyPage(() => import("../devices/DeviceDetailPage"), "DeviceDetailPage");
const DevicesPage = lazyPage(() => import("../devices/DevicesPage"), "DevicesPage");
const ExplainPage = lazyPage(() => import("../explain/ExplainPage"), "ExplainPage");
const GroupDetailPage = lazyPage(() => import("../groups/GroupDetailPage"), "GroupDetailPage");
const GroupsPage = lazyPage(() => import("../groups/GroupsPage"), "GroupsPage");
const LicensesPage = lazyPage(() => import("../licenses/LicensesPage"), "LicensesPage");
const MdmCommandsPage = lazyPage(() => import("../mdm/MdmCommandsPage"), "MdmCommandsPage");
const NotificationsPage = lazyPage(() => import("../notifications/NotificationsPage"), "NotificationsPage");
const SettingsPage = lazyPage(() => import("../settings/SettingsPage"), "SettingsPage");
const UserDetailPage = lazyPage(() => import("../users/UserDetailPage"), "UserDetailPage");
const UsersPage = lazyPage(() => import("../users/UsersPage"), "UsersPage");
const WhatIfPage = lazyPage(() => import("../what-if/WhatIfPage"), "WhatIfPage");

/** Every page lives under /s/:spaceId; "/" goes to the default space (chosen by Layout). */
export const router = createBrowserRouter([
  { path: "/login", element: <LoginPage /> },
  { path: "/", element: <Navigate to="/s/default" replace /> },
  {
    path: "/s/:spaceId",
    element: <Layout />,
    children: [
      { index: true, element: <DashboardPage /> },
      { path: "accounts", element: <AccountsPage /> },
      { path: "accounts/:accountId", element: <AccountDetailPage /> },
      { path: "apps", element: <AppsPage /> },
      { path: "apps/:adamId", element: <AppDetailPage /> },
      { path: "users", element: <UsersPage /> },
      { path: "users/:userId", element: <UserDetailPage /> },
      { path: "groups", element: <GroupsPage /> },
      { path: "groups/:groupId", element: <GroupDetailPage /> },
      { path: "devices", element: <DevicesPage /> },
      { path: "devices/:deviceId", element: <DeviceDetailPage /> },
      { path: "mdm", element: <MdmCommandsPage /> },
      { path: "licenses", element: <LicensesPage /> },
      { path: "notifications", element: <NotificationsPage /> },
      { path: "activity", element: <ActivityPage /> },
      { path: "explain", element: <ExplainPage /> },
      { path: "what-if", element: <WhatIfPage /> },
      { path: "settings", element: <SettingsPage /> },
    ],
  },
  { path: "*", element: <Navigate to="/" replace /> },
]);
