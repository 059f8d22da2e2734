import { type FormEvent, useState } from "react";
import { useTranslation } from "react-i18next";
import { ApiProblemError, fieldErrorsOf } from "../api/client";
import type { Me } from "../api/types";
import { useMe, useSetNotificationEmails, useSignInMethods } from "../auth/session";
import { FormDialog } from "../ui/Dialog";
import { Option, TextField } from "../ui/Field";
import { FormError, Notice } from "../ui/States";

type Translate = (key: string, options?: Record<string, unknown>) => string;

/**
 * NT3: a form's field errors, with the server's refusal of the e-mails without an address
 * (`email_needed`, on `body.notifyByEmail`) in the console's language.
 */
export function notificationEmailErrors(error: unknown, t: Translate): Record<string, string> {
  const errors = fieldErrorsOf(error);
  if (error instanceof ApiProblemError && error.code === "email_needed")
    errors.notifyByEmail = t("notificationEmails.needed");
  return errors;
}

/**
 * What changed of an administrator's notification e-mails, as PATCH /auth/me and PATCH
 * /admins/:adminId take it: the address trimmed (empty: null, none), and the e-mails only
 * with an address. Nothing that did not change.
 */
export function notificationEmailEdit(
  before: { email?: string | undefined; notifyByEmail?: boolean | undefined },
  email: string,
  notify: boolean,
): { email?: string | null; notifyByEmail?: boolean } {
  const address = email.trim();
  const wanted = notify && address !== "";
  return {
    ...(address === (before.email ?? "") ? {} : { email: address === "" ? null : address }),
    ...(wanted === (before.notifyByEmail ?? false) ? {} : { notifyByEmail: wanted }),
  };
}

/**
 * An e-mail address, and the checkbox asking for the notification e-mails: usable once there
 * is an address. A server that sends no e-mails says so (the wish is kept for when it does).
 */
export function NotificationEmailFields({
  label,
  email,
  onEmail,
  notifyLabel,
  notifyHelp,
  notify,
  onNotify,
  errors,
  autoComplete,
}: {
  label: string;
  email: string;
  onEmail: (email: string) => void;
  notifyLabel: string;
  notifyHelp: string;
  notify: boolean;
  onNotify: (notify: boolean) => void;
  errors: Record<string, string>;
  autoComplete: string;
}) {
  const { t } = useTranslation();
  // Single sign-on replaces the address with the provider's, when the provider gives one.
  const sso = useSignInMethods().data?.sso === true;
  const serverSends = useMe().data?.emailNotifications !== false;
  const hasAddress = email.trim() !== "";
  return (
    <>
      {serverSends ? null : <Notice>{t("notificationEmails.serverOff")}</Notice>}
      <TextField
        label={label}
        hint={sso ? t("notificationEmails.ssoHint") : undefined}
        error={errors.email}
        name="email"
        type="email"
        autoComplete={autoComplete}
        value={email}
        onChange={onEmail}
      />
      <Option
        name="notifyByEmail"
        checked={notify && hasAddress}
        onChange={onNotify}
        disabled={!hasAddress}
        label={notifyLabel}
        description={hasAddress ? notifyHelp : t("notificationEmails.needsAddress")}
      />
      {errors.notifyByEmail ? (
        <div className="field-error" role="alert">
          {errors.notifyByEmail}
        </div>
      ) : null}
    </>
  );
}

/**
 * NT3, from the user menu: any administrator's own address, and whether they receive the
 * notifications of their spaces by e-mail (PATCH /auth/me). A server that sends no e-mails
 * says so; the wish is kept for when it does.
 */
export function NotificationEmailsDialog({ me, onClose }: { me: Me; onClose: () => void }) {
  const { t } = useTranslation();
  const save = useSetNotificationEmails();
  const [email, setEmail] = useState(me.email ?? "");
  const [notify, setNotify] = useState(me.notifyByEmail === true);
  const errors = notificationEmailErrors(save.error, t);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const edit = notificationEmailEdit(me, email, notify);
    if (Object.keys(edit).length === 0) onClose();
    else save.mutate(edit, { onSuccess: onClose });
  };
  return (
    <FormDialog
      title={t("notificationEmails.title")}
      onClose={onClose}
      onSubmit={submit}
      busy={save.isPending}
    >
      <p className="muted">{t("notificationEmails.intro")}</p>
      <NotificationEmailFields
        label={t("notificationEmails.email")}
        email={email}
        onEmail={setEmail}
        notifyLabel={t("notificationEmails.notifyMe")}
        notifyHelp={t("notificationEmails.notifyMeHelp")}
        notify={notify}
        onNotify={setNotify}
        errors={errors}
        autoComplete="email"
      />
      <FormError error={save.error} />
    </FormDialog>
  );
}
