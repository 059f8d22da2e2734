import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  decryptSecret,
  encryptSecret,
  makeKeyRing,
  needsReseal,
  parseSecretKey,
  StoreError,
} from "../../src/store/index.js";

const keyA = parseSecretKey(randomBytes(32).toString("base64"));
const keyB = parseSecretKey(randomBytes(32).toString("hex"));

describe("sToken encryption (AES-256-GCM, invariant 5)", () => {
  it("round-trips a value", () => {
    const ring = makeKeyRing(keyA);
    expect(decryptSecret(encryptSecret("eyJ0b2tlbiI6ICJzZWNyZXQifQ==", ring), ring)).toBe(
      "eyJ0b2tlbiI6ICJzZWNyZXQifQ==",
    );
  });

  it("gives a different ciphertext each time (random IV) and never contains the plain text", () => {
    const ring = makeKeyRing(keyA);
    const a = encryptSecret("same sToken", ring);
    const b = encryptSecret("same sToken", ring);
    expect(a).not.toBe(b);
    expect(a).not.toContain("same sToken");
    expect(a.startsWith(`v1:${keyA.id}:`)).toBe(true);
  });

  it("refuses to open with the wrong key", () => {
    const sealed = encryptSecret("secret", makeKeyRing(keyA));
    // Same key id claimed, different bytes: GCM's tag check fails.
    const forged = makeKeyRing({ id: keyA.id, bytes: keyB.bytes });
    expect(() => decryptSecret(sealed, forged)).toThrowError(StoreError);
    expect(() => decryptSecret(sealed, makeKeyRing(keyB))).toThrowError(
      expect.objectContaining({ code: "secret_unreadable" }),
    );
  });

  it("refuses a tampered value", () => {
    const ring = makeKeyRing(keyA);
    const parts = encryptSecret("secret", ring).split(":");
    const body = Buffer.from(parts[4] ?? "", "base64");
    body[0] = (body[0] ?? 0) ^ 1;
    parts[4] = body.toString("base64");
    expect(() => decryptSecret(parts.join(":"), ring)).toThrowError(
      expect.objectContaining({ code: "secret_unreadable" }),
    );
  });

  it("rotates: an old key still opens, the new one seals", () => {
    const old = makeKeyRing(keyA);
    const sealed = encryptSecret("secret", old);
    const rotated = makeKeyRing(keyB, [keyA]);
    expect(decryptSecret(sealed, rotated)).toBe("secret");
    expect(needsReseal(sealed, rotated)).toBe(true);
    expect(needsReseal(encryptSecret("secret", rotated), rotated)).toBe(false);
  });

  it("accepts 32-byte keys in base64 or hex only", () => {
    expect(parseSecretKey(Buffer.alloc(32, 1).toString("hex")).bytes).toEqual(Buffer.alloc(32, 1));
    expect(() => parseSecretKey("short")).toThrowError(
      expect.objectContaining({ code: "invalid_secret_key" }),
    );
  });
});
