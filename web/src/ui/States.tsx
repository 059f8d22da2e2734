import { type ReactNode, useEffect, useRef } from "react";
import { useTranslation } from "react-i18next";
import { ApiProblemError, fieldErrorsOf } from "../api/client";
import { wordedProblem } from "../api/field-errors";
import { IN_PROGRESS_CODE } from "../api/idempotency";
import { Button } from "./Button";

export function Loading({ label }: { label?: string }) {
  const { t } = useTranslation();
  return (
    <div className="loading" role="status">
      <span className="spinner" aria-hidden="true" />
      <span>{label ?? t("common.loading")}</span>
    </div>
  );
}

export function EmptyState({
  title,
  children,
  action,
}: {
  title: string;
  children?: ReactNode;
  action?: ReactNode;
}) {
  return (
    <div className="empty-state">
      <div className="empty-icon" aria-hidden="true">
        <svg
          viewBox="0 0 24 24"
          width="28"
          height="28"
          fill="none"
          stroke="currentColor"
          strokeWidth="1.6"
          aria-hidden="true"
        >
          <rect x="3" y="5" width="18" height="14" rx="2" />
          <path d="M3 10h18" />
        </svg>
      </div>
      <h3 className="empty-title">{title}</h3>
      {children ? <p className="empty-text">{children}</p> : null}
      {action ? <div className="empty-action">{action}</div> : null}
    </div>
  );
}

/**
 * What went wrong, in the console's language (the problem document's code, else its HTTP
 * status: api/field-errors.ts); with "Try again" when what failed can be asked for again
 * (a page's data: its query's `refetch`).
 */
export function ErrorNotice({
  error,
  title,
  onRetry,
}: {
  error: unknown;
  title?: string;
  onRetry?: (() => unknown) | undefined;
}) {
  const { t } = useTranslation();
  const message =
    consoleWorded(error, t) ??
    (error instanceof ApiProblemError ? wordedProblem(error.problem) : t("errors.unexpected"));
  return (
    <div className="notice notice-danger" role="alert">
      <strong>{title ?? t("errors.title")}</strong>
      <span>{message}</span>
      {onRetry ? (
        <span>
          <Button size="sm" onClick={() => onRetry()}>
            {t("errors.retry")}
          </Button>
        </span>
      ) : null}
    </div>
  );
}

/**
 * A form's refusal, shown here unless it is about its fields: those show on each field, and
 * the first of them is scrolled into view (a long dialog's field may be above the fold).
 */
export function FormError({ error }: { error: unknown }) {
  if (!error) return null;
  if (Object.keys(fieldErrorsOf(error)).length > 0) return <FirstFieldError key={String(error)} />;
  // Keyed by what it says: another refusal after the first is scrolled to as well.
  const said =
    error instanceof ApiProblemError ? `${error.code}:${error.problem.detail ?? ""}` : String(error);
  return (
    <Revealed key={said}>
      <ErrorNotice error={error} />
    </Revealed>
  );
}

/** Scrolls its form's first field error into view as it appears (renders nothing itself). */
function FirstFieldError() {
  const ref = useRef<HTMLSpanElement>(null);
  useEffect(() => {
    const form = ref.current?.closest("form, dialog");
    form?.querySelector(".field-error")?.scrollIntoView({ block: "nearest" });
  }, []);
  return <span ref={ref} hidden />;
}

/**
 * What a form says after its Save, scrolled into view as it appears: a long dialog's
 * refusal is below the fields, where the administrator who clicked Save does not look.
 */
export function Revealed({ children }: { children: ReactNode }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    ref.current?.scrollIntoView({ block: "nearest" });
  }, []);
  return <div ref={ref}>{children}</div>;
}

/**
 * Refusals the console words in its own language: it made the network one itself, and the
 * server's "still running" is what is left when the client's own retries (api/idempotency.ts)
 * gave up waiting.
 */
function consoleWorded(error: unknown, t: (key: string) => string): string | undefined {
  if (!(error instanceof ApiProblemError)) return undefined;
  if (error.code === "network") return t("errors.unexpected");
  if (error.code === IN_PROGRESS_CODE) return t("errors.stillRunning");
  return undefined;
}

export function Notice({
  tone = "info",
  children,
  title,
}: {
  tone?: "info" | "warning" | "danger" | "success";
  children: ReactNode;
  title?: ReactNode;
}) {
  return (
    <div
      className={`notice notice-${tone}`}
      role={tone === "danger" || tone === "warning" ? "alert" : "status"}
    >
      {title ? <strong>{title}</strong> : null}
      <span>{children}</span>
    </div>
  );
}
