import { z } from "zod";

/** The longest name, model and OS version a device is given (0050): a request past them is a 400. */
export const DEVICE_NAME_MAX = 200;
export const DEVICE_MODEL_MAX = 100;
export const OS_VERSION_MAX = 40;

/**
 * One line of text as an MDM reports it: a control character anywhere (a line break, a tab,
 * a NUL PostgreSQL cannot store) is refused before the spaces around it are trimmed, as a
 * serial number's (serial-number-input.ts); nothing left once trimmed is refused too: a
 * value is cleared with null (PATCH), not with "".
 */
const oneLine = (what: string, max: number) =>
  z
    .string()
    .regex(/^\P{Cc}*$/u, { error: "no control characters", abort: true })
    .trim()
    // One refusal each: an empty OS version is not also said to be no version.
    .min(1, { error: `${what} is empty once spaces are trimmed`, abort: true })
    .max(max, { error: `${what} has at most ${max} characters`, abort: true });

/**
 * A device's name, its model and its OS version as a request or an import file gives them
 * (device create and bulk, PATCH, MDM check-in, `orchard import`): one schema each, so every
 * input refuses and accepts alike.
 * - name: as the MDM or its user named the device ("Classroom iPad 12", "Marie's MacBook Air"),
 *   up to 200 characters;
 * - model: a marketing name ("iPad (10th generation)") or Apple's product name ("iPad13,18",
 *   "Mac14,2"), up to 100;
 * - osVersion: Apple's ProductVersion, 1 to 4 numbers separated by dots ("17.5.1", "14.5"),
 *   with the letter of a Rapid Security Response after it as Apple shows it ("16.5.1 (a)").
 *   The OS's name is not part of it: the platform says it.
 */
export const deviceNameInput = oneLine("a name", DEVICE_NAME_MAX);
export const deviceModelInput = oneLine("a model", DEVICE_MODEL_MAX);
export const osVersionInput = oneLine("an OS version", OS_VERSION_MAX).regex(
  /^\d{1,6}(\.\d{1,6}){0,3}( \([a-z]\))?$/,
  'an OS version: numbers separated by dots, as 17.5.1 (a Rapid Security Response\'s letter after it: "16.5.1 (a)")',
);

/** What a check-in reports of a device's identity, as sent: checked one by one (reportedIdentity). */
export const reportedText = z.string().max(10_000).nullable();

/**
 * DB2: a check-in's name, model and OS version, each kept when valid. One the schemas refuse
 * (an OS version written another way, a control character) is left out and named in
 * `ignored`, and null means unknown: the device keeps what it had. The check-in, and the
 * licenses it decides, never fail for a description of the device.
 */
export function reportedIdentity(reported: {
  name?: string | null | undefined;
  model?: string | null | undefined;
  osVersion?: string | null | undefined;
}): {
  identity: { name?: string; model?: string; osVersion?: string };
  ignored: Array<{ field: string; message: string }>;
} {
  const identity: { name?: string; model?: string; osVersion?: string } = {};
  const ignored: Array<{ field: string; message: string }> = [];
  const schemas = { name: deviceNameInput, model: deviceModelInput, osVersion: osVersionInput } as const;
  for (const field of ["name", "model", "osVersion"] as const) {
    const value = reported[field];
    if (value === undefined || value === null) continue;
    const parsed = schemas[field].safeParse(value);
    if (parsed.success) identity[field] = parsed.data;
    else ignored.push({ field: `body.${field}`, message: parsed.error.issues[0]?.message ?? "not valid" });
  }
  return { identity, ignored };
}
