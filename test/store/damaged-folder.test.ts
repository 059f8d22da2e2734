import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { toCliError } from "../../src/cli/error-map.js";
import { openDatabase } from "../../src/store/index.js";
import { pgliteTemplate, TEST_SECRET_KEY } from "./databases.js";

it("an embedded database folder PGlite cannot open is named with the fix, not PGlite's 'Aborted()'; the folder stays unlocked", async () => {
  const dataDir = await mkdtemp(join(tmpdir(), "orchard-damaged-"));
  try {
    // Created from the migrated template (initdb and every migration on disk took seconds).
    await (
      await openDatabase({ dataDir, secretKey: TEST_SECRET_KEY, pgliteTemplate: await pgliteTemplate() })
    ).close();
    await rm(join(dataDir, "pglite", "global", "pg_control"));
    let error: unknown;
    try {
      await openDatabase({ dataDir, secretKey: TEST_SECRET_KEY });
    } catch (e) {
      error = e;
    }
    const cli = toCliError(error);
    expect(cli.message).toBe(
      `the embedded database in ${join(dataDir, "pglite")} cannot be opened: it is damaged or was written by another PGlite; restore the data folder from a backup`,
    );
    expect(cli.exitCode).toBe(4);
    // The lock went with the failure: the next try meets the folder, not "in use".
    await expect(openDatabase({ dataDir, secretKey: TEST_SECRET_KEY })).rejects.toThrow(/cannot be opened/);
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});
