import { type FormEvent, useState } from "react";
import { useTranslation } from "react-i18next";
import { ApiProblemError, fieldErrorsOf } from "../api/client";
import type { Administrator, Grant, PasswordRules, Role, SpaceWithRole } from "../api/types";
import {
  NotificationEmailFields,
  notificationEmailEdit,
  notificationEmailErrors,
} from "../app/NotificationEmails";
import { useSpace } from "../app/space";
import { useMe, useSignInMethods } from "../auth/session";
import { Badge } from "../ui/Badge";
import { Button } from "../ui/Button";
import { Card } from "../ui/Card";
import { type Column, DataTable } from "../ui/DataTable";
import { ConfirmDialog, FormDialog } from "../ui/Dialog";
import { Field, Option, TextField } from "../ui/Field";
import { useFormat } from "../ui/format";
import { RuleRef } from "../ui/RuleRef";
import { EmptyState, ErrorNotice, FormError, Loading } from "../ui/States";
import {
  useAdministrators,
  useCreateAdministrator,
  useEditAdministrator,
  usePasswordRules,
  useRemoveAdministrator,
  useSetGrants,
} from "./api";

/** A role per space, or none: what the grants editor holds. */
type Choice = Role | "none";

/** Administrators and their roles per space (PM1): listed, added, their access changed, removed. Owners only. */
export function Administrators() {
  const { t } = useTranslation();
  const { spaces } = useSpace();
  const me = useMe();
  const admins = useAdministrators();
  const remove = useRemoveAdministrator();
  const [adding, setAdding] = useState(false);
  const [editing, setEditing] = useState<Administrator>();
  const [editingDetails, setEditingDetails] = useState<Administrator>();
  const [removing, setRemoving] = useState<Administrator>();
  const f = useFormat();
  const spaceName = (id: string) => spaces.find((s) => s.id === id)?.name ?? id;
  const columns: Column<Administrator>[] = [
    { key: "login", header: t("admins.login"), render: (a) => <span className="mono">{a.login}</span> },
    { key: "name", header: t("admins.displayName"), render: (a) => a.displayName },
    {
      key: "role",
      header: t("admins.role"),
      render: (a) => (
        <span className="chips-inline">
          {a.isOwner ? (
            <Badge tone="accent">{t("admins.owner")}</Badge>
          ) : (
            <Badge>{t("admins.administrator")}</Badge>
          )}
          {a.ssoManaged ? <Badge title={t("admins.fromGroupsHelp")}>{t("admins.fromGroups")}</Badge> : null}
          {a.disabled ? <Badge tone="danger">{t("admins.disabled")}</Badge> : null}
        </span>
      ),
    },
    {
      key: "grants",
      header: t("admins.access"),
      render: (a) =>
        a.isOwner ? (
          <span className="muted">{t("admins.everySpace")}</span>
        ) : a.grants.length === 0 ? (
          <span className="muted">{t("admins.noAccess")}</span>
        ) : (
          <span className="chips-inline">
            {a.grants.map((g) => (
              <Badge key={g.spaceId} tone={g.role === "manage" ? "success" : "neutral"}>
                {t("common.labelled", { label: spaceName(g.spaceId) })} {t(`roles.${g.role}`)}
              </Badge>
            ))}
          </span>
        ),
    },
    {
      key: "email",
      header: t("admins.email"),
      render: (a) =>
        a.email ? (
          <span className="chips-inline">
            <span>{a.email}</span>
            {a.notifyByEmail ? (
              <Badge tone="info" title={t("admins.notifiedHelp")}>
                {t("admins.notified")}
              </Badge>
            ) : null}
          </span>
        ) : (
          <span className="muted">{t("admins.noEmail")}</span>
        ),
    },
    {
      key: "lastSignIn",
      header: t("admins.lastSignIn"),
      render: (a) =>
        a.lastSignInAt ? (
          f.dateTime(a.lastSignInAt)
        ) : (
          <span className="muted">{t("admins.neverSignedIn")}</span>
        ),
    },
    {
      key: "actions",
      header: t("common.actions"),
      className: "col-actions",
      render: (a) => (
        <span className="row-actions">
          <Button
            size="sm"
            onClick={() => setEditingDetails(a)}
            aria-label={t("admins.editOf", { login: a.login })}
          >
            {t("admins.edit")}
          </Button>
          {a.isOwner ? null : (
            <Button
              size="sm"
              onClick={() => setEditing(a)}
              aria-label={t("admins.editAccessOf", { login: a.login })}
            >
              {t("admins.editAccess")}
            </Button>
          )}
          {a.id === me.data?.id ? null : (
            <Button
              size="sm"
              variant="danger"
              onClick={() => setRemoving(a)}
              aria-label={t("admins.removeOf", { login: a.login })}
            >
              {t("admins.remove")}
            </Button>
          )}
        </span>
      ),
    },
  ];
  return (
    <Card
      title={t("admins.title")}
      actions={
        <Button variant="primary" size="sm" onClick={() => setAdding(true)}>
          {t("admins.add")}
        </Button>
      }
    >
      <p className="muted">{t("admins.description")}</p>
      {remove.error ? <ErrorNotice error={remove.error} /> : null}
      {admins.isPending ? (
        <Loading />
      ) : admins.isError ? (
        <ErrorNotice error={admins.error} onRetry={admins.refetch} />
      ) : (
        <DataTable
          caption={t("admins.title")}
          columns={columns}
          rows={admins.data}
          rowKey={(a) => a.id}
          empty={<EmptyState title={t("admins.emptyTitle")} />}
        />
      )}
      {adding ? <AddAdministratorDialog spaces={spaces} onClose={() => setAdding(false)} /> : null}
      {editing ? (
        <AccessDialog admin={editing} spaces={spaces} onClose={() => setEditing(undefined)} />
      ) : null}
      {editingDetails ? (
        <EditAdministratorDialog
          admin={editingDetails}
          self={editingDetails.id === me.data?.id}
          onClose={() => setEditingDetails(undefined)}
        />
      ) : null}
      <ConfirmDialog
        open={removing !== undefined}
        danger
        title={t("admins.removeTitle", { login: removing?.login ?? "" })}
        confirmLabel={t("admins.remove")}
        busy={remove.isPending}
        onClose={() => setRemoving(undefined)}
        onConfirm={() => removing && remove.mutate(removing.id, { onSuccess: () => setRemoving(undefined) })}
      >
        <ul className="consequences">
          <li>{t("admins.removeSignedOut")}</li>
          <li>{t("admins.removeRoles")}</li>
          <li>{t("admins.removeTokens")}</li>
        </ul>
      </ConfirmDialog>
    </Card>
  );
}

