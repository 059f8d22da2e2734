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
