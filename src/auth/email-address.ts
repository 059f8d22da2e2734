import { z } from "zod";

/**
 * NT3: an administrator's e-mail address, as the API, the CLI and single sign-on take it
 * (254 characters: the most an SMTP path holds). No line break or comma gets through, so
 * none reaches a mail header.
 */
export const adminEmailAddress = z.email().max(254);
