import { type ComponentType, type LazyExoticComponent, lazy } from "react";
import { useTranslation } from "react-i18next";
import { Button } from "../ui/Button";
import { Notice } from "../ui/States";

/**
 * A page of the console in a chunk of its own, loaded the first time it is shown (a Suspense
 * shows Loading meanwhile: main.tsx, Layout.tsx). The first page loads only its own code.
 * When the chunk cannot be loaded (Orchard was updated since the window opened, and the old
 * build's chunks are gone; or the network failed), the page says so and offers a reload.
 */
export function lazyPage<M extends Record<K, ComponentType>, K extends keyof M>(
  load: () => Promise<M>,
  name: K,
): LazyExoticComponent<ComponentType> {
  return lazy<ComponentType>(() =>
    load().then(
      (module) => ({ default: module[name] }),
      () => ({ default: PageNotLoaded }),
    ),
  );
}

function PageNotLoaded() {
  const { t } = useTranslation();
  return (
    <Notice tone="warning" title={t("errors.pageNotLoaded")}>
      {t("errors.pageNotLoadedText")}{" "}
      <Button size="sm" onClick={() => window.location.reload()}>
        {t("errors.reload")}
      </Button>
    </Notice>
  );
}
