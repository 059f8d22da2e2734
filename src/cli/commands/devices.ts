import { type Command, Option } from "commander";
import type { Platform } from "../../licensing/index.js";
import type { Db } from "../../store/database.js";
import {
  type DeviceRecord,
  findDevice,
  findDeviceBySerial,
  getDeviceByRef,
  serialOfRef,
} from "../../store/device.repo.js";
import { listDevicesView } from "../../store/directory.repo.js";
import { getUser } from "../../store/index.js";
import type { DeviceStatus } from "../../store/space.table.js";
import { type CommonFlags, withCommonFlags, withCore } from "../context.js";
import { withExamples } from "../help.js";
import { parsePositive } from "../options.js";
import { printJson, printLine, printNote, printTable, shortDate } from "../output.js";

const PLATFORMS: Platform[] = ["iOS", "macOS", "tvOS", "visionOS", "watchOS"];
const STATUSES: DeviceStatus[] = ["active", "inactive", "unenrolled", "retired", "wiped"];

interface ListFlags extends CommonFlags {
  search?: string;
  platform?: Platform;
  status?: DeviceStatus;
  limit: number;
}

/** `orchard devices …`: the space's devices as their administrators know them, by name and serial number. */
export function registerDevices(program: Command): void {
  const devices = program
    .command("devices")
    .description("the space's devices: their names, serial numbers, models and OS versions");

  withExamples(
    withCommonFlags(
      devices
        .command("list")
        .description(
          "the space's devices in serial number order: name, model, platform and OS version, user, status",
        )
        .option("--search <text>", "name or serial number contains (any case)")
        .addOption(new Option("--platform <platform>", "only this platform").choices(PLATFORMS))
        .addOption(new Option("--status <status>", "only in this status").choices(STATUSES))
        .option("--limit <n>", "at most this many (1-10000)", parsePositive(10_000), 100),
    ),
    [
      'orchard devices list --search "classroom ipad"',
      "orchard devices list --platform iOS --limit 10000 --json | jq -r '.items[] | [.serialNumber, .name, .osVersion] | @csv'",
    ],
  ).action(async (flags: ListFlags) => {
    await withCore(flags, async ({ core, spaceId, json }) => {
      const page = await listDevicesView(
        core.deps.db,
        spaceId,
        {
          ...(flags.platform ? { platform: flags.platform } : {}),
          ...(flags.status ? { status: flags.status } : {}),
        },
        {
          page: 1,
          pageSize: flags.limit,
          sort: "serialNumber",
          order: "asc",
          ...(flags.search ? { q: flags.search } : {}),
        },
      );
      const items = page.items.map(view);
      if (json) return printJson({ items, total: page.total });
      if (items.length === 0) return printNote("no device matches");
      printTable(
        ["NAME", "SERIAL NUMBER", "MODEL", "PLATFORM", "USER", "STATUS", "LAST CHECK-IN"],
        items.map((d) => [
          d.name ?? "-",
          d.serialNumber,
          d.model ?? "-",
          platformOf(d),
          d.userName ?? d.userId ?? "-",
          d.status,
          shortDate(d.lastCheckInAt),
        ]),
      );
      if (page.total > items.length)
        printNote(`${items.length} of ${page.total} devices shown: use --limit or --search for the others`);
    });
  });

  withExamples(
    withCommonFlags(
      devices
        .command("show")
        .argument("<device>", "the device by id or serial number (any case)")
        .description("a device: its name, serial number, model, platform and OS version, user and status"),
    ),
    ["orchard devices show DMPQ0012", "orchard devices show 7f3c… --json"],
  ).action(async (given: string, flags: CommonFlags) => {
    await withCore(flags, async ({ core, spaceId, json }) => {
      const db = core.deps.db;
      const device = await deviceNamed(db, spaceId, given);
      const user = device.userId ? await getUser(db, spaceId, device.userId) : undefined;
      const shown = view({ ...device, ...(user ? { userName: user.name } : {}) });
      if (json) return printJson(shown);
      const marks = [
        shown.model,
        platformOf(shown),
        shown.supervised ? "supervised" : "unsupervised",
        shown.sharedIpad ? "Shared iPad" : undefined,
      ].filter((m) => m !== undefined);
      printLine(
        `${shown.name ? `${shown.name} (${shown.serialNumber})` : shown.serialNumber}: ${shown.status}, ${marks.join(", ")}`,
      );
      printLine(`user: ${shown.userId ? `${shown.userName ?? "-"} (${shown.userId})` : "none"}`);
      printLine(`last check-in: ${shown.lastCheckInAt ? shortDate(shown.lastCheckInAt) : "never"}`);
    });
  });
}

/** A device by id, `serial:` and its serial number, or its serial number alone; else the 404 (exit 3). */
async function deviceNamed(db: Db, spaceId: string, given: string): Promise<DeviceRecord> {
  if (serialOfRef(given) === undefined) {
    const found = (await findDevice(db, spaceId, given)) ?? (await findDeviceBySerial(db, spaceId, given));
    if (found) return found;
  }
  return getDeviceByRef(db, spaceId, given);
}

/** "iOS 17.5.1", or the platform alone while the MDM has not said the OS version. */
function platformOf(d: { platform: Platform; osVersion?: string }): string {
  return d.osVersion ? `${d.platform} ${d.osVersion}` : d.platform;
}

/** What `--json` prints of a device: the API's fields (deviceSchema), never Orchard's own columns beyond them. */
function view(d: DeviceRecord & { userName?: string }) {
  return {
    id: d.id,
    serialNumber: d.serialNumber,
    ...(d.name ? { name: d.name } : {}),
    ...(d.model ? { model: d.model } : {}),
    ...(d.osVersion ? { osVersion: d.osVersion } : {}),
    platform: d.platform,
    sharedIpad: d.sharedIpad,
    supervised: d.supervised,
    ...(d.userId ? { userId: d.userId } : {}),
    ...(d.userName ? { userName: d.userName } : {}),
    status: d.status,
    ...(d.lastCheckInAt ? { lastCheckInAt: d.lastCheckInAt } : {}),
  };
}
