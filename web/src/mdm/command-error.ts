import { useTranslation } from "react-i18next";
import { statusWords } from "../api/field-errors";

/**
 * Why an MDM command failed or was cancelled, read back from the English the server stores
 * (src/mdm/sinks.ts `postToMdmWebhook`, src/store/mdm-command.repo.ts), so that the console
 * says it in its own language. A text it does not recognise is shown as stored.
 */
export type CommandError =
  | { kind: "status"; status: number }
  | { kind: "unreachable"; reason?: string }
  | { kind: "licenseNotLive" }
  | { kind: "superseded"; by?: number }
  | { kind: "supersededAcknowledged"; by: number }
  | { kind: "invitation"; reason: InvitationEnd }
  | { kind: "text"; text: string };

/**
 * Why an invite (UB2) was cancelled, by the English the server stores
 * (src/store/invite-commands.repo.ts INVITE_CANCELLED, mdm-command.repo.ts INVITATION_CLOSED).
 */
const INVITATION_ENDS = {
  "user enrolled": "enrolled",
  "user deleted": "userDeleted",
  "user retired at Apple": "retired",
  "device no longer active": "deviceLeft",
  "device changed: its user or platform no longer takes the invitation": "deviceChanged",
  "superseded: a newer invitation link": "newerLink",
  "invitations to devices turned off": "turnedOff",
  "invitation no longer open": "closed",
} as const;
type InvitationEnd = (typeof INVITATION_ENDS)[keyof typeof INVITATION_ENDS];

const STATUS = /^the MDM webhook answered HTTP (\d{3})$/;
const UNREACHABLE = /^the MDM webhook could not be reached(?: \((timed out|[A-Z0-9_]+)\))?$/;
const NEWER = /^superseded: a newer command \(seq (\d+)\) for the device and app$/;
const ACKNOWLEDGED = /^superseded: the MDM took the same command \(seq (\d+)\) after all$/;

export function parseCommandError(text: string): CommandError {
  let m = STATUS.exec(text);
  if (m) return { kind: "status", status: Number(m[1]) };
  m = UNREACHABLE.exec(text);
  if (m) return m[1] ? { kind: "unreachable", reason: m[1] } : { kind: "unreachable" };
  if (text === "license no longer live") return { kind: "licenseNotLive" };
  if (Object.hasOwn(INVITATION_ENDS, text))
    return { kind: "invitation", reason: INVITATION_ENDS[text as keyof typeof INVITATION_ENDS] };
  if (text === "superseded") return { kind: "superseded" };
  m = NEWER.exec(text);
  if (m) return { kind: "superseded", by: Number(m[1]) };
  m = ACKNOWLEDGED.exec(text);
  if (m) return { kind: "supersededAcknowledged", by: Number(m[1]) };
  return { kind: "text", text };
}

/** The system's reasons an administrator meets most, in words; any other code is shown as is. */
function reasonKey(reason: string): string | undefined {
  if (reason === "timed out" || reason === "ETIMEDOUT") return "timedOut";
  if (reason === "ECONNREFUSED") return "refused";
  if (reason === "ENOTFOUND" || reason === "EAI_AGAIN") return "notFound";
  if (reason === "ECONNRESET" || reason === "UND_ERR_SOCKET" || reason === "EPIPE") return "closed";
  if (reason === "EHOSTUNREACH" || reason === "ENETUNREACH") return "network";
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(reason)) return "certificate";
  return undefined;
}

/** An HTTP status with its phrase in the console's language: "401 Unauthorized", "401 Non autorisé". */
export function useStatusWords() {
  useTranslation();
  return (status: number): string => statusWords(status) ?? String(status);
}

/** An MDM command's error (or a test webhook's) in the console's language. */
export function useCommandError() {
  const { t } = useTranslation();
  const statusWords = useStatusWords();
  return (text: string): string => {
    const e = parseCommandError(text);
    switch (e.kind) {
      case "status":
        return t("mdm.error.status", { status: statusWords(e.status) });
      case "unreachable": {
        if (!e.reason) return t("mdm.error.unreachable");
        const key = reasonKey(e.reason);
        return t("mdm.error.unreachableWhy", {
          why: key ? t(`mdm.error.reason.${key}`) : e.reason,
        });
      }
      case "licenseNotLive":
        return t("mdm.error.licenseNotLive");
      case "superseded":
        return e.by === undefined ? t("mdm.error.superseded") : t("mdm.error.supersededBy", { seq: e.by });
      case "supersededAcknowledged":
        return t("mdm.error.supersededAcknowledged", { seq: e.by });
      case "invitation":
        return t(`mdm.error.invitation.${e.reason}`);
      case "text":
        return e.text;
    }
  };
}