/** The grants editor's state from a list of grants, and back (spaces with no role are left out). */
const choicesOf = (grants: readonly Grant[]) =>
  new Map<string, Choice>(grants.map((g) => [g.spaceId, g.role]));
const grantsOf = (choices: ReadonlyMap<string, Choice>): Grant[] =>
  [...choices].flatMap(([spaceId, role]) => (role === "none" ? [] : [{ spaceId, role }]));

/** One role per space: none, read-only or App and content management (PM1). */
function GrantsEditor({
  spaces,
  choices,
  onChange,
  error,
}: {
  spaces: SpaceWithRole[];
  choices: ReadonlyMap<string, Choice>;
  onChange: (choices: Map<string, Choice>) => void;
  error?: string | undefined;
}) {
  const { t } = useTranslation();
  return (
    <fieldset className="grants-editor">
      <legend className="field-label">{t("admins.rolePerSpace")}</legend>
      {spaces.map((s) => (
        <Field key={s.id} label={s.name}>
          {(p) => (
            <select
              {...p}
              name={`role-${s.id}`}
              className="select"
              value={choices.get(s.id) ?? "none"}
              onChange={(e) => {
                const value = e.target.value;
                const next = new Map(choices);
                next.set(s.id, value === "manage" || value === "read" ? value : "none");
                onChange(next);
              }}
            >
              <option value="none">{t("admins.noRole")}</option>
              <option value="read">{t("roles.read")}</option>
              <option value="manage">{t("roles.manage")}</option>
            </select>
          )}
        </Field>
      ))}
      {error ? (
        <div className="field-error" role="alert">
          {error}
        </div>
      ) : null}
    </fieldset>
  );
}

