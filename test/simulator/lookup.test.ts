/**
 * The store's metadata lookup the simulator serves (GET /lookup, the public iTunes lookup
 * format) for VU4 names and prices, DB5's custom/genre and DB4's versions; the operator's
 * publishVersion; the metadata kept in the state file.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { lookupApps } from "../../src/apple/index.js";
import { type RunningSimulator, startSimulator } from "../../src/simulator/index.js";

const running: RunningSimulator[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const sim of running.splice(0)) await sim.close().catch(() => undefined);
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function start(stateFile?: string): Promise<RunningSimulator> {
  const sim = await startSimulator({
    eventDelayMs: 5,
    enforceRateLimit: false,
    ...(stateFile ? { stateFile } : {}),
  });
  running.push(sim);
  return sim;
}

type Lookup = { resultCount: number; results: Array<Record<string, unknown>> };

async function lookup(sim: RunningSimulator, ids: string[], country = "us"): Promise<Lookup> {
  const response = await fetch(`${sim.origin}/lookup?id=${ids.join(",")}&country=${country}&entity=software`);
  expect(response.status).toBe(200);
  return (await response.json()) as Lookup;
}

describe("simulator: store metadata lookup", () => {
  it("VU4, DB5: /service/config points contentMetadataLookup at /lookup, which answers the iTunes format without custom apps", async () => {
    const sim = await start();
    const config = (await (await fetch(`${sim.url}/service/config`)).json()) as {
      urls: { contentMetadataLookup: string };
    };
    expect(config.urls.contentMetadataLookup).toBe(`${sim.origin}/lookup`);
    const { uId } = sim.operator.createLocation({ orgName: "Org" });
    sim.operator.addAsset(uId, {
      adamId: "361285480",
      totalCount: 5,
      name: "Keynote",
      bundleId: "com.apple.Keynote",
      version: "14.2",
      genre: "Productivity",
      price: 0,
    });
    sim.operator.addAsset(uId, {
      adamId: "700000001",
      totalCount: 5,
      name: "Acme Field Service",
      custom: true,
    });
    sim.operator.addAsset(uId, { adamId: "700000002", totalCount: 1, productType: "Book" });
    sim.operator.addAsset(uId, { adamId: "700000003", totalCount: 1 }); // metadata generated
    const body = await lookup(sim, ["361285480", "700000001", "700000002", "700000003", "123"]);
    expect(body.resultCount).toBe(3);
    expect(body.results[0]).toMatchObject({
      wrapperType: "software",
      kind: "software",
      trackId: 361285480,
      trackName: "Keynote",
      bundleId: "com.apple.Keynote",
      version: "14.2",
      primaryGenreName: "Productivity",
      genres: ["Productivity"],
      price: 0,
      currency: "USD",
    });
    expect(body.results[1]).toMatchObject({ wrapperType: "ebook", kind: "ebook", trackId: 700000002 });
    expect(body.results[2]).toMatchObject({
      trackId: 700000003,
      trackName: expect.stringMatching(/^\w+ \w+$/),
    });
    // Our client reads it; the custom app and the unknown id are reported custom.
    const read = await lookupApps({
      baseUrl: config.urls.contentMetadataLookup,
      adamIds: ["361285480", "700000001"],
    });
    expect(read.map((r) => [r.adamId, r.custom])).toEqual([
      ["361285480", false],
      ["700000001", true],
    ]);
  });

  it("VU4: seeded apps get realistic generated names, one in ten custom", async () => {
    const sim = await start();
    const { uId } = sim.operator.createLocation({ orgName: "Org" });
    sim.operator.seed(uId, { apps: 20, licensesPerApp: 2 });
    const ids = sim.operator.snapshot(uId).assets.map((a) => a.adamId);
    const body = await lookup(sim, ids);
    expect(body.resultCount).toBe(18);
    for (const r of body.results) {
      expect(r.trackName).toMatch(/^[A-Z][a-z]+ [A-Z][a-z]+$/);
      expect(typeof r.price).toBe("number");
      expect(r.version).toMatch(/^\d+\.\d+\.\d+$/);
    }
  });

  it("DB4: publishVersion (in process and POST /operator/apps/:adamId/version) changes what /lookup answers, and the state file keeps it", async () => {
    const dir = await mkdtemp(join(tmpdir(), "orchard-sim-lookup-"));
    dirs.push(dir);
    const file = join(dir, "state.json");
    const sim = await start(file);
    const { uId } = sim.operator.createLocation({ orgName: "Org" });
    sim.operator.addAsset(uId, { adamId: "361285480", totalCount: 1, name: "Keynote", version: "14.2" });
    sim.operator.publishVersion("361285480", "14.3");
    expect((await lookup(sim, ["361285480"])).results[0]?.version).toBe("14.3");
    const posted = await fetch(`${sim.origin}/operator/apps/361285480/version`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ version: "15.0" }),
    });
    expect(posted.status).toBe(200);
    expect((await lookup(sim, ["361285480"])).results[0]?.version).toBe("15.0");
    const unknown = await fetch(`${sim.origin}/operator/apps/1/version`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ version: "1.0" }),
    });
    expect(unknown.status).toBe(400);

    running.splice(running.indexOf(sim), 1);
    await sim.close();
    const saved = JSON.parse(await readFile(file, "utf8")) as { version: number; metadata: unknown[] };
    expect(saved.version).toBe(1); // an optional field, no format bump
    expect(saved.metadata).toEqual([expect.objectContaining({ adamId: "361285480", version: "15.0" })]);
    const again = await start(file);
    expect((await lookup(again, ["361285480"])).results[0]).toMatchObject({
      trackName: "Keynote",
      version: "15.0",
    });
  });

  it("VU4: each storefront lists what it sells, priced in its currency, and the state file keeps where an app is sold", async () => {
    const dir = await mkdtemp(join(tmpdir(), "orchard-sim-lookup-"));
    dirs.push(dir);
    const file = join(dir, "state.json");
    const sim = await start(file);
    const { uId } = sim.operator.createLocation({ orgName: "Lycée", countryISO2ACode: "FR" });
    sim.operator.addAsset(uId, {
      adamId: "700000010",
      totalCount: 1,
      name: "Pronote",
      price: 3.99,
      storefronts: ["fr"],
    });
    sim.operator.addAsset(uId, { adamId: "361285480", totalCount: 1, name: "Keynote", price: 4.99 });
    const ids = ["700000010", "361285480"];
    expect((await lookup(sim, ids, "us")).results.map((r) => r.trackName)).toEqual(["Keynote"]);
    const french = await lookup(sim, ids, "fr");
    expect(french.results.map((r) => [r.trackName, r.currency, r.formattedPrice])).toEqual([
      ["Pronote", "EUR", "€3.99"],
      ["Keynote", "EUR", "€4.99"],
    ]);
    running.splice(running.indexOf(sim), 1);
    await sim.close();
    const again = await start(file);
    expect((await lookup(again, ids, "us")).resultCount).toBe(1);
    expect((await lookup(again, ids, "FR")).resultCount).toBe(2);
  });
});
