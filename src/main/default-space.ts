import { createSpace, findDefaultSpace, type Store } from "../store/index.js";

/**
 * The default space, created on first start. Its own module, not server.ts's: every CLI
 * command needs it, and none but `serve` should load the HTTP server to get it.
 */
export async function ensureDefaultSpace(orchard: { store: Pick<Store, "db"> }): Promise<string> {
  const existing = await findDefaultSpace(orchard.store.db);
  if (existing) return existing.id;
  const space = await createSpace(orchard.store.db, { name: "Default", isDefault: true });
  return space.id;
}
