import { createContext, type ReactNode, useContext } from "react";
import type { SpaceWithRole } from "../api/types";

/** The space the console shows (from the URL) and the caller's role in it (PM1). */
export interface SpaceScope {
  space: SpaceWithRole;
  spaces: SpaceWithRole[];
  spaceId: string;
  /** "App and content management": read/write. A read-only role sees no write buttons. */
  canWrite: boolean;
}

const SpaceContext = createContext<SpaceScope | undefined>(undefined);

export function SpaceProvider({ value, children }: { value: SpaceScope; children: ReactNode }) {
  return <SpaceContext.Provider value={value}>{children}</SpaceContext.Provider>;
}

export function useSpace(): SpaceScope {
  const scope = useContext(SpaceContext);
  if (!scope) throw new Error("useSpace outside a space route");
  return scope;
}

/** Path of a page inside the current space. */
export function spacePath(spaceId: string, path = ""): string {
  return `/s/${encodeURIComponent(spaceId)}${path}`;
}
