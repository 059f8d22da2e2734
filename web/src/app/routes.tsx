import { createBrowserRouter, Navigate } from "react-router";
import { AccountDetailPage } from "../accounts/AccountDetailPage";
import { AccountsPage } from "../accounts/AccountsPage";
import { ActivityPage } from "../activity/ActivityPage";
import { AppDetailPage } from "../apps/AppDetailPage";
import { AppsPage } from "../apps/AppsPage";
import { LoginPage } from "../auth/LoginPage";
import { DashboardPage } from "../dashboard/DashboardPage";
import { DeviceDetailPage } from "../devices/DeviceDetailPage";
import { DevicesPage } from "../devices/DevicesPage";
import { ExplainPage } from "../explain/ExplainPage";
import { GroupDetailPage } from "../groups/GroupDetailPage";
import { GroupsPage } from "../groups/GroupsPage";
import { LicensesPage } from "../licenses/LicensesPage";
import { MdmCommandsPage } from "../mdm/MdmCommandsPage";
import { NotificationsPage } from "../notifications/NotificationsPage";
import { SettingsPage } from "../settings/SettingsPage";
import { UserDetailPage } from "../users/UserDetailPage";
import { UsersPage } from "../users/UsersPage";
import { WhatIfPage } from "../what-if/WhatIfPage";
import { Layout } from "./Layout";

/** Every page lives under /s/:spaceId; "/" goes to the default space (chosen by Layout). */
export const router = createBrowserRouter([
  { path: "/login", element: <LoginPage /> },
  { path: "/", element: <Navigate to="/s/_" replace /> },
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
