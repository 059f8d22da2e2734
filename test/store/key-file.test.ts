import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { toCliError } from "../../src/cli/error-map.js";
import { ConfigError, loadConfig } from "../../src/config.js";
import { decryptSecret, encryptSecret, keyFromBytes, makeKeyRing } from "../../src/store/crypto.js";
import { loadKeyRing } from "../../src/store/key-file.js";

/**
 * Invariant 5's key, as an operator meets it: a key that cannot be read is the
 * configuration's fault (exit 2) and says where it came from; sTokens sealed under
 * another key say what to do.
 */
describe("the secret key", () => {
  it("invariant 5: a bad ORCHARD_SECRET_KEY is refused with the other variables, saying what a key is", () => {
    expect(loadConfig({ ORCHARD_SECRET_KEY: randomBytes(32).toString("base64") }).secretKey).toBeDefined();
    expect(() => loadConfig({ ORCHARD_SECRET_KEY: "short" })).toThrowError(ConfigError);
    expect(() => loadConfig({ ORCHARD_SECRET_KEY: "short" })).toThrowError(
      /ORCHARD_SECRET_KEY: must be 32 bytes, in base64 or hex/,
    );
  });

  it("invariant 5: a damaged key file is named, with what losing it means; the CLI exits 2", async () => {
    const dir = await mkdtemp(join(tmpdir(), "orchard-key-"));
    try {
      const path = join(dir, "secret.key");
      await writeFile(path, "not a key\n", { mode: 0o600 });
      let error: unknown;
      try {
        loadKeyRing({ keyFile: path });
      } catch (e) {
        error = e;
      }
      expect(String(error)).toContain(`key file ${path} is damaged`);
      expect(String(error)).toContain("restore it from a backup");
      expect(toCliError(error).exitCode).toBe(2);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("invariant 5: a value sealed under a key Orchard no longer has says which key to bring back", () => {
    const sealed = encryptSecret("sToken", makeKeyRing(keyFromBytes(randomBytes(32))));
    const other = makeKeyRing(keyFromBytes(randomBytes(32)));
    expect(() => decryptSecret(sealed, other)).toThrowError(
      /another ORCHARD_SECRET_KEY or secret\.key; use that key again, or upload the tokens again/,
    );
  });
});
