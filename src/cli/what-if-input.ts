import { z } from "zod";
import type { ProposedChange } from "../service/what-if.js";
import { CliError } from "./errors.js";

const ids = z.array(z.string().min(1).max(200)).max(10_000);
const licenseType = z.enum(["user", "device"]);

/** A rule edit in a `--rules` file (DI1): the account's lists for one app, as they would become. */
const rulesChange = z.strictObject({
  accountId: z.string().min(1),
  adamId: z.string().min(1),
  fcfs: z
    .strictObject({
      groupIds: ids.min(1),
      requestedType: licenseType.default("user"),
      mandatoryType: licenseType.default("device"),
    })
    .optional(),
  reservedUserIds: ids.default([]),
  reservedDeviceIds: ids.default([]),
  prohibitedUserIds: ids.default([]),
});

const rulesList = z.array(rulesChange).min(1).max(20);

/** Parses a `--rules` file; a bad one names the field that is wrong (exit 2). */
export function parseRulesFile(text: string, path: string): ProposedChange[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new CliError(`${path} is not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  // One schema per shape, so that the message names the field rather than "invalid union".
  const parsed = Array.isArray(data) ? rulesList.safeParse(data) : rulesChange.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join(".") || "the document";
    throw new CliError(`${path}: ${field}: ${issue?.message ?? "invalid"}`);
  }
  const list = Array.isArray(parsed.data) ? parsed.data : [parsed.data];
  return list.map((r) => ({ kind: "rules" as const, ...r }));
}

/** `--priority a,b,c`: account ids or names, first = priority 1. */
export function parsePriorityList(value: string): Extract<ProposedChange, { kind: "priorities" }> {
  const order = value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (order.length === 0) throw new CliError("--priority: give account ids or names separated by commas");
  if (new Set(order).size !== order.length) throw new CliError("--priority: an account is listed twice");
  return { kind: "priorities", order };
}
