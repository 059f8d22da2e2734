/** Bundles src/cli/main.ts into `outdir` (`<root>/<folder>/<build>`); its entry's path: cli-bundle.mjs. */
export function bundleCli(root: string, outdir: string): Promise<string>;
