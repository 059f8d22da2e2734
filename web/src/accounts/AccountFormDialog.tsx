import { type FormEvent, useState } from "react";
import { useTranslation } from "react-i18next";
import { ApiProblemError, fieldErrorsOf } from "../api/client";
import type { Account, AddedAccount } from "../api/types";
import { useSpace } from "../app/space";
import { FormDialog } from "../ui/Dialog";
import { Field, Option, TextField } from "../ui/Field";
import { RuleRef } from "../ui/RuleRef";
import { FormError, Notice } from "../ui/States";
import { useAddAccount, useUpdateAccount } from "./api";

/** AC1 (add) and AC2 (update, pre-filled with the account's current values). */
export function AccountFormDialog({
  account,
  onClose,
}: {
  account?: Account;
  /** With the added account when its first import from Apple failed (it stays; the next sync imports it). */
  onClose: (importFailed?: AddedAccount) => void;
}) {
  const { t } = useTranslation();
  const { spaceId } = useSpace();
  const add = useAddAccount(spaceId);
  const update = useUpdateAccount(spaceId, account?.id ?? "");
  const mutation = account ? update : add;
  const [name, setName] = useState(account?.displayName ?? "");
  const [file, setFile] = useState<File>();
  const [autoDistribute, setAutoDistribute] = useState(account?.autoDistribute ?? true);
  const [clearPrevious, setClearPrevious] = useState(false);
  // Releasing every assignment of the token at Apple cannot be undone: ticked twice.
  const [clearConfirmed, setClearConfirmed] = useState(false);
  const [takeOver, setTakeOver] = useState(false);
  const errors = fieldErrorsOf(mutation.error, "account");
  const ownedElsewhere =
    mutation.error instanceof ApiProblemError && mutation.error.code === "token_owned_by_other_mdm";
  const localErrors: Record<string, string> = {};
  const [submitted, setSubmitted] = useState(false);
  if (submitted && !name.trim()) localErrors.name = t("accounts.form.nameRequired");
  if (submitted && !account && !file) localErrors.sToken = t("accounts.form.fileRequired");
  const clearUnconfirmed = clearPrevious && !clearConfirmed;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setSubmitted(true);
    if (!name.trim() || (!account && !file) || clearUnconfirmed) return;
    const input = { name: name.trim(), file, autoDistribute, clearPrevious, takeOver };
    if (account) update.mutate(input, { onSuccess: () => onClose() });
    else
      add.mutate(input, {
        onSuccess: (added) => onClose(added.firstImport.state === "failed" ? added : undefined),
      });
  };

  return (
    <FormDialog
      title={
        account ? t("accounts.form.updateTitle", { name: account.displayName }) : t("accounts.form.addTitle")
      }
      onClose={() => onClose()}
      onSubmit={submit}
      busy={mutation.isPending}
      submitLabel={account ? t("common.save") : t("accounts.add")}
      wide
    >
      <TextField
        label={t("accounts.form.name")}
        hint={t("accounts.form.nameHint")}
        error={localErrors.name ?? errors.name}
        name="name"
        value={name}
        onChange={setName}
      />
      <Field
        label={account ? t("accounts.form.newFile") : t("accounts.form.file")}
        hint={account ? t("accounts.form.newFileHint") : t("accounts.form.fileHint")}
        error={localErrors.sToken ?? errors.sToken}
      >
        {(p) => (
          <input
            {...p}
            name="sToken"
            type="file"
            accept=".vpptoken,.stoken,text/plain"
            className="input-file"
            onChange={(e) => setFile(e.target.files?.[0])}
          />
        )}
      </Field>
      <Option
        name="autoDistribute"
        checked={autoDistribute}
        onChange={setAutoDistribute}
        label={t("accounts.form.autoDistribute")}
        description={t("accounts.form.autoDistributeHelp")}
      />
      <Option
        name="clearPrevious"
        checked={clearPrevious}
        onChange={(checked) => {
          setClearPrevious(checked);
          if (!checked) setClearConfirmed(false);
        }}
        label={t("accounts.form.clearPrevious")}
        description={t("accounts.form.clearPreviousHelp")}
      />
      {clearPrevious ? (
        <>
          <Notice tone="warning">{t("accounts.form.clearPreviousWarning")}</Notice>
          <Option
            name="clearPreviousConfirmed"
            checked={clearConfirmed}
            onChange={setClearConfirmed}
            label={t("accounts.form.clearPreviousConfirm")}
          />
          {submitted && clearUnconfirmed ? (
            <div className="field-error" role="alert">
              {t("accounts.form.clearPreviousConfirmRequired")}
            </div>
          ) : null}
        </>
      ) : null}
      {ownedElsewhere || takeOver ? (
        <Option
          name="takeOver"
          checked={takeOver}
          onChange={setTakeOver}
          label={t("accounts.form.takeOver")}
          description={t("accounts.form.takeOverHelp")}
        />
      ) : null}
      <FormError error={mutation.error} />
      <p className="footnote">
        <RuleRef id={account ? "AC2" : "AC1"} />
      </p>
    </FormDialog>
  );
}
