import { type FormEvent, useState } from "react";
import { useTranslation } from "react-i18next";
import { fieldErrorsOf } from "../api/client";
import type { ApiToken, IssuedApiToken, TokenRole } from "../api/types";
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

const ROLES: readonly TokenRole[] = ["read", "manage", "mdm"];
/** What the form offers: no end, or so many days from now (the server counts them). */
const EXPIRIES = ["never", "30", "90", "365"] as const;
type Expiry = (typeof EXPIRIES)[number];

/** API tokens for machines: created (the secret shown once, with an end or not), listed, revoked. */
export function ApiTokens() {
  const { t } = useTranslation();
  const f = useFormat();
  const { spaces, space } = useSpace();
  const tokens = useApiTokens();
  const create = useCreateToken();
  const revoke = useRevokeToken();
  const [name, setName] = useState("");
  const [role, setRole] = useState<TokenRole>("read");
  const [expiry, setExpiry] = useState<Expiry>("never");
  const [issued, setIssued] = useState<IssuedApiToken>();
  const [target, setTarget] = useState<ApiToken>();
  const errors = fieldErrorsOf(create.error);
  const spaceName = (id: string) => spaces.find((s) => s.id === id)?.name ?? id;
  // One token per click, however quick the second one (submit-once.ts).
  const submit = useSubmitOnce(create.isPending, (e: FormEvent) => {
    e.preventDefault();
    create.mutate(
      {
        name,
        grants: [{ spaceId: space.id, role }],
        ...(expiry === "never" ? {} : { expiresInDays: Number(expiry) }),
      },
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
              {t("common.labelled", { label: spaceName(g.spaceId) })} {t(`roles.${g.role}`)}
            </Badge>
          ))}
        </span>
      ),
    },
    { key: "created", header: t("tokens.created"), render: (x) => f.dateTime(x.createdAt) },
    { key: "used", header: t("tokens.lastUsed"), render: (x) => f.dateTime(x.lastUsedAt) },
    {
      key: "expires",
      header: t("tokens.expires"),
      render: (x) => (x.expiresAt ? f.dateTime(x.expiresAt) : t("tokens.never")),
    },
    {
      key: "state",
      header: t("tokens.state"),
      render: (x) =>
        x.revokedAt ? (
          <Badge>{t("tokens.revoked")}</Badge>
        ) : x.expired ? (
          <Badge tone="warning">{t("tokens.expired")}</Badge>
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
        <Field
          label={t("tokens.role", { space: space.name })}
          error={errors.grants}
          hint={role === "mdm" ? t("tokens.mdmHint") : undefined}
        >
          {(p) => (
            <select
              {...p}
              className="select"
              value={role}
              onChange={(e) => setRole(ROLES.find((r) => r === e.target.value) ?? "read")}
            >
              {ROLES.map((r) => (
                <option key={r} value={r}>
                  {t(`roles.${r}`)}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label={t("tokens.expiry")} error={errors.expiresInDays ?? errors.expiresAt}>
          {(p) => (
            <select
              {...p}
              className="select"
              value={expiry}
              onChange={(e) => setExpiry(EXPIRIES.find((x) => x === e.target.value) ?? "never")}
            >
              {EXPIRIES.map((x) => (
                <option key={x} value={x}>
                  {x === "never" ? t("tokens.never") : t("tokens.inDays", { days: Number(x) })}
                </option>
              ))}
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
        <ErrorNotice error={tokens.error} onRetry={tokens.refetch} />
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
