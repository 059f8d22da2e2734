import { useState } from "react";
import { useTranslation } from "react-i18next";
import { fieldErrorsOf } from "../api/client";
import type { Account } from "../api/types";
import { useSpace } from "../app/space";
import { ConfirmDialog } from "../ui/Dialog";
import { TextField } from "../ui/Field";
import { RuleRef } from "../ui/RuleRef";
import { ErrorNotice } from "../ui/States";
import { useDeleteAccount } from "./api";

/** AC5: irreversible, so confirmed twice: the consequences, then the account's name typed. */
export function DeleteAccountDialog({ account, onClose }: { account: Account; onClose: () => void }) {
  const { t } = useTranslation();
  const { spaceId } = useSpace();
  const remove = useDeleteAccount(spaceId);
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
        onClose={onClose}
      >
        <p>{t("accounts.delete.intro")}</p>
        <ul className="consequences">
          <li>{t("accounts.delete.rules")}</li>
          <li>{t("accounts.delete.released")}</li>
          <li>{t("accounts.delete.grace")}</li>
          <li>{t("accounts.delete.catalog")}</li>
        </ul>
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
      onClose={onClose}
    >
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
