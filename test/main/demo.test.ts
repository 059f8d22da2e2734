import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { startOrchard } from "../../src/main/start.js";
import { listAccounts, listNotifications } from "../../src/store/index.js";

const dataDir = mkdtempSync(join(tmpdir(), "orchard-demo-"));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
const config = () => loadConfig({ ORCHARD_DATA_DIR: dataDir, PORT: "0", LOG_LEVEL: "silent" });

it("npm start: the demo seeds two accounts in priority order, users, devices and usage near the thresholds, once", async () => {
  const lines: string[] = [];
  const first = await startOrchard((l) => lines.push(l), config());
  try {
    const space = await first.store.db
      .selectFrom("spaces")
      .select("id")
      .where("is_default", "=", true)
      .executeTakeFirstOrThrow();
    const accounts = await listAccounts(first.store.db, space.id);
    expect(accounts.map((a) => [a.displayName, a.priority])).toEqual([
      ["Main Campus", 1],
      ["North Campus", 2],
    ]);
    // One token close to expiry (the 7-day warning, NT2's sibling) and usage notifications (NT1).
    const north = accounts[1];
    expect(north?.tokenExpiresAt && north.tokenExpiresAt.getTime() - Date.now()).toBeLessThan(7 * 86_400_000);
    // Apple's confirmations come back through the in-process worker: wait for them, bounded.
    let alert = false;
    for (let i = 0; i < 100 && !alert; i++) {
      const notes = await listNotifications(first.store.db, space.id);
      alert = notes.some((n) => n.kind === "license_usage" && n.threshold === 90);
      if (!alert) await new Promise((r) => setTimeout(r, 200));
    }
    expect(alert).toBe(true);
    const users = await first.store.db
      .selectFrom("users")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .executeTakeFirstOrThrow();
    expect(Number(users.n)).toBe(240);
    // Devices as an MDM names them (0050): every one with a name, a model and an OS version.
    const devices = await first.store.db
      .selectFrom("devices")
      .select(["serial_number", "name", "model", "os_version"])
      .where("space_id", "=", space.id)
      .where("serial_number", "in", ["DMPQ0000", "DMPS0002", "C02D0001"])
      .orderBy("serial_number")
      .execute();
    expect(devices).toEqual([
      {
        serial_number: "C02D0001",
        name: expect.stringMatching(/^\S.*'s Mac$/),
        model: "MacBook Air (M1, 2020)",
        os_version: "14.4.1",
      },
      {
        serial_number: "DMPQ0000",
        name: expect.stringMatching(/^\S.*'s iPad$/),
        model: "iPad (10th generation)",
        os_version: "17.5.1",
      },
      {
        serial_number: "DMPS0002",
        name: "Library cart iPad 03",
        model: "iPad (9th generation)",
        os_version: "17.5.1",
      },
    ]);
    const unnamed = await first.store.db
      .selectFrom("devices")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where((eb) => eb.or([eb("name", "is", null), eb("model", "is", null), eb("os_version", "is", null)]))
      .executeTakeFirstOrThrow();
    expect(Number(unnamed.n)).toBe(0);
    expect(lines.join("\n")).toMatch(/Sign in as admin \/ \S+/);
    expect(statSync(join(dataDir, "demo-admin.json")).mode & 0o777).toBe(0o600);
  } finally {
    await first.close();
  }
  const again: string[] = [];
  const second = await startOrchard((l) => again.push(l), config());
  try {
    const counts = await second.store.db
      .selectFrom("accounts")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .executeTakeFirstOrThrow();
    expect(Number(counts.n)).toBe(2);
    expect(again.join("\n")).not.toMatch(/Seeding the demo/);
    expect(again.join("\n")).toMatch(/Sign in as admin/);
  } finally {
    await second.close();
  }
}, 120_000);
