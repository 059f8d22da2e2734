import type { Consequences } from "../licensing/index.js";
import { setCatalogDescription } from "../store/catalog.repo.js";
import {
  type Actor,
  activityMessage,
  appendActivity,
  type CatalogApp,
  findCatalogApp,
  getSpace,
  listAssetsForApp,
  NotFoundError,
  StoreError,
  setCatalogApp,
  withTransaction,
} from "../store/index.js";
import { listDelegatedSpaces } from "../store/mdm-query.repo.js";
import { removeStaleWaits } from "../store/stale-waits.repo.js";
import type { MdmDeps } from "./deps.js";
import { applyEvent, type MdmEvent, previewEvent } from "./events.js";

export interface CatalogInput {
  spaceId: string;
  adamId: string;
  name?: string;
  description?: string;
  /** CA1 "Install on device": the app becomes mandatory (installed at check-in, DB2). */
  installOnDevice?: boolean;
  /** DB4: how device-licensed copies are updated. */
  updateMode?: "immediate" | "automatic";
  actor: Actor;
}

/**
 * CA1, CA3: adds a bought app to the space's catalog (or changes its options). Only an
 * app bought by one of the space's accounts, or delegated to it, can be added: until
 * then no license of it is ever distributed.
 */
export async function putCatalogApp(deps: MdmDeps, input: CatalogInput): Promise<CatalogApp> {
  const now = deps.now();
  return withTransaction(deps.db, async (trx) => {
    await getSpace(trx, input.spaceId);
    const existing = await findCatalogApp(trx, input.spaceId, input.adamId);
    const bought = (await listAssetsForApp(trx, input.spaceId, input.adamId)).length > 0;
    if (!bought && !existing?.delegatedFromSpaceId) {
      throw new StoreError(
        "invalid_request",
        `app ${input.adamId} was not bought by any account of this space (CA3)`,
        {
          field: "adamId",
        },
      );
    }
    const app = await setCatalogApp(
      trx,
      {
        spaceId: input.spaceId,
        adamId: input.adamId,
        ...((input.name ?? existing?.name) ? { name: input.name ?? existing?.name } : {}),
        ...(existing?.delegatedFromSpaceId ? { delegatedFromSpaceId: existing.delegatedFromSpaceId } : {}),
        inCatalog: true,
        installOnDevice: input.installOnDevice ?? existing?.installOnDevice ?? false,
        updateMode: input.updateMode ?? existing?.updateMode ?? "immediate",
      },
      now,
    );
    if (input.description !== undefined)
      await setCatalogDescription(trx, input.spaceId, input.adamId, input.description);
    await appendActivity(trx, [
      {
        spaceId: input.spaceId,
        actor: input.actor,
        action: existing?.inCatalog ? "catalog.updated" : "catalog.added",
        adamId: input.adamId,
        ruleIds: ["CA1", ...(input.updateMode ? ["DB4"] : [])],
        message: activityMessage(app.installOnDevice ? "catalog.install_on_device" : "catalog.available", {
          updateMode: app.updateMode,
        }),
        at: now,
      },
    ]);
    // DB2: "Install on device" turned off: the waits it made leave the queue, logged (one statement).
    if (existing?.installOnDevice && !app.installOnDevice)
      await removeStaleWaits(trx, {
        scope: { spaceIds: [input.spaceId], adamId: input.adamId },
        cause: "catalog",
        actor: input.actor,
        now,
      });
    return app;
  });
}

/** RV1, PB1, PB2: deleting the app from the catalog (from the default space, also where it was delegated). */
export function removeFromCatalog(
  deps: MdmDeps,
  input: { spaceId: string; adamId: string; actor: Actor },
): Promise<Consequences> {
  return applyEvent(deps, { kind: "app_deleted", spaceId: input.spaceId, adamId: input.adamId }, input.actor);
}

/**
 * Delegates an app of the default space to custom spaces: it joins their catalogs, with the
 * options each space set for it before, if any (CA1).
 */
