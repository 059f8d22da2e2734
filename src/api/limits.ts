/** JSON bodies stay small: the largest is a bulk device import (5,000 devices). */
export const BODY_LIMIT_BYTES = 1024 * 1024;
/**
 * A check-in carries up to 5,000 installed apps (a Mac's whole InstalledApplicationList,
 * each with its bundle id, name and version): its own limit, so the schema's 5,000 fit.
 */
export const CHECK_IN_BODY_LIMIT_BYTES = 4 * 1024 * 1024;
/** An sToken file is a few hundred bytes; 64 KiB is generous. */
export const TOKEN_FILE_LIMIT_BYTES = 64 * 1024;
/**
 * Ids in one list of license rules (reserved users, reserved devices, prohibited users, FCFS
 * groups): the rules PUT and a what-if `rules` change take the same lists, so the same most.
 */
export const MAX_RULE_LIST_IDS = 10_000;
