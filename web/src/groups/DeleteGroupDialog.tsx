import { useState } from "react";
import { useTranslation } from "react-i18next";
import { fieldErrorsOf } from "../api/client";
import { useSpace } from "../app/space";
import { ConfirmDialog } from "../ui/Dialog";
import { TextField } from "../ui/Field";
import { RuleRef } from "../ui/RuleRef";
import { ErrorNotice } from "../ui/States";
import { type GroupView, inUseOf, useDeleteGroup } from "./api";
import { RuleUses } from "./RuleUses";

/**
 * DI1: deletes a group. One no rule uses is confirmed once; one that license rules use
 * names them and asks for the group's name typed, sent as `confirm`. Rules that came to
 * use it since the page was read are named by the API's refusal (409 `group_in_use`),
 * and the dialog asks for the name then.
 */
export function DeleteGroupDialog({
  group,
  onClose,
  onDeleted,
}: {
  group: GroupView;
  onClose: () => void;
  onDeleted: () => void;
}) {
  const { t } = useTranslation();
  const { spaceId } = useSpace();
  const remove = useDeleteGroup(spaceId, group.id);
  const [typed, setTyped] = useState("");
  const refused = inUseOf(remove.error);
  const usedBy = refused ?? group.usedBy;
  const errors = fieldErrorsOf(remove.error);
  const otherError = remove.error && !refused && !errors.confirm ? remove.error : undefined;
  if (usedBy.total === 0) {
    return (
      <ConfirmDialog
        open
        danger
        title={t("groups.deleteTitle", { name: group.name })}
        confirmLabel={t("groups.deleteConfirm")}
        busy={remove.isPending}
        onConfirm={() => remove.mutate(undefined, { onSuccess: onDeleted })}
        onClose={onClose}
      >
        <p>{t("groups.deleteText")}</p>
        {otherError ? <ErrorNotice error={otherError} /> : null}
      </ConfirmDialog>
    );
  }
  return (
    <ConfirmDialog
      open
      danger
      title={t("groups.inUseTitle", { name: group.name, count: usedBy.total })}
      confirmLabel={t("groups.deleteConfirm")}
      busy={remove.isPending}
      confirmDisabled={typed !== group.name}
      onConfirm={() => remove.mutate(typed, { onSuccess: onDeleted })}
      onClose={onClose}
    >
      <p>{t("groups.inUseText")}</p>
      <RuleUses usedBy={usedBy} shown={usedBy.rules.length} />
      <TextField
        label={t("groups.typeName", { name: group.name })}
        error={errors.confirm}
        name="confirm"
        autoComplete="off"
        value={typed}
        onChange={setTyped}
      />
      {otherError ? <ErrorNotice error={otherError} /> : null}
      <p className="footnote">
        <RuleRef id="DI1" /> <RuleRef id="DI7" />
      </p>
    </ConfirmDialog>
  );
}
