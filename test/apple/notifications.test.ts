import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { isAuthenticNotification, parseNotification } from "../../src/apple/index.js";

const dir = new URL("../fixtures/apple/", import.meta.url);
const load = (name: string): unknown => JSON.parse(readFileSync(new URL(name, dir), "utf8"));

describe("receiving notifications", () => {
  it("parses every notification fixture", () => {
    const files = readdirSync(dir).filter((f) => f.startsWith("notification."));
    expect(files.length).toBeGreaterThan(15);
    for (const file of files) expect(parseNotification(load(file)).ok, file).toBe(true);
  });

  it("dedupe keys tell apart Apple's older examples that reuse one notificationId", () => {
    const keys = [
      "notification.user-management.create.json",
      "notification.user-management.update.older.json",
      "notification.user-management.retire.older.json",
    ].map((f) => {
      const parsed = parseNotification(load(f));
      if (!parsed.ok) throw new Error(parsed.problem);
      return parsed.dedupeKey;
    });
    expect(new Set(keys).size).toBe(3);
    const again = parseNotification(load("notification.user-management.create.json"));
    expect(again.ok && again.dedupeKey).toBe(keys[0]);
  });

  it("reports malformed or unknown notifications instead of throwing", () => {
    expect(parseNotification({ notificationType: "CLIENT_CONFIG_UPDATED", notification: {} })).toMatchObject({
      ok: false,
    });
    expect(parseNotification("nope")).toMatchObject({ ok: false });
  });

  it("checks the bearer notificationAuthToken", () => {
    expect(isAuthenticNotification("Bearer SUp3rS3Cr3t", "SUp3rS3Cr3t")).toBe(true);
    expect(isAuthenticNotification("bearer SUp3rS3Cr3t", "SUp3rS3Cr3t")).toBe(true);
    expect(isAuthenticNotification("Bearer SUp3rS3Cr3", "SUp3rS3Cr3t")).toBe(false);
    expect(isAuthenticNotification("SUp3rS3Cr3t", "SUp3rS3Cr3t")).toBe(false);
    expect(isAuthenticNotification(undefined, "SUp3rS3Cr3t")).toBe(false);
    expect(isAuthenticNotification("Bearer ", "")).toBe(false);
  });
});
