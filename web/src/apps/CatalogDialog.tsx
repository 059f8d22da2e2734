import { type FormEvent, useState } from "react";
import { useTranslation } from "react-i18next";
import { fieldErrorsOf } from "../api/client";
import { useSpace } from "../app/space";
import { Dialog, FormDialog } from "../ui/Dialog";
import { Field, Option } from "../ui/Field";
import { RuleRef } from "../ui/RuleRef";
import { ErrorNotice, Loading } from "../ui/States";
import {
  type CatalogEntry,
  type CatalogOptions,
  UPDATE_MODES,
  type UpdateMode,
  useCatalogEntry,
  useSaveCatalogApp,
} from "./catalog-api";

/**
 * CA1, CA3, DB4: adds a bought app to the space's catalog, or changes its options: "Install
 * on device" (mandatory), the update mode and the description. An app taken out before comes
 * back with the options it had.
 */
export function CatalogDialog({
  adamId,
  name,
  onClose,
  onSaved,
}: {
  adamId: string;
  /** The app's name as the store knows it: the catalog entry takes it when it has none. */
  name?: string | undefined;
  onClose: () => void;
  onSaved?: (entry: CatalogEntry) => void;
}) {
  const { t } = useTranslation();
  const { spaceId } = useSpace();
  const entry = useCatalogEntry(spaceId, adamId);
  const title = (adding: boolean) =>
    t(adding ? "catalog.addTitle" : "catalog.optionsTitle", { name: name ?? adamId });
  if (entry.isPending || entry.isError) {
    return (
      <Dialog open title={title(true)} onClose={onClose}>
        {entry.isError ? <ErrorNotice error={entry.error} onRetry={entry.refetch} /> : <Loading />}
      </Dialog>
    );
  }
  return (
    <CatalogForm
      adamId={adamId}
      name={name}
      entry={entry.data}
      title={title(!entry.data?.inCatalog)}
      onClose={onClose}
      onSaved={onSaved}
    />
  );
}

function CatalogForm({
  adamId,
  name,
  entry,
  title,
  onClose,
  onSaved,
}: {
  adamId: string;
  name?: string | undefined;
  entry: CatalogEntry | null;
  title: string;
  onClose: () => void;
  onSaved?: ((entry: CatalogEntry) => void) | undefined;
}) {
  const { t } = useTranslation();
  const { spaceId } = useSpace();
  const save = useSaveCatalogApp(spaceId, adamId);
  const adding = !entry?.inCatalog;
  const [installOnDevice, setInstallOnDevice] = useState(entry?.installOnDevice ?? false);
  const [updateMode, setUpdateMode] = useState<UpdateMode>(entry?.updateMode ?? "immediate");
  const [description, setDescription] = useState(entry?.description ?? "");
  const errors = fieldErrorsOf(save.error);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const options: CatalogOptions = {
      ...(!entry?.name && name ? { name } : {}),
      description: description.trim(),
      installOnDevice,
      updateMode,
    };
    save.mutate(options, {
      onSuccess: (saved) => {
        onSaved?.(saved);
        onClose();
      },
    });
  };
  return (
    <FormDialog
      title={title}
      onClose={onClose}
      onSubmit={submit}
      busy={save.isPending}
      submitLabel={adding ? t("catalog.add") : t("common.save")}
    >
      {adding ? <p className="card-help">{t("catalog.addHelp")}</p> : null}
      <Option
        name="installOnDevice"
        checked={installOnDevice}
        onChange={setInstallOnDevice}
        label={t("catalog.installOnDevice")}
        description={t("catalog.installOnDeviceHelp")}
      />
      <Field
        label={t("catalog.updateMode")}
        hint={t(`catalog.updateModeHelp.${updateMode}`)}
        error={errors.updateMode}
      >
        {(p) => (
          <select
            {...p}
            name="updateMode"
            className="select"
            value={updateMode}
            onChange={(e) => setUpdateMode(e.target.value as UpdateMode)}
          >
            {UPDATE_MODES.map((mode) => (
              <option key={mode} value={mode}>
                {t(`catalog.updateModes.${mode}`)}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field label={t("catalog.description")} hint={t("catalog.descriptionHelp")} error={errors.description}>
        {(p) => (
          <textarea
            {...p}
            name="description"
            className="input"
            rows={3}
            maxLength={4000}
            value={description}
            onChange={(e) => setDescription(e.target.value)}
          />
        )}
      </Field>
      {/* A refusal about the app itself (CA3: no account bought it) names a field the form does not show. */}
      {save.error && !errors.updateMode && !errors.description ? <ErrorNotice error={save.error} /> : null}
      <p className="footnote">
        <RuleRef id="CA1" /> <RuleRef id="DB4" />
      </p>
    </FormDialog>
  );
}
