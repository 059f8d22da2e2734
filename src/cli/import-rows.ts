import { z } from "zod";
import type { Platform } from "../licensing/index.js";
import { clientUserIdInput } from "../store/client-user-id-input.js";
import { SERIAL_REF_PREFIX, sharedIpadRefusal } from "../store/device.repo.js";
import { deviceModelInput, deviceNameInput, osVersionInput } from "../store/device-identity-input.js";
import { serialNumberInput } from "../store/serial-number-input.js";
import { CsvSyntaxError, parseCsv } from "./csv-parse.js";
import { CliError } from "./errors.js";

/** What `orchard import --kind` accepts: the directory a space's rules refer to. */
export type ImportKind = "users" | "devices" | "groups";
export const IMPORT_KINDS: ImportKind[] = ["users", "devices", "groups"];

const PLATFORMS: Platform[] = ["iOS", "macOS", "tvOS", "visionOS", "watchOS"];
/** A cell of text: no control characters (a NUL the database refuses, a line break inside quotes). */
const text = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .regex(/^\P{Cc}*$/u, "no control characters (a line break inside quotes?)");
const flag = z.preprocess((v) => {
  if (typeof v !== "string") return v;
  const s = v.trim().toLowerCase();
  return ["true", "yes", "1"].includes(s) ? true : ["false", "no", "0"].includes(s) ? false : v;
}, z.boolean());
/** Any case; iPadOS is Orchard's iOS, as the API takes it. */
const platform = z.preprocess((v) => {
  if (typeof v !== "string") return v;
  const named = v.trim().toLowerCase() === "ipados" ? "iOS" : v.trim();
  return PLATFORMS.find((p) => p.toLowerCase() === named.toLowerCase()) ?? v;
}, z.enum(PLATFORMS));
/** Members as a JSON array, or in one CSV cell separated by spaces or semicolons. */
const members = z.preprocess(
  (v) => (typeof v === "string" ? v.split(/[\s;]+/).filter(Boolean) : v),
  z.array(text(200)).max(100_000),
);

const SCHEMAS = {
  users: z.strictObject({
    id: text(200).optional(),
    name: text(300),
    email: z.email().max(320).optional(),
    managedAppleId: text(320).optional(),
    externalId: text(300).optional(),
    // AC7: the id a previous MDM registered the user under at Apple.
    clientUserId: clientUserIdInput.optional(),
  }),
  // Serial numbers, names, models and OS versions as the API takes them (serial-number-input.ts,
  // device-identity-input.ts); an id never looks like the API's `serial:` reference to a device;
  // Shared iPad is iPadOS only.
  devices: z
    .strictObject({
      id: text(200)
        .refine((id) => !id.toLowerCase().startsWith(SERIAL_REF_PREFIX), {
          message: `a device id cannot start with "${SERIAL_REF_PREFIX}" (that names a device by serial number)`,
        })
        .optional(),
      serialNumber: serialNumberInput,
      platform,
      sharedIpad: flag.default(false),
      supervised: flag.default(false),
      userId: text(200).optional(),
      name: deviceNameInput.optional(),
      model: deviceModelInput.optional(),
      osVersion: osVersionInput.optional(),
    })
    .superRefine((d, ctx) => {
      const refused = sharedIpadRefusal(d);
      if (refused) ctx.addIssue({ code: "custom", path: ["sharedIpad"], message: refused });
    }),
  groups: z.strictObject({
    id: text(200).optional(),
    name: text(300),
    externalId: text(300).optional(),
    members: members.default([]),
  }),
} as const;

export type ImportRow<K extends ImportKind> = z.infer<(typeof SCHEMAS)[K]>;

/** A validated row and where it came from ("line 4" in a CSV file, "item 3" in a JSON array). */
export interface Located<T> {
  where: string;
  row: T;
  /**
   * The fields the file gives this row: the CSV header's columns, or the JSON object's keys.
   * One given without a value (an empty cell, null) is cleared by `--existing update`.
   */
  given: ReadonlySet<string>;
}

