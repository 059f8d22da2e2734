/**
 * The state file (SimulatorOptions.stateFile): a restarted simulator answers exactly as
 * before (locations, tokens, assets, users, assignments, events, client config,
 * versionIds), damaged files are refused, the file is private, and ids are reproducible.
 */
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  decodeSToken,
  type RunningSimulator,
  type SimulatorOptions,
  StateFileError,
  startSimulator,
} from "../../src/simulator/index.js";
import { runStandaloneSimulator } from "../../src/simulator/main.js";
import { type Json, Receiver } from "./helpers.js";

let dir: string;
let file: string;
const running: RunningSimulator[] = [];
const receivers: Receiver[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "orchard-sim-state-"));
  file = join(dir, "simulator.json");
});
afterEach(async () => {
  for (const sim of running.splice(0)) await sim.close().catch(() => undefined);
  for (const receiver of receivers.splice(0)) await receiver.close();
  await rm(dir, { recursive: true, force: true });
});

const BASE: SimulatorOptions = {
  eventDelayMs: 5,
  enforceRateLimit: false,
  notificationRetryDelayMs: 5,
  pageSize: 3,
  seed: 7,
};

async function start(options: SimulatorOptions = {}): Promise<RunningSimulator> {
  const sim = await startSimulator({ ...BASE, stateFile: file, ...options });
  running.push(sim);
  return sim;
}

async function close(sim: RunningSimulator): Promise<void> {
  running.splice(running.indexOf(sim), 1);
  await sim.close();
}

interface Reply {
  status: number;
  body: Json;
}

async function call(sim: RunningSimulator, sToken: string, path: string, body?: unknown): Promise<Reply> {
  const response = await fetch(`${sim.url}${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: {
      authorization: `Bearer ${sToken}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Json) : {} };
}

/** Every page of a paged GET, concatenated. */
async function allPages(
  sim: RunningSimulator,
  sToken: string,
  path: string,
  key: string,
): Promise<unknown[]> {
  const items: unknown[] = [];
  for (let page = 0; ; page++) {
    const sep = path.includes("?") ? "&" : "?";
    const reply = await call(sim, sToken, `${path}${sep}pageIndex=${page}`);
    expect(reply.status, `${path} page ${page}: ${JSON.stringify(reply.body)}`).toBe(200);
    items.push(...(reply.body[key] as unknown[]));
    if (reply.body.nextPageIndex === undefined) return items;
  }
}

async function submit(sim: RunningSimulator, sToken: string, path: string, body: unknown): Promise<string> {
  const reply = await call(sim, sToken, path, body);
  expect(reply.status, JSON.stringify(reply.body)).toBe(200);
  return String(reply.body.eventId);
}

const serials = (from: number, n: number) => Array.from({ length: n }, (_, i) => `C02SN${from + i}`);