export async function delegateApp(
  deps: MdmDeps,
  input: { fromSpaceId: string; adamId: string; toSpaceIds: readonly string[]; actor: Actor },
): Promise<void> {
  const now = deps.now();
  await withTransaction(deps.db, async (trx) => {
    const from = await getSpace(trx, input.fromSpaceId);
    if (!from.isDefault)
      throw new StoreError("invalid_request", "only apps of the default space can be delegated", {
        field: "fromSpaceId",
      });
    const source = await findCatalogApp(trx, input.fromSpaceId, input.adamId);
    if (!source?.inCatalog)
      throw new StoreError("invalid_request", `app ${input.adamId} is not in the default space's catalog`, {
        field: "adamId",
      });
    for (const spaceId of input.toSpaceIds) {
      if (spaceId === from.id)
        throw new StoreError("invalid_request", "the default space cannot delegate an app to itself", {
          field: "spaceIds",
        });
      await getSpace(trx, spaceId);
      // CA1: a space delegated the app again gets back the options it had (a delegation taken back keeps them).
      const kept = await findCatalogApp(trx, spaceId, input.adamId);
      await setCatalogApp(
        trx,
        {
          spaceId,
          adamId: input.adamId,
          ...((source.name ?? kept?.name) ? { name: source.name ?? kept?.name } : {}),
          delegatedFromSpaceId: input.fromSpaceId,
          ...(kept ? { installOnDevice: kept.installOnDevice, updateMode: kept.updateMode } : {}),
        },
        now,
      );
      await appendActivity(trx, [
        {
          spaceId,
          actor: input.actor,
          action: "catalog.delegated",
          adamId: input.adamId,
          ruleIds: [],
          message: activityMessage("catalog.delegated", { from: from.name }),
          at: now,
        },
      ]);
    }
  });
}

/**
 * PB1, PB2: the spaces losing the delegation uninstall the app (iOS) and lose its
 * licenses. Only spaces the default space really delegated the app to are touched.
 */
export async function undelegateApp(
  deps: MdmDeps,
  input: { fromSpaceId: string; adamId: string; spaceIds: readonly string[]; actor: Actor },
): Promise<Consequences> {
  return applyEvent(deps, await undelegation(deps, input), input.actor);
}

/**
 * PB1: what taking the app out would do, done nowhere: deleting it from the space's catalog
 * or, with `undelegate`, taking it from those spaces. The console's warning before either.
 */
export async function previewCatalogRemoval(
  deps: MdmDeps,
  input: { spaceId: string; adamId: string; undelegate?: readonly string[] },
): Promise<Consequences> {
  if (input.undelegate)
    return previewEvent(
      deps,
      await undelegation(deps, {
        fromSpaceId: input.spaceId,
        adamId: input.adamId,
        spaceIds: input.undelegate,
      }),
    );
  await getSpace(deps.db, input.spaceId);
  return previewEvent(deps, { kind: "app_deleted", spaceId: input.spaceId, adamId: input.adamId });
}

/** The undelegation event, once the space is the default one and delegated the app to each space named. */
async function undelegation(
  deps: MdmDeps,
  input: { fromSpaceId: string; adamId: string; spaceIds: readonly string[] },
): Promise<MdmEvent> {
  const from = await getSpace(deps.db, input.fromSpaceId);
  if (!from.isDefault) {
    throw new StoreError("invalid_request", "only apps of the default space are delegated", {
      field: "spaceId",
    });
  }
  const delegated = new Set(await listDelegatedSpaces(deps.db, input.fromSpaceId, input.adamId));
  const stray = input.spaceIds.find((id) => !delegated.has(id));
  if (stray !== undefined) throw new NotFoundError("space", stray);
  return {
    kind: "app_undelegated",
    spaceId: input.fromSpaceId,
    adamId: input.adamId,
    spaceIds: input.spaceIds,
  };
}
