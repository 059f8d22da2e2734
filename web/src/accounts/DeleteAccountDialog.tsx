import { useState } from "react";
import { useTranslation } from "react-i18next";
import { fieldErrorsOf } from "../api/client";
import type { Account, AccountDeleted } from "../api/types";
import { useSpace } from "../app/space";
import { ConfirmDialog } from "../ui/Dialog";
import { TextField } from "../ui/Field";
import { useFormat } from "../ui/format";
import { RuleRef } from "../ui/RuleRef";
import { ErrorNotice, Notice } from "../ui/States";
import { useDeleteAccount, useDeletionPreview } from "./api";

/** Healths in which Apple refuses the token (NT2): a deletion then releases nothing at Apple. */
const DEAD_TOKEN = new Set<Account["health"]>(["expired", "revoked", "invalid", "login_required"]);

/**
 * AC5: irreversible, so confirmed twice: the consequences, counted for this account (how
 * many licenses Apple releases, which rules go), then the account's name typed.
 */
export function DeleteAccountDialog({
  account,
  onClose,
}: {
  account: Account;
  /** With what the deletion did, once it is done. */
  onClose: (deleted?: AccountDeleted) => void;
}) {
  const { t } = useTranslation();
  const f = useFormat();
  const { spaceId } = useSpace();
  const remove = useDeleteAccount(spaceId);
  const preview = useDeletionPreview(spaceId, account.id);
  const counts = preview.data;
  const [step, setStep] = useState<1 | 2>(1);
  const [typed, setTyped] = useState("");
  const errors = fieldErrorsOf(remove.error);
  if (step === 1) {
    return (
      <ConfirmDialog
        open
        danger
        title={t("accounts.delete.title", { name: account.displayName })}
        confirmLabel={t("common.continue")}
        onConfirm={() => setStep(2)}
        onClose={() => onClose()}
      >
        {/* A token Apple refuses cannot release anything at Apple: the deletion goes on without it. */}
        {DEAD_TOKEN.has(account.health) ? (
          <Notice tone="warning">{t("accounts.delete.tokenProblem")}</Notice>
        ) : null}
        <p>{t("accounts.delete.intro")}</p>
        <ul className="consequences">
          <li>{t("accounts.delete.rules")}</li>
          <li>{t("accounts.delete.released")}</li>
          {/* RV3, AC5: the users' 30 days, when the account gave user-based licenses. */}
          {counts?.licenses.user === 0 ? null : <li>{t("accounts.delete.grace")}</li>}
          <li>{t("accounts.delete.kept")}</li>
          <li>{t("accounts.delete.catalog")}</li>
        </ul>
        {counts ? (
          <dl className="details deletion-counts" data-testid="deletion-preview">
            <dt>{t("accounts.delete.licenses")}</dt>
            <dd>
              {t("accounts.delete.licensesCount", {
                total: f.number(counts.licenses.user + counts.licenses.device),
                user: f.number(counts.licenses.user),
                device: f.number(counts.licenses.device),
              })}
            </dd>
            <dt>{t("accounts.delete.appsWithRules")}</dt>
            <dd>{f.number(counts.appsWithRules)}</dd>
            <dt>{t("accounts.delete.reservedUsers")}</dt>
            <dd>{f.number(counts.reservedUsers)}</dd>
            <dt>{t("accounts.delete.reservedDevices")}</dt>
            <dd>{f.number(counts.reservedDevices)}</dd>
            <dt>{t("accounts.delete.prohibited")}</dt>
            <dd>{f.number(counts.prohibitedUsers)}</dd>
            <dt>{t("accounts.delete.appsKept")}</dt>
            <dd>{f.number(counts.apps)}</dd>
          </dl>
        ) : preview.isError ? (
          <ErrorNotice error={preview.error} />
        ) : null}
        <RuleRef id="AC5" />
      </ConfirmDialog>
    );
  }
  return (
    <ConfirmDialog
      open
      danger
      title={t("accounts.delete.confirmTitle")}
      confirmLabel={t("accounts.delete.confirm")}
      busy={remove.isPending}
      confirmDisabled={typed !== account.displayName}
      onConfirm={() => remove.mutate({ accountId: account.id, confirm: typed }, { onSuccess: onClose })}
      onClose={() => onClose()}
    >
      {counts ? (
        <p>{t("accounts.delete.releasing", { count: counts.licenses.user + counts.licenses.device })}</p>
      ) : null}
      <TextField
        label={t("accounts.delete.typeName", { name: account.displayName })}
        error={errors.confirm}
        name="confirm"
        autoComplete="off"
        value={typed}
        onChange={setTyped}
      />
      {remove.error && !errors.confirm ? <ErrorNotice error={remove.error} /> : null}
    </ConfirmDialog>
  );
}