/** The server's words for its own refusals, in the console's language where the code is known. */
function adminFieldErrors(
  error: unknown,
  rules: PasswordRules | undefined,
  t: (key: string, options?: Record<string, unknown>) => string,
): Record<string, string> {
  const errors = notificationEmailErrors(error, t);
  if (error instanceof ApiProblemError) {
    if (error.code === "weak_password" && rules)
      errors.password = t("admins.form.passwordTooShort", { min: rules.minLength });
  }
  return errors;
}

/** NT3: an administrator's address and notification e-mails, as an owner sets them in both dialogs. */
function AdministratorEmailFields(
  props: Pick<
    Parameters<typeof NotificationEmailFields>[0],
    "email" | "onEmail" | "notify" | "onNotify" | "errors"
  >,
) {
  const { t } = useTranslation();
  return (
    <NotificationEmailFields
      {...props}
      label={t("admins.form.email")}
      notifyLabel={t("admins.form.notify")}
      notifyHelp={t("admins.form.notifyHelp")}
      autoComplete="off"
    />
  );
}

function AddAdministratorDialog({ spaces, onClose }: { spaces: SpaceWithRole[]; onClose: () => void }) {
  const { t } = useTranslation();
  const create = useCreateAdministrator();
  const rules = usePasswordRules();
  // With single sign-on, a password is optional: without one, the provider alone signs them in.
  const sso = useSignInMethods().data?.sso === true;
  const [login, setLogin] = useState("");
  const [displayName, setDisplayName] = useState("");
  const [password, setPassword] = useState("");
  const [email, setEmail] = useState("");
  const [notify, setNotify] = useState(false);
  const [isOwner, setIsOwner] = useState(false);
  const [choices, setChoices] = useState<Map<string, Choice>>(new Map());
  const [submitted, setSubmitted] = useState(false);
  const errors = adminFieldErrors(create.error, rules.data, t);
  const loginError = submitted && !login.trim() ? t("admins.form.loginRequired") : errors.login;
  // Said with the server's other refusals (an e-mail address), not one submit later.
  const min = rules.data?.minLength ?? 0;
  const passwordError =
    submitted && !(sso && password === "") && password.length < min
      ? t("admins.form.passwordTooShort", { min })
      : errors.password;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setSubmitted(true);
    if (!login.trim()) return;
    create.mutate(
      {
        login: login.trim(),
        ...(displayName.trim() ? { displayName: displayName.trim() } : {}),
        ...(sso && password === "" ? {} : { password }),
        ...(email.trim() ? { email: email.trim(), ...(notify ? { notifyByEmail: true } : {}) } : {}),
        isOwner,
        grants: isOwner ? [] : grantsOf(choices),
      },
      { onSuccess: onClose },
    );
  };
  return (
    <FormDialog
      title={t("admins.form.addTitle")}
      onClose={onClose}
      onSubmit={submit}
      busy={create.isPending}
      submitLabel={t("admins.add")}
      wide
    >
      <TextField
        label={t("admins.login")}
        error={loginError}
        name="login"
        autoComplete="off"
        value={login}
        onChange={setLogin}
      />
      <TextField
        label={t("admins.displayName")}
        hint={t("admins.form.displayNameHint")}
        error={errors.displayName}
        name="displayName"
        value={displayName}
        onChange={setDisplayName}
      />
      <TextField
        label={t("admins.form.password")}
        hint={
          [
            sso ? t("admins.form.passwordSsoHint") : "",
            rules.data
              ? t("admins.form.passwordRules", { min: rules.data.minLength, max: rules.data.maxLength })
              : "",
          ]
            .filter(Boolean)
            .join(" ") || undefined
        }
        error={passwordError}
        name="password"
        type="password"
        autoComplete="new-password"
        value={password}
        onChange={setPassword}
      />
      <AdministratorEmailFields
        email={email}
        onEmail={setEmail}
        notify={notify}
        onNotify={setNotify}
        errors={errors}
      />
      <Option
        name="isOwner"
        checked={isOwner}
        onChange={setIsOwner}
        label={t("admins.form.owner")}
        description={t("admins.form.ownerHelp")}
      />
      {isOwner ? null : (
        <GrantsEditor spaces={spaces} choices={choices} onChange={setChoices} error={errors.grants} />
      )}
      <FormError error={create.error} />
      <p className="footnote">
        <RuleRef id="PM1" />
      </p>
    </FormDialog>
  );
}

/**
 * Display name, owner or not, a new password (a reset: their sessions end; empty = unchanged),
 * and their notification e-mails (NT3).
 */
