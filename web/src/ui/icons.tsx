/** Outline icons (24px grid) for the navigation. */
const PATHS: Record<string, string> = {
  dashboard: "M4 13h6V4H4zM14 20h6v-9h-6zM4 20h6v-3H4zM14 4v3h6V4z",
  accounts: "M4 7h16v12H4zM8 7V5h8v2M4 12h16",
  apps: "M5 5h5v5H5zM14 5h5v5h-5zM5 14h5v5H5zM14 14h5v5h-5z",
  users:
    "M9 11a3.5 3.5 0 1 0 0-7 3.5 3.5 0 0 0 0 7zM3 20c0-3.3 2.7-6 6-6s6 2.7 6 6M16 4.5a3.5 3.5 0 0 1 0 6.5M21 20c0-2.6-1.6-4.8-4-5.6",
  groups:
    "M12 10a3 3 0 1 0 0-6 3 3 0 0 0 0 6zM6 20c0-3.3 2.7-6 6-6s6 2.7 6 6M5.5 12.5a2 2 0 1 0 0-4 2 2 0 0 0 0 4zM2 19c0-2.3 1.3-4.2 3.2-4.8M18.5 12.5a2 2 0 1 0 0-4 2 2 0 0 0 0 4zM22 19c0-2.3-1.3-4.2-3.2-4.8",
  devices: "M7 3h10v18H7zM11 18h2",
  mdm: "M4 4h8v16H4zM7 17h2M14 12h7m-3-3 3 3-3 3",
  licenses: "M4 6h16v12H4zM8 10h8M8 14h5",
  notifications: "M6 16V11a6 6 0 1 1 12 0v5l2 2H4zM10 20a2 2 0 0 0 4 0",
  activity: "M3 12h4l3-7 4 14 3-7h4",
  explain: "M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18zM9.5 9a2.5 2.5 0 1 1 3.5 2.3c-.6.3-1 .9-1 1.6V14M12 17h.01",
  whatIf: "M4 18l5-6 4 3 7-9M15 6h5v5",
  settings:
    "M12 15a3 3 0 1 0 0-6 3 3 0 0 0 0 6zM19 12l2-1-1-3-2 .2-1.2-1.4.3-2-3-1-1 1.8h-2L9 3 6 4l.3 2L5 7.3 3 7 2 10l2 1v2l-2 1 1 3 2-.2 1.3 1.4-.3 2 3 1 1-1.8h2l1 1.8 3-1-.3-2 1.3-1.4 2 .3 1-3-2-1z",
};

export function Icon({ name, size = 18 }: { name: keyof typeof PATHS | string; size?: number }) {
  return (
    <svg
      viewBox="0 0 24 24"
      width={size}
      height={size}
      fill="none"
      stroke="currentColor"
      strokeWidth="1.7"
      strokeLinecap="round"
      strokeLinejoin="round"
      aria-hidden="true"
    >
      <path d={PATHS[name] ?? ""} />
    </svg>
  );
}
