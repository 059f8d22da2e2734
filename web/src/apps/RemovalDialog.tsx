import type { ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { useSpace } from "../app/space";
import { ConfirmDialog } from "../ui/Dialog";
import { RuleRef } from "../ui/RuleRef";
import { ErrorNotice, Loading } from "../ui/States";
import { useRemovalPreview } from "./catalog-api";

/**
 * PB1, PB2: "are you sure?" before the app leaves a catalog (deleted from this space's, or
 * undelegated from other spaces'): how many iOS devices get a remove command and how many
 * licenses are revoked, counted by the API now, then the rule in words. Should the count
 * fail, the rule's words still say what happens and the removal can go on.
 */
export function RemovalDialog({
  adamId,
  undelegate,
  title,
  confirmLabel,
  rule,
  busy,
  error,
  onConfirm,
  onClose,
}: {
  adamId: string;
  /** The spaces losing the delegation; absent: the app is deleted from this space's catalog. */
  undelegate?: string[];
  title: string;
  confirmLabel: string;
  /** What the rule does here, in words. */
  rule: ReactNode;
  busy: boolean;
  error: unknown;
  onConfirm: () => void;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const { spaceId } = useSpace();
  const preview = useRemovalPreview(spaceId, adamId, undelegate);
  return (
    <ConfirmDialog
      open
      danger
      title={title}
      confirmLabel={confirmLabel}
      busy={busy}
      confirmDisabled={preview.isPending}
      onConfirm={onConfirm}
      onClose={onClose}
    >
      {preview.isPending ? (
        <Loading label={t("catalog.counting")} />
      ) : preview.isError ? (
        <ErrorNotice error={preview.error} title={t("catalog.countFailed")} onRetry={preview.refetch} />
      ) : (
        <ul className="name-list" data-testid="removal-preview">
          <li>
            <strong>
              {preview.data.devices === 0
                ? t("catalog.noRemoveCommand")
                : t("catalog.removeCommands", { count: preview.data.devices })}
            </strong>
          </li>
          <li>
            {preview.data.licenses === 0
              ? t("catalog.noLicenseRevoked")
              : t("catalog.licensesRevoked", { count: preview.data.licenses })}
          </li>
        </ul>
      )}
      <p>{rule}</p>
      {error ? <ErrorNotice error={error} /> : null}
      <p className="footnote">
        <RuleRef id="PB1" /> <RuleRef id="PB2" />
      </p>
    </ConfirmDialog>
  );
}
