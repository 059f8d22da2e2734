import { checkIn, putCatalogApp, requestLicensesFor } from "../mdm/index.js";
import type { ServiceDeps } from "../service/deps.js";
import type { RunningSimulator } from "../simulator/index.js";
import { setAssetDetails } from "../store/asset-details.repo.js";
import {
  type Actor,
  addGroupMembers,
  createDevices,
  createGroup,
  createUsers,
  listAccounts,
  setAppRules,
} from "../store/index.js";
import { DEMO_APPS, DEMO_USERS, demoDevice, demoName, STAFF, STUDENTS, TEACHERS } from "./demo-data.js";

export interface DemoContext {
  deps: ServiceDeps;
  /** The default space's id. */
  spaceId: string;
  /** The in-process simulator, when Orchard runs without APPLE_BASE_URL. */
  simulator?: RunningSimulator;
  print: (line: string) => void;
}

const DEMO: Actor = { kind: "system", id: "demo" };
const DAY = 86_400_000;

/**
 * The demo (issue 5, item 4): two locations of the built-in Apple simulator added as
 * accounts in priority order (the second one's token expires in six days), 240 users in
 * three groups, iPads (some shared) and Macs, apps with FCFS, Reserved and Prohibited
 * rules, and license requests that bring usage near the NT1 thresholds and fill one
 * app's queue. Runs once: a space that has an account is left as it is.
 */