/** Header spellings people use, folded to the field names (serial_number, Serial Number → serialNumber). */
const FIELDS: Record<string, string> = {
  id: "id",
  name: "name",
  email: "email",
  managedappleid: "managedAppleId",
  externalid: "externalId",
  clientuserid: "clientUserId",
  appleclientuserid: "clientUserId",
  serial: "serialNumber",
  serialnumber: "serialNumber",
  platform: "platform",
  sharedipad: "sharedIpad",
  supervised: "supervised",
  user: "userId",
  userid: "userId",
  devicename: "name",
  model: "model",
  modelname: "model",
  productname: "model",
  os: "osVersion",
  osversion: "osVersion",
  members: "members",
  memberids: "members",
};

/**
 * Parses and validates every row of an import file (CSV with a header row, or a JSON
 * array) before anything is written; the first bad row is reported with its line number.
 */
export function parseImport<K extends ImportKind>(kind: K, content: string): Array<Located<ImportRow<K>>> {
  const raw = /^\s*[[{]/.test(content) ? fromJson(content) : fromCsv(content);
  if (raw.length === 0) throw new CliError("the file has no rows to import");
  const schema = SCHEMAS[kind];
  const out: Array<Located<ImportRow<K>>> = [];
  for (const { where, data, given } of raw) {
    const parsed = schema.safeParse(data);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = issue?.path.join(".") || "row";
      throw new CliError(`${where}: ${field}: ${issue?.message ?? "invalid"}; nothing was imported`);
    }
    out.push({ where, row: parsed.data as ImportRow<K>, given });
  }
  return out;
}

interface RawRow {
  where: string;
  data: unknown;
  given: ReadonlySet<string>;
}

function fromJson(content: string): RawRow[] {
  let data: unknown;
  try {
    data = JSON.parse(content);
  } catch (error) {
    throw new CliError(
      `the file is not valid JSON: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  if (!Array.isArray(data)) throw new CliError("a JSON import must be an array of objects");
  return data.map((item, i) => {
    if (typeof item !== "object" || item === null || Array.isArray(item))
      return { where: `item ${i + 1}`, data: item, given: new Set<string>() };
    // null is a value not given, as an empty CSV cell: an optional field left out, cleared by an update.
    const entries = Object.entries(item as Record<string, unknown>);
    return {
      where: `item ${i + 1}`,
      data: Object.fromEntries(entries.filter(([, v]) => v !== null)),
      given: new Set(entries.map(([k]) => k)),
    };
  });
}

function fromCsv(content: string): RawRow[] {
  let records: ReturnType<typeof parseCsv>;
  try {
    records = parseCsv(content);
  } catch (error) {
    if (error instanceof CsvSyntaxError) throw new CliError(`${error.message}; nothing was imported`);
    throw error;
  }
  const [header, ...rows] = records;
  if (!header) return [];
  const fieldOf = (h: string) => FIELDS[h.toLowerCase().replace(/[^a-z0-9]/g, "")];
  const fields = header.cells.map((h, i, all) => {
    const field = fieldOf(h);
    if (!field) throw new CliError(`line ${header.line}: unknown column "${h}"; nothing was imported`);
    // serial and Serial Number are one column: the second would silently win over the first.
    const first = all.findIndex((other) => fieldOf(other) === field);
    if (first !== i)
      throw new CliError(
        `line ${header.line}: ${all[first] === h ? `column "${h}" is there twice` : `columns "${all[first]}" and "${h}" are both ${field}`}; nothing was imported`,
      );
    return field;
  });
  const given = new Set(fields);
  return rows.map(({ line, cells }) => {
    if (cells.length !== fields.length)
      throw new CliError(
        `line ${line}: ${cells.length} fields where the header has ${fields.length}; nothing was imported`,
      );
    const data: Record<string, string> = {};
    // An empty cell is an absent value, so optional columns may be left blank.
    fields.forEach((f, i) => {
      const cell = cells[i] ?? "";
      if (cell.trim() !== "") data[f] = cell;
    });
    return { where: `line ${line}`, data, given };
  });
}

/** The first value seen twice in the file, with the rows that hold it. */
export function firstDuplicate<T>(
  rows: ReadonlyArray<Located<T>>,
  key: (row: T) => string | undefined,
): { value: string; first: string; again: string } | undefined {
  const seen = new Map<string, string>();
  for (const { where, row } of rows) {
    const value = key(row);
    if (value === undefined) continue;
    const first = seen.get(value);
    if (first !== undefined) return { value, first, again: where };
    seen.set(value, where);
  }
  return undefined;
}
