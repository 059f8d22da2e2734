import { type FormEvent, useState } from "react";
import { useTranslation } from "react-i18next";
import { fieldErrorsOf } from "../api/client";
import type { ApiToken, IssuedApiToken, Role } from "../api/types";
import { useSpace } from "../app/space";
import { Badge } from "../ui/Badge";
import { Button } from "../ui/Button";
import { Card } from "../ui/Card";
import { type Column, DataTable } from "../ui/DataTable";
import { ConfirmDialog, Dialog } from "../ui/Dialog";
import { Field, TextField } from "../ui/Field";
import { useFormat } from "../ui/format";
import { EmptyState, ErrorNotice, FormError, Loading, Notice } from "../ui/States";
import { useSubmitOnce } from "../ui/submit-once";
import { useApiTokens, useCreateToken, useRevokeToken } from "./api";

/** API tokens for machines: created (the secret shown once), listed, revoked. */
export function ApiTokens() {
  const { t } = useTranslation();
  const f = useFormat();
  const { spaces, space } = useSpace();
  const tokens = useApiTokens();
  const create = useCreateToken();
  const revoke = useRevokeToken();
  const [name, setName] = useState("");
  const [role, setRole] = useState<Role>("read");
  const [issued, setIssued] = useState<IssuedApiToken>();
  const [target, setTarget] = useState<ApiToken>();
  const errors = fieldErrorsOf(create.error);
  const spaceName = (id: string) => spaces.find((s) => s.id === id)?.name ?? id;
  // One token per click, however quick the second one (submit-once.ts).
  const submit = useSubmitOnce(create.isPending, (e: FormEvent) => {
    e.preventDefault();
    create.mutate(
      { name, grants: [{ spaceId: space.id, role }] },
      {
        onSuccess: (r) => {
          setIssued(r);
          setName("");
        },
      },
    );
  });
  const columns: Column<ApiToken>[] = [
    { key: "name", header: t("tokens.name"), render: (x) => x.name },
    {
      key: "grants",
      header: t("tokens.grants"),
      render: (x) => (
        <span className="chips-inline">
          {x.grants.map((g) => (
            <Badge key={g.spaceId}>
              {spaceName(g.spaceId)}: {t(`roles.${g.role}`)}
            </Badge>
          ))}
        </span>
      ),
    },
    { key: "created", header: t("tokens.created"), render: (x) => f.dateTime(x.createdAt) },
    { key: "used", header: t("tokens.lastUsed"), render: (x) => f.dateTime(x.lastUsedAt) },
    {
      key: "state",
      header: t("tokens.state"),
      render: (x) =>
        x.revokedAt ? (
          <Badge>{t("tokens.revoked")}</Badge>
        ) : (
          <Badge tone="success">{t("tokens.active")}</Badge>
        ),
    },
    {
      key: "actions",
      header: t("common.actions"),
      render: (x) =>
        x.revokedAt ? null : (
          <Button size="sm" variant="danger" onClick={() => setTarget(x)}>
            {t("tokens.revoke")}
          </Button>
        ),
    },
  ];
  return (
    <Card title={t("tokens.title")}>
      <p className="muted">{t("tokens.description")}</p>
      <form className="inline-form" onSubmit={submit} noValidate>
        <TextField
          label={t("tokens.name")}
          error={errors.name}
          name="tokenName"
          value={name}
          onChange={setName}
        />
        <Field label={t("tokens.role", { space: space.name })} error={errors.grants}>
          {(p) => (
            <select
              {...p}
              className="select"
              value={role}
              onChange={(e) => setRole(e.target.value === "manage" ? "manage" : "read")}
            >
              <option value="read">{t("roles.read")}</option>
              <option value="manage">{t("roles.manage")}</option>
            </select>
          )}
        </Field>
        <Button variant="primary" type="submit" busy={create.isPending}>
          {t("tokens.create")}
        </Button>
      </form>
      <FormError error={create.error} />
      {revoke.error ? <ErrorNotice error={revoke.error} /> : null}
      {tokens.isPending ? (
        <Loading />
      ) : tokens.isError ? (
        <ErrorNotice error={tokens.error} />
      ) : (
        <DataTable
          caption={t("tokens.title")}
          columns={columns}
          rows={tokens.data}
          rowKey={(x) => x.id}
          empty={<EmptyState title={t("tokens.emptyTitle")}>{t("tokens.emptyText")}</EmptyState>}
        />
      )}
      <Dialog
        open={issued !== undefined}
        title={t("tokens.issuedTitle")}
        onClose={() => setIssued(undefined)}
        footer={
          <Button variant="primary" onClick={() => setIssued(undefined)}>
            {t("tokens.stored")}
          </Button>
        }
      >
        <Notice tone="warning">{t("tokens.shownOnce")}</Notice>
        <code className="secret" data-testid="issued-token">
          {issued?.token}
        </code>
        <Button size="sm" onClick={() => void navigator.clipboard?.writeText(issued?.token ?? "")}>
          {t("tokens.copy")}
        </Button>
      </Dialog>
      <ConfirmDialog
        open={target !== undefined}
        danger
        title={t("tokens.revokeTitle", { name: target?.name ?? "" })}
        confirmLabel={t("tokens.revoke")}
        busy={revoke.isPending}
        onClose={() => setTarget(undefined)}
        onConfirm={() => target && revoke.mutate(target.id, { onSuccess: () => setTarget(undefined) })}
      >
        <p>{t("tokens.revokeText")}</p>
      </ConfirmDialog>
    </Card>
  );
}
