import type { PreviewChangedError } from "../service/preview-changed.js";
import { ApiError, type FieldError } from "./problem.js";

/**
 * A bulk action confirms its preview by naming both what it showed: the count (`expect`) and
 * the `fingerprint`. Without the fingerprint, an action on the same count could touch a set
 * nobody was shown. `verb`: what the action does ("reclaim", "release").
 */
export function unconfirmedPreview(
  verb: string,
  sent: { expect?: number | undefined; fingerprint?: string | undefined },
): ApiError {
  const errors: FieldError[] = [];
  if (sent.expect === undefined)
    errors.push({
      field: "body.expect",
      message: `required to ${verb}: the count the preview showed`,
      rule: "invalid_type",
    });
  if (sent.fingerprint === undefined)
    errors.push({
      field: "body.fingerprint",
      message: `required to ${verb}: the fingerprint the preview answered`,
      rule: "invalid_type",
    });
  const names = errors.map((e) => e.field.slice("body.".length)).join(" and ");
  return new ApiError(
    400,
    "validation_failed",
    `${names} ${errors.length > 1 ? "are" : "is"} required to ${verb}: preview first (without expect), then send its count and fingerprint`,
    errors,
  );
}

/** The 409 of a set changed since its preview, naming the field that no longer matches. */
export function previewChanged(code: string, error: PreviewChangedError): ApiError {
  return new ApiError(409, code, error.message, [
    {
      field: error.change === "count" ? "body.expect" : "body.fingerprint",
      message: error.message,
      rule: code,
      limits: { expected: error.expected, count: error.count },
    },
  ]);
}