export async function seedDemo(ctx: DemoContext): Promise<void> {
  const { deps, spaceId, simulator, print } = ctx;
  if ((await listAccounts(deps.db, spaceId)).length > 0) return;
  if (!simulator) {
    print("No demo data: Orchard is connected to Apple (APPLE_BASE_URL).");
    return;
  }
  print("Seeding the demo: two Apps and Books locations, 240 users, 230 devices…");
  const now = deps.now();
  const op = simulator.operator;
  const main = op.createLocation({
    orgName: "Orchard Demo School",
    locationName: "Main Campus",
    expiresAt: new Date(now.getTime() + 300 * DAY),
  });
  const north = op.createLocation({
    orgName: "Orchard Demo School",
    locationName: "North Campus",
    expiresAt: new Date(now.getTime() + 6 * DAY),
  });
  for (const app of DEMO_APPS) {
    for (const [location, count] of [
      [main, app.main],
      [north, app.north],
    ] as const) {
      if (count === 0) continue;
      op.addAsset(location.uId, {
        adamId: app.adamId,
        productType: app.productType,
        // The store's metadata: the sync's lookup (src/sync/metadata.ts) finds these.
        name: app.name,
        price: app.price,
        genre: app.genre,
        ...(app.bundleId ? { bundleId: app.bundleId } : {}),
        totalCount: count,
        deviceAssignable: app.productType === "App",
        supportedPlatforms: app.platforms,
      });
    }
  }
  // Apple knows the users of Main Campus; half of them accepted their invitation (UB2).
  op.seed(main.uId, { apps: 0, licensesPerApp: 0, users: DEMO_USERS });

  const db = deps.db;
  const users = await createUsers(
    db,
    Array.from({ length: DEMO_USERS }, (_, i) => ({
      spaceId,
      name: demoName(i),
      email: `sim-user-${i}@example.com`,
      appleClientUserId: `sim-user-${i}`,
    })),
  );
  const ids = (range: { from: number; to: number }) => users.slice(range.from, range.to).map((u) => u.id);
  const groups = {
    teachers: await createGroup(db, { spaceId, name: "Teachers" }),
    students: await createGroup(db, { spaceId, name: "Students" }),
    staff: await createGroup(db, { spaceId, name: "Staff" }),
  };
  await addGroupMembers(db, spaceId, groups.teachers.id, ids(TEACHERS));
  await addGroupMembers(db, spaceId, groups.students.id, ids(STUDENTS));
  await addGroupMembers(db, spaceId, groups.staff.id, ids(STAFF));
  const devices = await createDevices(db, [
    // One iPad per student, a cart of shared iPads, a Mac per teacher: named as an MDM names them.
    ...ids(STUDENTS).map((userId, i) => ({
      spaceId,
      serialNumber: `DMPQ${String(i).padStart(4, "0")}`,
      platform: "iOS" as const,
      supervised: true,
      userId,
      ...demoDevice("ipad", i, demoName(STUDENTS.from + i)),
    })),
    ...Array.from({ length: 10 }, (_, i) => ({
      spaceId,
      serialNumber: `DMPS${String(i).padStart(4, "0")}`,
      platform: "iOS" as const,
      supervised: true,
      sharedIpad: true,
      ...demoDevice("shared", i),
    })),
    ...ids(TEACHERS).map((userId, i) => ({
      spaceId,
      serialNumber: `C02D${String(i).padStart(4, "0")}`,
      platform: "macOS" as const,
      userId,
      ...demoDevice("mac", i, demoName(TEACHERS.from + i)),
    })),
  ]);
  const ipads = devices.filter((d) => d.platform === "iOS" && !d.sharedIpad);
  const macs = devices.filter((d) => d.platform === "macOS");

  // Two accounts in priority order, through the sync engine as an admin would (AC1).
  const { account: mainAccount } = await deps.accounts.add({
    spaceId,
    name: "Main Campus",
    sTokenFile: main.sToken,
    autoDistribute: true,
    clearPrevious: false,
    takeOver: false,
    actor: DEMO,
  });
  const { account: northAccount } = await deps.accounts.add({
    spaceId,
    name: "North Campus",
    sTokenFile: north.sToken,
    autoDistribute: false,
    clearPrevious: false,
    takeOver: false,
    actor: DEMO,
  });
  for (const app of DEMO_APPS) {
    // The built-in simulator's store lookup is the US storefront: its prices are in dollars.
    await setAssetDetails(db, {
      spaceId,
      adamId: app.adamId,
      name: app.name,
      price: app.price,
      currency: "USD",
    });
    await putCatalogApp(
      { db, now: deps.now },
      {
        spaceId,
        adamId: app.adamId,
        name: app.name,
        installOnDevice: app.installOnDevice ?? false,
        updateMode: app.updateMode ?? "immediate",
        actor: DEMO,
      },
    );
  }
  const rule = (
    accountId: string,
    adamId: string,
    r: {
      groups?: string[];
      requested?: "user" | "device";
      mandatory?: "user" | "device";
      reservedUsers?: string[];
      reservedDevices?: string[];
      prohibited?: string[];
    },
  ) =>
    setAppRules(
      db,
      {
        spaceId,
        accountId,
        adamId,
        ...(r.groups
          ? {
              fcfs: {
                groupIds: r.groups,
                requestedType: r.requested ?? "user",
                mandatoryType: r.mandatory ?? "device",
              },
            }
          : {}),
        reservedUserIds: r.reservedUsers ?? [],
        reservedDeviceIds: r.reservedDevices ?? [],
        prohibitedUserIds: r.prohibited ?? [],
      },
      DEMO,
      now,
    );
  const staff = ids(STAFF);
  const students = ids(STUDENTS);
  await rule(mainAccount.id, "361285480", {
    groups: [groups.teachers.id],
    reservedUsers: staff.slice(0, 3),
    prohibited: students.slice(0, 2),
  });
  await rule(mainAccount.id, "361304891", {
    groups: [groups.students.id, groups.teachers.id],
    reservedDevices: macs.slice(0, 2).map((d) => d.id),
  });
  await rule(northAccount.id, "361309726", {
    groups: ["all-users"],
    requested: "device",
    mandatory: "device",
  });
  await rule(northAccount.id, "1444383602", {
    groups: [groups.teachers.id],
    requested: "device",
    mandatory: "device",
  });
  await rule(northAccount.id, "360593530", {
    groups: ["all-users"],
    requested: "device",
    mandatory: "device",
  });

  // Usage near the thresholds (NT1), and a queue (DB2): check-ins, then requests.
  const mdm = { db, now: deps.now };
  for (const ipad of ipads.slice(0, 70))
    await checkIn(mdm, { spaceId, serialNumber: ipad.serialNumber, installed: [], actor: DEMO });
  const enrolled = (range: string[]) => range.filter((_, i) => i % 2 === 0);
  const request = (
    adamId: string,
    subjects: Array<{ kind: "user"; userId: string } | { kind: "device"; deviceId: string }>,
    why: "requested" | "mandatory",
  ) =>
    requestLicensesFor(mdm, {
      spaceId,
      adamId,
      requests: subjects.map((subject) => ({ spaceId, adamId, subject, why })),
      actor: DEMO,
    });
  await request(
    "361285480",
    enrolled(ids(TEACHERS))
      .slice(0, 14)
      .map((userId) => ({ kind: "user", userId })),
    "requested",
  );
  await request(
    "361304891",
    enrolled(students)
      .slice(2, 19)
      .map((userId) => ({ kind: "user", userId })),
    "requested",
  );
  await request(
    "1444383602",
    ipads.slice(70, 125).map((d) => ({ kind: "device", deviceId: d.id })),
    "mandatory",
  );
  await request(
    "908519492",
    ipads.slice(125, 135).map((d) => ({ kind: "device", deviceId: d.id })),
    "mandatory",
  );
  await request(
    "360593530",
    macs.slice(0, 8).map((d) => ({ kind: "device", deviceId: d.id })),
    "mandatory",
  );
  await request(
    "881256329",
    enrolled(staff).map((userId) => ({ kind: "user", userId })),
    "requested",
  );
  print("Demo data ready: Apple's confirmations arrive in the background.");
}