function EditAdministratorDialog({
  admin,
  self,
  onClose,
}: {
  admin: Administrator;
  self: boolean;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const edit = useEditAdministrator();
  const rules = usePasswordRules();
  const [displayName, setDisplayName] = useState(admin.displayName);
  const [isOwner, setIsOwner] = useState(admin.isOwner);
  const [password, setPassword] = useState("");
  const [unlinkSso, setUnlinkSso] = useState(false);
  const [disabled, setDisabled] = useState(admin.disabled);
  const [email, setEmail] = useState(admin.email ?? "");
  const [notify, setNotify] = useState(admin.notifyByEmail);
  const errors = adminFieldErrors(edit.error, rules.data, t);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    edit.mutate(
      {
        adminId: admin.id,
        displayName,
        ...(isOwner === admin.isOwner ? {} : { isOwner }),
        ...(password ? { password } : {}),
        ...(unlinkSso ? { unlinkSso: true as const } : {}),
        ...(disabled === admin.disabled ? {} : { disabled }),
        ...notificationEmailEdit(admin, email, notify),
      },
      { onSuccess: onClose },
    );
  };
  return (
    <FormDialog
      title={t("admins.form.editTitle", { login: admin.login })}
      onClose={onClose}
      onSubmit={submit}
      busy={edit.isPending}
    >
      <TextField
        label={t("admins.displayName")}
        error={errors.displayName}
        name="displayName"
        value={displayName}
        onChange={setDisplayName}
      />
      <Option
        name="isOwner"
        checked={isOwner}
        onChange={setIsOwner}
        disabled={self && admin.isOwner}
        label={t("admins.form.owner")}
        description={
          self && admin.isOwner
            ? t("admins.form.cannotDemoteSelf")
            : admin.ssoManaged
              ? `${t("admins.form.ownerHelp")} ${t("admins.fromGroupsHelp")}`
              : t("admins.form.ownerHelp")
        }
      />
      {errors.isOwner ? (
        <div className="field-error" role="alert">
          {errors.isOwner}
        </div>
      ) : null}
      {admin.ssoManaged ? null : (
        <TextField
          label={t("admins.form.newPassword")}
          hint={
            rules.data
              ? `${t("admins.form.newPasswordHint")} ${t("admins.form.passwordRules", { min: rules.data.minLength, max: rules.data.maxLength })}`
              : t("admins.form.newPasswordHint")
          }
          error={errors.password}
          name="password"
          type="password"
          autoComplete="new-password"
          value={password}
          onChange={setPassword}
        />
      )}
      <AdministratorEmailFields
        email={email}
        onEmail={setEmail}
        notify={notify}
        onNotify={setNotify}
        errors={errors}
      />
      {admin.ssoLinked ? (
        <Option
          name="unlinkSso"
          checked={unlinkSso}
          onChange={setUnlinkSso}
          label={t("admins.form.unlinkSso")}
          description={t("admins.form.unlinkSsoHelp")}
        />
      ) : null}
      {self ? null : (
        <Option
          name="disabled"
          checked={disabled}
          onChange={setDisabled}
          label={t("admins.form.disabled")}
          description={t("admins.form.disabledHelp")}
        />
      )}
      <FormError error={edit.error} />
      <p className="footnote">
        <RuleRef id="PM1" />
      </p>
    </FormDialog>
  );
}

function AccessDialog({
  admin,
  spaces,
  onClose,
}: {
  admin: Administrator;
  spaces: SpaceWithRole[];
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const save = useSetGrants();
  const [choices, setChoices] = useState(() => choicesOf(admin.grants));
  const errors = fieldErrorsOf(save.error);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate({ adminId: admin.id, grants: grantsOf(choices) }, { onSuccess: onClose });
  };
  return (
    <FormDialog
      title={t("admins.form.accessTitle", { login: admin.login })}
      onClose={onClose}
      onSubmit={submit}
      busy={save.isPending}
    >
      {admin.ssoManaged ? <p className="muted">{t("admins.fromGroupsHelp")}</p> : null}
      <GrantsEditor spaces={spaces} choices={choices} onChange={setChoices} error={errors.grants} />
      <FormError error={save.error} />
      <p className="footnote">
        <RuleRef id="PM1" />
      </p>
    </FormDialog>
  );
}
