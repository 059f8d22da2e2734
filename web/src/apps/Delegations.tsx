import { type FormEvent, useState } from "react";
import { useTranslation } from "react-i18next";
import type { SpaceWithRole } from "../api/types";
import { useSpace } from "../app/space";
import { Badge } from "../ui/Badge";
import { Button } from "../ui/Button";
import { FormDialog } from "../ui/Dialog";
import { Option } from "../ui/Field";
import { ErrorNotice, Notice } from "../ui/States";
import { type CatalogEntry, removedFrom, useCatalogEntry, useDelegate, useUndelegate } from "./catalog-api";
import { RemovalDialog } from "./RemovalDialog";

/**
 * The delegating space's name: only the default space delegates, so it is named so when
 * the admin has no role there (invariant 6: a space the admin cannot see is not named).
 */
export function useDelegatingSpaceName(): (spaceId: string) => string {
  const { t } = useTranslation();
  const { spaces } = useSpace();
  return (id) => spaces.find((s) => s.id === id)?.name ?? t("catalog.defaultSpace");
}

/** CA1: "Delegated from …" on an app the default space delegated to this space. */
export function DelegatedFrom({ spaceId }: { spaceId: string }) {
  const { t } = useTranslation();
  const spaceName = useDelegatingSpaceName();
  return <Badge tone="info">{t("apps.delegatedFrom", { space: spaceName(spaceId) })}</Badge>;
}

/**
 * An app of the default space's catalog delegated to custom spaces: the spaces it is
 * delegated to, delegated to more, or taken back (PB1). Both need the manage role in the
 * default space and in each space changed (the API answers 404 otherwise): a space the admin
 * only reads is listed without its button, and only spaces it manages are offered.
 */
export function Delegations({ adamId, name, entry }: { adamId: string; name: string; entry: CatalogEntry }) {
  const { t } = useTranslation();
  const { space, spaces, canWrite } = useSpace();
  const [delegating, setDelegating] = useState(false);
  const [taking, setTaking] = useState<SpaceWithRole>();
  const [done, setDone] = useState<string>();
  const undelegate = useUndelegate(space.id, adamId);
  if (!space.isDefault) return null;
  const delegated = spaces.filter((s) => entry.delegatedTo.includes(s.id));
  const offered = spaces.filter(
    (s) => !s.isDefault && s.role === "manage" && !entry.delegatedTo.includes(s.id),
  );
  return (
    <section aria-labelledby="catalog-delegations" data-testid="delegations">
      <h3 className="section-title" id="catalog-delegations">
        {t("catalog.delegatedTo")}
      </h3>
      {done ? <Notice tone="success">{done}</Notice> : null}
      {delegated.length === 0 ? (
        <p className="muted small">{t("catalog.notDelegated")}</p>
      ) : (
        <ul className="name-list">
          {delegated.map((s) => (
            <li key={s.id}>
              <span className="row-actions">
                {s.name}
                {canWrite && s.role === "manage" ? (
                  <Button
                    size="sm"
                    variant="ghost"
                    onClick={() => setTaking(s)}
                    aria-label={t("catalog.undelegateOf", { space: s.name })}
                  >
                    {t("catalog.undelegate")}
                  </Button>
                ) : null}
              </span>
            </li>
          ))}
        </ul>
      )}
      {canWrite && offered.length > 0 ? (
        <Button size="sm" onClick={() => setDelegating(true)}>
          {t("catalog.delegate")}
        </Button>
      ) : null}
      {delegating ? (
        <DelegateDialog
          adamId={adamId}
          name={name}
          offered={offered}
          onClose={() => setDelegating(false)}
          onDone={(count) => {
            setDone(t("catalog.delegatedDone", { count }));
            setDelegating(false);
          }}
        />
      ) : null}
      {taking ? (
        <RemovalDialog
          adamId={adamId}
          undelegate={[taking.id]}
          title={t("catalog.undelegateTitle", { name, space: taking.name })}
          confirmLabel={t("catalog.undelegate")}
          rule={`${t("catalog.undelegateRule", { space: taking.name })} ${t("catalog.undelegateKeeps", { space: taking.name })}`}
          busy={undelegate.isPending}
          error={undelegate.error}
          onConfirm={() =>
            undelegate.mutate([taking.id], {
              onSuccess: (c) => {
                setDone(
                  t("catalog.undelegatedDone", {
                    space: taking.name,
                    licenses: c.releases.length,
                    devices: removedFrom(c),
                  }),
                );
                setTaking(undefined);
              },
            })
          }
          onClose={() => {
            setTaking(undefined);
            undelegate.reset();
          }}
        />
      ) : null}
    </section>
  );
}

function DelegateDialog({
  adamId,
  name,
  offered,
  onClose,
  onDone,
}: {
  adamId: string;
  name: string;
  offered: SpaceWithRole[];
  onClose: () => void;
  onDone: (count: number) => void;
}) {
  const { t } = useTranslation();
  const { spaceId } = useSpace();
  const delegate = useDelegate(spaceId, adamId);
  const [chosen, setChosen] = useState<string[]>([]);
  const [submitted, setSubmitted] = useState(false);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setSubmitted(true);
    if (chosen.length > 0) delegate.mutate(chosen, { onSuccess: () => onDone(chosen.length) });
  };
  return (
    <FormDialog
      title={t("catalog.delegateTitle", { name })}
      onClose={onClose}
      onSubmit={submit}
      busy={delegate.isPending}
      submitLabel={t("catalog.delegate")}
    >
      <p className="card-help">{t("catalog.delegateHelp")}</p>
      {offered.map((s) => (
        <SpaceOption
          key={s.id}
          adamId={adamId}
          space={s}
          checked={chosen.includes(s.id)}
          onChange={(on) => setChosen((c) => (on ? [...c, s.id] : c.filter((id) => id !== s.id)))}
        />
      ))}
      {submitted && chosen.length === 0 ? (
        <p className="field-error" role="alert">
          {t("catalog.chooseSpace")}
        </p>
      ) : null}
      {delegate.error ? <ErrorNotice error={delegate.error} /> : null}
    </FormDialog>
  );
}

/**
 * A space offered for the delegation, with the options it set for the app before, if any
 * (the delegation taken back, or the app its own): CA1 gives them back, so the admin reads
 * them before confirming, and whether its devices will install the app.
 */
function SpaceOption({
  adamId,
  space,
  checked,
  onChange,
}: {
  adamId: string;
  space: SpaceWithRole;
  checked: boolean;
  onChange: (on: boolean) => void;
}) {
  const { t } = useTranslation();
  const kept = useCatalogEntry(space.id, adamId).data;
  const options = kept
    ? t(kept.installOnDevice ? "catalog.delegateKeepsMandatory" : "catalog.delegateKeeps", {
        install: t(kept.installOnDevice ? "catalog.mandatory" : "catalog.notMandatory"),
        updates: t(`catalog.updateModes.${kept.updateMode}`),
      })
    : undefined;
  return (
    <Option
      name="spaceIds"
      checked={checked}
      onChange={onChange}
      label={space.name}
      {...(options ? { description: options } : {})}
    />
  );
}
