import { useState } from "react";
import { useTranslation } from "react-i18next";
import { useSpace } from "../app/space";
import { Badge } from "../ui/Badge";
import { Button } from "../ui/Button";
import { Card } from "../ui/Card";
import { RuleRef } from "../ui/RuleRef";
import { ErrorNotice, Loading, Notice } from "../ui/States";
import { CatalogDialog } from "./CatalogDialog";
import { type CatalogEntry, removedFrom, useCatalogEntry, useRemoveFromCatalog } from "./catalog-api";
import { Delegations, useDelegatingSpaceName } from "./Delegations";
import { RemovalDialog } from "./RemovalDialog";

/**
 * The app in this space's catalog (CA1, CA3): whether it is there, "Install on device", the
 * update mode (DB4) and the description; added, changed, removed (PB1), and delegated from
 * the default space. A read-only role sees the entry and no button (PM1).
 */
export function CatalogCard({ adamId, name }: { adamId: string; name?: string | undefined }) {
  const { t } = useTranslation();
  const { spaceId, canWrite } = useSpace();
  const spaceName = useDelegatingSpaceName();
  const entry = useCatalogEntry(spaceId, adamId);
  const remove = useRemoveFromCatalog(spaceId, adamId);
  const [dialog, setDialog] = useState<"options" | "remove">();
  const [removed, setRemoved] = useState<{ licenses: number; devices: number }>();
  const shown = name ?? adamId;
  const e = entry.data;
  const inCatalog = e?.inCatalog ?? false;
  const actions =
    canWrite && e !== undefined ? (
      inCatalog ? (
        <>
          <Button onClick={() => setDialog("options")}>{t("catalog.editOptions")}</Button>
          <Button variant="danger" onClick={() => setDialog("remove")}>
            {t("catalog.remove")}
          </Button>
        </>
      ) : (
        <Button variant="primary" onClick={() => setDialog("options")}>
          {t("catalog.add")}
        </Button>
      )
    ) : null;
  return (
    <Card title={t("catalog.title")} actions={actions}>
      {removed ? (
        <Notice tone="success">
          {t("catalog.removedDone", { licenses: removed.licenses, devices: removed.devices })}
        </Notice>
      ) : null}
      {entry.isPending ? (
        <Loading />
      ) : entry.isError ? (
        <ErrorNotice error={entry.error} onRetry={entry.refetch} />
      ) : e?.inCatalog ? (
        <>
          <EntryDetails entry={e} spaceName={spaceName} />
          <Delegations adamId={adamId} name={shown} entry={e} />
        </>
      ) : (
        <p className="card-help">
          <Badge>{t("apps.notInCatalog")}</Badge> {t("catalog.notInCatalogText")} <RuleRef id="CA3" compact />
        </p>
      )}
      {/* CA1: what this space's admins may change of an app delegated here, and what stays the default space's. */}
      {e?.delegatedFromSpaceId ? (
        <p className="card-help" data-testid="delegated-here">
          {t("catalog.delegatedHere", { space: spaceName(e.delegatedFromSpaceId) })}{" "}
          <RuleRef id="CA1" compact />
        </p>
      ) : null}
      {dialog === "options" ? (
        <CatalogDialog
          adamId={adamId}
          name={name}
          onClose={() => setDialog(undefined)}
          onSaved={() => setRemoved(undefined)}
        />
      ) : null}
      {dialog === "remove" ? (
        <RemovalDialog
          adamId={adamId}
          title={t("catalog.removeTitle", { name: shown })}
          confirmLabel={t("catalog.remove")}
          rule={
            e?.delegatedTo.length
              ? t("catalog.removeRuleDelegated", { count: e.delegatedTo.length })
              : t("catalog.removeRule")
          }
          busy={remove.isPending}
          error={remove.error}
          onConfirm={() =>
            remove.mutate(undefined, {
              onSuccess: (c) => {
                setRemoved({ licenses: c.releases.length, devices: removedFrom(c) });
                setDialog(undefined);
              },
            })
          }
          onClose={() => {
            setDialog(undefined);
            remove.reset();
          }}
        />
      ) : null}
    </Card>
  );
}

function EntryDetails({ entry, spaceName }: { entry: CatalogEntry; spaceName: (id: string) => string }) {
  const { t } = useTranslation();
  return (
    <dl className="details" data-testid="catalog-entry">
      <dt>{t("apps.catalog")}</dt>
      <dd>
        <Badge tone="success">{t("apps.inCatalog")}</Badge>
      </dd>
      <dt>{t("catalog.installOnDevice")}</dt>
      <dd>{entry.installOnDevice ? t("catalog.mandatory") : t("catalog.notMandatory")}</dd>
      <dt>{t("catalog.updateMode")}</dt>
      <dd>{t(`catalog.updateModes.${entry.updateMode}`)}</dd>
      <dt>{t("catalog.description")}</dt>
      <dd>{entry.description ?? "—"}</dd>
      {entry.delegatedFromSpaceId ? (
        <>
          <dt>{t("catalog.delegatedFrom")}</dt>
          <dd>{spaceName(entry.delegatedFromSpaceId)}</dd>
        </>
      ) : null}
    </dl>
  );
}