describe("simulator state file", () => {
  it("restores locations, tokens, assets, users, assignments, events and client config", async () => {
    const receiver = new Receiver();
    receivers.push(receiver);
    const notifyUrl = await receiver.start();
    const first = await start();
    const op = first.operator;
    const main = op.createLocation({ orgName: "Orchard School", locationName: "Main" });
    const revoked = op.createLocation({ orgName: "Orchard School", locationName: "Old" });
    const expired = op.createLocation({ orgName: "Orchard School", locationName: "Expired" });
    op.addAsset(main.uId, { adamId: "361309726", totalCount: 20 });
    op.addAsset(main.uId, { adamId: "1100000001", productType: "Book", totalCount: 5 });
    op.buy(main.uId, "361309726", 5);
    op.refund(main.uId, "1100000001", 1);
    op.buy(main.uId, "408709785", 3, "PLUS");
    const t = main.sToken;
    const created = await submit(first, t, "/users/create", {
      users: [
        { clientUserId: "u-1", email: "one@example.com" },
        { clientUserId: "u-2", email: "two@example.com" },
        { clientUserId: "u-3", managedAppleId: "three@school.appleid.com" },
      ],
    });
    await op.idle();
    op.acceptInvitation(main.uId, "u-1");
    const versionBefore = String((await call(first, t, "/assignments")).body.versionId);
    const events = [
      created,
      await submit(first, t, "/assets/associate", {
        assets: [{ adamId: "361309726" }],
        serialNumbers: serials(0, 4),
        clientUserIds: ["u-1", "u-2"],
      }),
      await submit(first, t, "/assets/associate", {
        assets: [{ adamId: "1100000001" }],
        clientUserIds: ["u-1", "u-2"],
      }),
      await submit(first, t, "/assets/associate", {
        assets: [{ adamId: "408709785", pricingParam: "PLUS" }],
        clientUserIds: ["u-3", "nobody"],
      }),
    ];
    await op.idle();
    events.push(
      await submit(first, t, "/assets/disassociate", {
        assets: [{ adamId: "361309726" }],
        serialNumbers: [serials(0, 1)[0]],
      }),
      await submit(first, t, "/users/retire", { users: [{ clientUserId: "u-2" }] }),
    );
    await op.idle();
    const config = await call(first, t, "/client/config", {
      mdmInfo: { id: "orchard-demo", name: "Orchard", metadata: "0.1.0" },
      notificationUrl: notifyUrl,
      notificationAuthToken: "n0tify-s3cret",
      notificationTypes: ["ASSET_COUNT", "ASSET_MANAGEMENT"],
    });
    expect(config.status).toBe(200);
    op.revokeToken(revoked.uId);
    op.expireToken(expired.uId);
    op.setLimits({ maxUsers: 42 });

    const picture = async (sim: RunningSimulator) => ({
      locations: sim.operator.locations(),
      tokens: sim.operator.locations().map((l) => sim.operator.currentToken(l.uId)),
      snapshot: sim.operator.snapshot(main.uId),
      assignments: [...sim.operator.assignments(main.uId)],
      assets: await allPages(sim, t, "/assets", "assets"),
      rows: await allPages(sim, t, "/assignments?includeUserState=true", "assignments"),
      byUser: await allPages(sim, t, "/assignments?clientUserId=u-1", "assignments"),
      since: await allPages(sim, t, `/assignments?sinceVersionId=${versionBefore}`, "assignments"),
      users: await allPages(sim, t, "/users", "users"),
      usersSince: await allPages(sim, t, `/users?sinceVersionId=${versionBefore}`, "users"),
      versionId: (await call(sim, t, "/assignments")).body.versionId,
      config: (await call(sim, t, "/client/config")).body,
      status: await Promise.all(events.map(async (id) => (await call(sim, t, `/status?eventId=${id}`)).body)),
      limits: (await call(sim, t, "/service/config")).body.limits,
      revoked: (await call(sim, revoked.sToken, "/assets")).body.errorNumber,
      expired: (await call(sim, expired.sToken, "/assets")).body.errorNumber,
    });
    const before = await picture(first);
    expect(before.snapshot.assignmentCount).toBe(7);
    expect(before.revoked).toBe(9625);
    expect(before.expired).toBe(9621);
    expect(before.since.length).toBeGreaterThan(0);
    await close(first);

    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await readdir(dir)).filter((f) => f.endsWith(".tmp"))).toEqual([]);
    const raw = JSON.parse(await readFile(file, "utf8")) as Json;
    expect(raw).toMatchObject({ format: "orchard-simulator-state", version: 1 });

    const second = await start({ seed: 99 }); // the saved id stream wins over a different seed
    const after = await picture(second);
    expect(after).toEqual(before);
    expect(second.operator.currentToken(revoked.uId).status).toBe("revoked");

    // After the restart: versions move forward, a saved sinceVersionId sees only newer changes,
    // new ids do not repeat old ones, and notifications still reach the saved URL.
    const lastVersion = String(before.versionId);
    await submit(second, t, "/assets/associate", {
      assets: [{ adamId: "361309726" }],
      serialNumbers: ["C02NEW0001"],
    });
    await second.operator.idle();
    const newer = await call(second, t, `/assignments?sinceVersionId=${lastVersion}`);
    expect(newer.body.assignments).toEqual([
      { adamId: "361309726", pricingParam: "STDQ", serialNumber: "C02NEW0001" },
    ]);
    expect(String(newer.body.versionId) > lastVersion).toBe(true);
    const again = await allPages(second, t, `/assignments?sinceVersionId=${versionBefore}`, "assignments");
    expect(again).toEqual([...before.since, ...(newer.body.assignments as unknown[])]);
    const fresh = second.operator.createLocation({ orgName: "Later" });
    expect(before.locations.map((l) => l.uId)).not.toContain(fresh.uId);
    second.operator.buy(main.uId, "361309726", 2);
    const count = await receiver.next((n) => n.body.notificationType === "ASSET_COUNT");
    expect(count.headers.authorization).toBe("Bearer n0tify-s3cret");
  });

  it("completes events still pending at close before the final save", async () => {
    const first = await start({ eventDelayMs: 60_000 });
    const { uId, sToken } = first.operator.createLocation({ orgName: "Org" });
    first.operator.addAsset(uId, { adamId: "361309726", totalCount: 3 });
    const eventId = await submit(first, sToken, "/assets/associate", {
      assets: [{ adamId: "361309726" }],
      serialNumbers: serials(0, 2),
    });
    expect((await call(first, sToken, `/status?eventId=${eventId}`)).body.eventStatus).toBe("PENDING");
    await close(first);
    const second = await start();
    expect((await call(second, sToken, `/status?eventId=${eventId}`)).body).toMatchObject({
      eventStatus: "COMPLETE",
      numCompleted: 2,
    });
    expect(second.operator.snapshot(uId).assignmentCount).toBe(2);
  });

  it("loads an event saved while pending (the process died) as FAILED 9603, not applied", async () => {
    const first = await start({ eventDelayMs: 60_000 });
    const { uId, sToken } = first.operator.createLocation({ orgName: "Org" });
    first.operator.addAsset(uId, { adamId: "361309726", totalCount: 3 });
    const eventId = await submit(first, sToken, "/assets/associate", {
      assets: [{ adamId: "361309726" }],
      serialNumbers: serials(0, 2),
    });
    await first.save();
    const crashed = join(dir, "crashed.json");
    await writeFile(crashed, await readFile(file));
    const second = await start({ stateFile: crashed });
    expect((await call(second, sToken, `/status?eventId=${eventId}`)).body).toMatchObject({
      eventStatus: "FAILED",
      numCompleted: 0,
      failures: [{ errorNumber: 9603 }],
    });
    expect(second.operator.snapshot(uId).assignmentCount).toBe(0);
  });

  it("refuses a corrupt, truncated, foreign or inconsistent file with an error naming it, and keeps it", async () => {
    const sim = await start();
    const { uId } = sim.operator.createLocation({ orgName: "Org" });
    sim.operator.seed(uId, { apps: 2, licensesPerApp: 10, users: 2, assignments: 5 });
    await close(sim);
    const good = await readFile(file, "utf8");
    const state = JSON.parse(good) as { locations: Array<{ assets: Array<{ assignedCount: number }> }> };
    const asset = state.locations[0]?.assets[0];
    if (asset) asset.assignedCount = 1;
    const cases: Array<[string, string, RegExp]> = [
      ["corrupt", "{not json", /not JSON/],
      ["truncated", good.slice(0, Math.floor(good.length / 2)), /not JSON/],
      ["empty", "", /not JSON/],
      [
        "foreign",
        JSON.stringify({ name: "orchard", version: "0.1.0" }),
        /not an orchard-simulator-state file/,
      ],
      ["future", JSON.stringify({ format: "orchard-simulator-state", version: 2 }), /version 2/],
      ["inconsistent", JSON.stringify(state), /counts 1 assigned, rows say 3/],
    ];
    for (const [name, text, reason] of cases) {
      const path = join(dir, `${name}.json`);
      await writeFile(path, text);
      const error = await startSimulator({ ...BASE, stateFile: path }).then(
        (s) => {
          running.push(s);
          return undefined;
        },
        (e: unknown) => e,
      );
      expect(error, name).toBeInstanceOf(StateFileError);
      expect((error as Error).message, name).toContain(path);
      expect((error as Error).message, name).toMatch(reason);
      expect(await readFile(path, "utf8"), name).toBe(text);
    }
  });

  it("saves in the background after changes, debounced", async () => {
    const sim = await start({ stateSaveDelayMs: 20 });
    sim.operator.createLocation({ orgName: "Org" });
    for (let i = 0; i < 100; i++) {
      const saved = await readFile(file, "utf8").catch(() => "");
      if (saved.includes('"orgName":"Org"')) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error("the state file was not written after a change");
  });

  it("gives the same uIds, sTokens and invite codes for the same seed and operator calls", async () => {
    const now = () => new Date("2030-01-01T00:00:00Z");
    const run = async (seed: number) => {
      const sim = await startSimulator({ ...BASE, seed, now });
      running.push(sim);
      const a = sim.operator.createLocation({ orgName: "A" });
      const b = sim.operator.createLocation({ orgName: "B", locationName: "B1" });
      sim.operator.seed(b.uId, { apps: 1, licensesPerApp: 5, users: 4 });
      const renewed = sim.operator.renewToken(a.uId);
      const users = await allPages(sim, b.sToken, "/users", "users");
      await close(sim);
      return { a, b, renewed, users };
    };
    const one = await run(3);
    expect(await run(3)).toEqual(one);
    expect((await run(4)).a.uId).not.toBe(one.a.uId);
  });

  it("with the real clock, the same seed gives the same token secret, so an old sToken still works", async () => {
    const earlier = await startSimulator({ ...BASE, seed: 11 });
    running.push(earlier);
    const old = earlier.operator.createLocation({ orgName: "Demo" });
    await close(earlier);
    await new Promise((resolve) => setTimeout(resolve, 1100)); // expDate moves on a second
    const later = await startSimulator({ ...BASE, seed: 11 });
    running.push(later);
    const now = later.operator.createLocation({ orgName: "Demo" });
    expect(now.uId).toBe(old.uId);
    expect(decodeSToken(now.sToken)?.token).toBe(decodeSToken(old.sToken)?.token);
    expect((await call(later, old.sToken, "/assets")).status).toBe(200);
  });

  it("round-trips 100,000 assignments (computed and interned serial numbers) within a few seconds", async () => {
    const sim = await start({ pageSize: 1000, stateSaveDelayMs: 60_000 });
    const { uId, sToken } = sim.operator.createLocation({ orgName: "Big" });
    sim.operator.seed(uId, { apps: 4, licensesPerApp: 20_000, users: 100, assignments: 60_000 });
    sim.operator.addAsset(uId, { adamId: "361309726", totalCount: 40_000 });
    for (let i = 0; i < 40; i++) {
      await submit(sim, sToken, "/assets/associate", {
        assets: [{ adamId: "361309726" }],
        serialNumbers: serials(i * 1000, 1000),
      });
    }
    await sim.operator.idle();
    const before = [...sim.operator.assignments(uId)];
    expect(before).toHaveLength(100_000);
    const saveStart = performance.now();
    await close(sim);
    const saveMs = performance.now() - saveStart;
    const loadStart = performance.now();
    const again = await start({ pageSize: 1000 });
    const loadMs = performance.now() - loadStart;
    const size = (await stat(file)).size;
    expect([...again.operator.assignments(uId)]).toEqual(before);
    expect(again.operator.snapshot(uId).assignmentCount).toBe(100_000);
    const page = await call(again, sToken, "/assignments?serialNumber=C02SN39999");
    expect(page.body.assignments).toEqual([
      { adamId: "361309726", pricingParam: "STDQ", serialNumber: "C02SN39999" },
    ]);
    // Generous bounds for slow CI machines; typical figures are far lower (see the report).
    expect(saveMs).toBeLessThan(5000);
    expect(loadMs).toBeLessThan(5000);
    expect(size).toBeLessThan(4_000_000); // about 20 bytes an assignment here
  });

  it("orchard simulator --state: seeds demo locations once, then prints the saved sTokens", async () => {
    const lines: string[] = [];
    const print = (line: string) => lines.push(line);
    const first = await runStandaloneSimulator({ port: 0, stateFile: file, print });
    running.push(first);
    expect(first.locations).toHaveLength(2);
    await close(first);
    lines.length = 0;
    const second = await runStandaloneSimulator({ port: 0, stateFile: file, print });
    running.push(second);
    expect(second.locations).toEqual(first.locations);
    expect(second.operator.locations()).toHaveLength(2);
    expect(lines.some((l) => l.includes("2 saved locations restored"))).toBe(true);
    for (const location of first.locations) expect(lines).toContain(location.sToken);
  });
});
