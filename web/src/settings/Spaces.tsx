import { type FormEvent, useState } from "react";
import { useTranslation } from "react-i18next";
import { fieldErrorsOf } from "../api/client";
import type { SpaceWithRole } from "../api/types";
import { useSpaces } from "../auth/session";
import { Badge } from "../ui/Badge";
import { Button } from "../ui/Button";
import { Card } from "../ui/Card";
import { type Column, DataTable } from "../ui/DataTable";
import { ConfirmDialog, FormDialog } from "../ui/Dialog";
import { Option, TextField } from "../ui/Field";
import { RuleRef } from "../ui/RuleRef";
import { EmptyState, ErrorNotice, FormError, Loading } from "../ui/States";
import { useCreateSpace, useRenameSpace, useSetAppsAndBooks } from "./api";

/** Spaces: listed, created, renamed, Apps and Books turned on or off (CA3). Owners only. */
export function Spaces() {
  const { t } = useTranslation();
  const spaces = useSpaces(true);
  const toggle = useSetAppsAndBooks();
  const [creating, setCreating] = useState(false);
  const [renaming, setRenaming] = useState<SpaceWithRole>();
  const [turningOff, setTurningOff] = useState<SpaceWithRole>();
  const columns: Column<SpaceWithRole>[] = [
    { key: "name", header: t("spaces.name"), render: (s) => s.name },
    {
      key: "default",
      header: t("spaces.default"),
      render: (s) => (s.isDefault ? <Badge tone="info">{t("common.yes")}</Badge> : t("common.no")),
    },
    {
      key: "appsAndBooks",
      header: t("spaces.appsAndBooks"),
      render: (s) =>
        s.appsAndBooksEnabled ? (
          <Badge tone="success">{t("common.on")}</Badge>
        ) : (
          <Badge tone="warning">{t("common.off")}</Badge>
        ),
    },
    {
      key: "actions",
      header: t("common.actions"),
      className: "col-actions",
      render: (s) => (
        <span className="row-actions">
          <Button
            size="sm"
            onClick={() => setRenaming(s)}
            aria-label={t("spaces.renameOf", { name: s.name })}
          >
            {t("spaces.rename")}
          </Button>
          {s.appsAndBooksEnabled ? (
            <Button
              size="sm"
              variant="danger"
              onClick={() => setTurningOff(s)}
              aria-label={t("spaces.turnOffOf", { name: s.name })}
            >
              {t("spaces.turnOff")}
            </Button>
          ) : (
            <Button
              size="sm"
              busy={toggle.isPending && toggle.variables?.spaceId === s.id}
              onClick={() => toggle.mutate({ spaceId: s.id, enabled: true })}
              aria-label={t("spaces.turnOnOf", { name: s.name })}
            >
              {t("spaces.turnOn")}
            </Button>
          )}
        </span>
      ),
    },
  ];
  return (
    <Card
      title={t("spaces.title")}
      actions={
        <Button variant="primary" size="sm" onClick={() => setCreating(true)}>
          {t("spaces.create")}
        </Button>
      }
    >
      <p className="muted">{t("spaces.description")}</p>
      {toggle.error ? <ErrorNotice error={toggle.error} /> : null}
      {spaces.isPending ? (
        <Loading />
      ) : spaces.isError ? (
        <ErrorNotice error={spaces.error} onRetry={spaces.refetch} />
      ) : (
        <DataTable
          caption={t("spaces.title")}
          columns={columns}
          rows={spaces.data}
          rowKey={(s) => s.id}
          empty={<EmptyState title={t("spaces.emptyTitle")} />}
        />
      )}
      {creating ? <SpaceNameDialog onClose={() => setCreating(false)} /> : null}
      {renaming ? <SpaceNameDialog space={renaming} onClose={() => setRenaming(undefined)} /> : null}
      <ConfirmDialog
        open={turningOff !== undefined}
        danger
        title={t("spaces.turnOffTitle", { name: turningOff?.name ?? "" })}
        confirmLabel={t("spaces.turnOff")}
        busy={toggle.isPending}
        onClose={() => setTurningOff(undefined)}
        onConfirm={() =>
          turningOff &&
          toggle.mutate(
            { spaceId: turningOff.id, enabled: false },
            { onSuccess: () => setTurningOff(undefined) },
          )
        }
      >
        <ul className="consequences">
          <li>{t("spaces.offRefused")}</li>
          <li>{t("spaces.offNoInstall")}</li>
          <li>{t("spaces.offKept")}</li>
          <li>{t("spaces.offBack")}</li>
        </ul>
        <RuleRef id="CA3" />
      </ConfirmDialog>
    </Card>
  );
}

/** Create a space (name, Apps and Books on or off), or rename one. */
function SpaceNameDialog({ space, onClose }: { space?: SpaceWithRole; onClose: () => void }) {
  const { t } = useTranslation();
  const create = useCreateSpace();
  const rename = useRenameSpace();
  const mutation = space ? rename : create;
  const [name, setName] = useState(space?.name ?? "");
  const [enabled, setEnabled] = useState(true);
  const [submitted, setSubmitted] = useState(false);
  const errors = fieldErrorsOf(mutation.error);
  const nameError = submitted && !name.trim() ? t("spaces.nameRequired") : errors.name;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setSubmitted(true);
    if (!name.trim()) return;
    if (space) rename.mutate({ spaceId: space.id, name: name.trim() }, { onSuccess: onClose });
    else create.mutate({ name: name.trim(), appsAndBooksEnabled: enabled }, { onSuccess: onClose });
  };
  return (
    <FormDialog
      title={space ? t("spaces.renameTitle", { name: space.name }) : t("spaces.createTitle")}
      onClose={onClose}
      onSubmit={submit}
      busy={mutation.isPending}
      submitLabel={space ? t("spaces.rename") : t("spaces.create")}
    >
      <TextField
        label={t("spaces.name")}
        error={nameError}
        name="spaceName"
        value={name}
        onChange={setName}
      />
      {space ? null : (
        <Option
          name="appsAndBooksEnabled"
          checked={enabled}
          onChange={setEnabled}
          label={t("spaces.enableOnCreate")}
          description={t("spaces.enableOnCreateHelp")}
        />
      )}
      <FormError error={mutation.error} />
    </FormDialog>
  );
}
