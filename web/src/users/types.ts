/**
 * VU1 and VU3 rows: an app on a device and its license. Restated from
 * src/api/routes/directory.routes.ts `usageSchema` (a route file cannot be imported
 * into the browser's type program).
 */
export interface LicenseUsageRow {
  adamId?: string;
  bundleId?: string;
  name?: string;
  version?: string;
  platform?: string;
  deviceId?: string;
  serialNumber?: string;
  source?: string;
  sizeBytes?: number;
  installedAt?: string;
  price?: number;
  currency?: string;
  license?: {
    id: string;
    type: "user" | "device";
    state: "pending_assign" | "assigned" | "pending_release" | "in_grace" | "released";
    assignedAt?: string;
    serialNumber?: string;
  };
}
