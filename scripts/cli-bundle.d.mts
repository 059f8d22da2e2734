/** Bundles src/cli/main.ts into `outfile` (`<root>/<folder>/cli/main.js`): cli-bundle.mjs. */
export function bundleCli(root: string, outfile: string): Promise<void>;
