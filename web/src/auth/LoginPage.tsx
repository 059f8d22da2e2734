import { type FormEvent, useState } from "react";
import { useTranslation } from "react-i18next";
import { useNavigate, useSearchParams } from "react-router";
import { API_BASE, ApiProblemError, fieldErrorsOf } from "../api/client";
import { chooseLanguageSignedOut } from "../i18n";
import { Button } from "../ui/Button";
import { Field } from "../ui/Field";
import { ErrorNotice } from "../ui/States";
import { consolePage } from "./next-page";
import { useLogin, useSignInMethods } from "./session";

/** Why single sign-on sent the browser back here (src/auth/sso.ts `SsoFailure`). */
const SSO_FAILURES = new Set([
  "expired",
  "refused",
  "provider_unreachable",
  "invalid_response",
  "claim_missing",
  "email_unverified",
  "no_administrator",
  "another_account",
  "no_role",
  "server_error",
]);

export function LoginPage() {
  const { t, i18n } = useTranslation();
  const navigate = useNavigate();
  const login = useLogin();
  const methods = useSignInMethods().data ?? { password: true, sso: false };
  // Where single sign-on sends the browser back when it did not finish (src/api/routes/sso.routes.ts).
  const [params] = useSearchParams();
  const ssoError = params.get("sso_error");
  // The console's page they were going to (an e-mail's link), once signed in.
  const next = consolePage(params.get("next"));
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const errors = fieldErrorsOf(login.error);
  const wrong = login.error instanceof ApiProblemError && login.error.status === 401;
  const limited = login.error instanceof ApiProblemError && login.error.status === 429;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    login.mutate({ login: name, password }, { onSuccess: () => navigate(next ?? "/") });
  };
  return (
    <div className="login-page">
      <form className="login-card" onSubmit={submit}>
        <div className="brand brand-login">
          <svg viewBox="0 0 32 32" width="34" height="34" aria-hidden="true">
            <circle cx="16" cy="18" r="11" fill="#2f7d4f" />
            <path d="M16 7c1-4 5-5 7-4-1 3-4 4-7 4z" fill="#7cc596" />
          </svg>
          <span className="brand-name">Orchard</span>
        </div>
        <h1 className="login-title">{t("login.title")}</h1>
        <p className="muted">{t("login.subtitle")}</p>
        {ssoError ? (
          <div className="notice notice-danger" role="alert">
            {t(`login.ssoErrors.${SSO_FAILURES.has(ssoError) ? ssoError : "other"}`)}
          </div>
        ) : null}
        {methods.sso ? (
          <>
            {/* A navigation, not a fetch: the identity provider's pages come next. */}
            <a
              className="btn btn-primary btn-block"
              href={`${API_BASE}/auth/sso/start${next ? `?next=${encodeURIComponent(next)}` : ""}`}
            >
              {t("login.sso")}
            </a>
            <p className="muted login-or">{methods.password ? t("login.or") : t("login.ssoOnly")}</p>
          </>
        ) : null}
        {methods.password ? (
          <>
            <Field label={t("login.login")} error={errors.login}>
              {(p) => (
                <input
                  {...p}
                  name="login"
                  className="input"
                  autoComplete="username"
                  value={name}
                  onChange={(e) => setName(e.target.value)}
                  required
                />
              )}
            </Field>
            <Field label={t("login.password")} error={errors.password}>
              {(p) => (
                <input
                  {...p}
                  name="password"
                  type="password"
                  className="input"
                  autoComplete="current-password"
                  value={password}
                  onChange={(e) => setPassword(e.target.value)}
                  required
                />
              )}
            </Field>
            {wrong ? (
              <div className="notice notice-danger" role="alert">
                {t("login.wrong")}
              </div>
            ) : null}
            {limited ? (
              <div className="notice notice-warning" role="alert">
                {t("login.limited")}
              </div>
            ) : null}
            {login.error && !wrong && !limited && Object.keys(errors).length === 0 ? (
              <ErrorNotice error={login.error} />
            ) : null}
            <Button
              variant={methods.sso ? "secondary" : "primary"}
              type="submit"
              busy={login.isPending}
              className="btn-block"
            >
              {t("login.submit")}
            </Button>
          </>
        ) : null}
        <fieldset className="lang-switch lang-login" aria-label={t("top.language")}>
          {(["en", "fr"] as const).map((lng) => (
            <button
              key={lng}
              type="button"
              aria-pressed={i18n.language === lng}
              className={i18n.language === lng ? "active" : ""}
              onClick={() => chooseLanguageSignedOut(lng)}
            >
              {lng.toUpperCase()}
            </button>
          ))}
        </fieldset>
      </form>
    </div>
  );
}
