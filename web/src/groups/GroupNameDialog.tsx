import { type FormEvent, useState } from "react";
import { useTranslation } from "react-i18next";
import { fieldErrorsOf } from "../api/client";
import { FormDialog } from "../ui/Dialog";
import { TextField } from "../ui/Field";
import { FormError } from "../ui/States";

/**
 * A group's name, for a new group or a rename (pre-filled): required, trimmed; the API's
 * field errors show on the field, any other refusal under it.
 */
export function GroupNameDialog({
  title,
  submitLabel,
  initial = "",
  busy,
  error,
  onSubmit,
  onClose,
}: {
  title: string;
  submitLabel: string;
  initial?: string;
  busy: boolean;
  error: unknown;
  onSubmit: (name: string) => void;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const [name, setName] = useState(initial);
  const [submitted, setSubmitted] = useState(false);
  const missing = submitted && !name.trim();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setSubmitted(true);
    if (name.trim()) onSubmit(name.trim());
  };
  return (
    <FormDialog title={title} onClose={onClose} onSubmit={submit} busy={busy} submitLabel={submitLabel}>
      <TextField
        label={t("groups.name")}
        error={missing ? t("groups.nameRequired") : fieldErrorsOf(error, "group").name}
        name="name"
        autoComplete="off"
        maxLength={300}
        value={name}
        onChange={setName}
      />
      <FormError error={error} />
    </FormDialog>
  );
}
