import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  AppleApiError,
  AppleProtocolError,
  type FetchLike,
  lookupApps,
  MAX_LOOKUP_IDS,
} from "../../src/apple/index.js";

/** Written to the public iTunes lookup format (see test/fixtures/itunes/README.md). */
const fixture = readFileSync(join(import.meta.dirname, "../fixtures/itunes/lookup.response.json"), "utf8");

type Call = { url: URL; init: RequestInit };

/** A fetch answering from `reply`, recording each URL. */
function fakeFetch(reply: (url: URL, n: number) => Response): { fetch: FetchLike; calls: Call[] } {
  const calls: Call[] = [];
  return {
    calls,
    fetch: async (input, init) => {
      const url = new URL(input);
      calls.push({ url, init });
      return reply(url, calls.length);
    },
  };
}

const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });

const fast = { sleep: async () => {}, random: () => 0, retry: { baseDelayMs: 1, maxAttempts: 3 } };

describe("store metadata lookup (public iTunes lookup format)", () => {
  it("VU4, DB5, DB4: reads name, price, genre, bundle id, artwork and version of apps and books", async () => {
    const http = fakeFetch(() => new Response(fixture, { status: 200 }));
    const results = await lookupApps({
      baseUrl: "https://itunes.example.test",
      adamIds: ["361285480", "1234567890", "881256329"],
      fetch: http.fetch,
      ...fast,
    });
    expect(http.calls).toHaveLength(1);
    const url = http.calls[0]?.url;
    expect(url?.pathname).toBe("/lookup");
    expect(url?.searchParams.get("id")).toBe("361285480,1234567890,881256329");
    expect(url?.searchParams.get("country")).toBe("us");
    expect(url?.searchParams.get("entity")).toBe("software");
    expect(results[0]).toEqual({
      adamId: "361285480",
      custom: false,
      kind: "app",
      name: "Keynote",
      bundleId: "com.apple.Keynote",
      version: "14.2",
      artworkUrl: "https://is1-ssl.mzstatic.com/image/thumb/Purple/v4/keynote/512x512bb.jpg",
      genre: "Productivity",
      genres: ["Productivity", "Business"],
      price: 0,
      currency: "USD",
      deviceBasedLicensing: true,
      supportedDevices: ["iPhone15-iPhone15", "iPadPro11M4-iPadPro11M4"],
    });
    // Artwork falls back to the largest size given; no supportedDevices is fine.
    expect(results[1]).toMatchObject({
      name: "Class Timetable",
      price: 2.99,
      genre: "Education",
      artworkUrl: "https://is1-ssl.mzstatic.com/image/thumb/Purple/v4/timetable/100x100bb.jpg",
      supportedDevices: undefined,
    });
    // A book: no bundle id or version, genre from `genres`.
    expect(results[2]).toMatchObject({
      adamId: "881256329",
      kind: "book",
      name: "The Swift Programming Language",
      genre: "Computers",
      bundleId: undefined,
      version: undefined,
    });
  });

  it("DB5: ids the public lookup does not return are custom (B2B) apps; unreadable or unasked results are skipped", async () => {
    const http = fakeFetch(() =>
      json({
        resultCount: 3,
        results: [
          { wrapperType: "software", trackId: 1, trackName: "Public", version: "1.0" },
          { wrapperType: "artist", artistId: 77, artistName: "Someone" }, // a related item: no trackId
          { wrapperType: "software", trackId: 999, trackName: "Not asked for" },
        ],
      }),
    );
    const results = await lookupApps({
      baseUrl: "https://itunes.example.test/",
      adamIds: ["1", "2", "1"],
      fetch: http.fetch,
      ...fast,
    });
    expect(results).toEqual([
      expect.objectContaining({ adamId: "1", custom: false, name: "Public" }),
      { adamId: "2", custom: true },
    ]);
  });

  it(`batches at most ${MAX_LOOKUP_IDS} ids per call, and accepts a base URL that already ends in /lookup`, async () => {
    const http = fakeFetch((url) =>
      json({
        resultCount: 0,
        results: (url.searchParams.get("id") ?? "")
          .split(",")
          .map((id) => ({ wrapperType: "software", trackId: Number(id), trackName: `App ${id}` })),
      }),
    );
    const ids = Array.from({ length: 250 }, (_, i) => String(100_000 + i));
    const results = await lookupApps({
      baseUrl: "https://uclient.example.test/wa/lookup",
      adamIds: ids,
      country: "FR",
      fetch: http.fetch,
      ...fast,
    });
    expect(http.calls.map((c) => c.url.searchParams.get("id")?.split(",").length)).toEqual([100, 100, 50]);
    expect(http.calls.every((c) => c.url.pathname === "/wa/lookup")).toBe(true);
    expect(http.calls[0]?.url.searchParams.get("country")).toBe("fr");
    expect(results.map((r) => r.adamId)).toEqual(ids);
    expect(results.every((r) => !r.custom && r.name === `App ${r.adamId}`)).toBe(true);
  });

  it("retries 429 and 5xx honouring Retry-After, like the rest of the client, then gives up", async () => {
    const waits: number[] = [];
    const http = fakeFetch((_url, n) =>
      n === 1 ? json({}, 429, { "retry-after": "2" }) : n === 2 ? json({}, 503) : new Response(fixture),
    );
    const results = await lookupApps({
      baseUrl: "https://itunes.example.test",
      adamIds: ["361285480"],
      fetch: http.fetch,
      ...fast,
      sleep: async (ms) => void waits.push(ms),
    });
    expect(results[0]).toMatchObject({ name: "Keynote" });
    expect(waits[0]).toBeGreaterThanOrEqual(2000);
    expect(http.calls).toHaveLength(3);

    const down = fakeFetch(() => json({}, 503));
    await expect(
      lookupApps({ baseUrl: "https://x.test", adamIds: ["1"], fetch: down.fetch, ...fast }),
    ).rejects.toBeInstanceOf(AppleApiError);
    expect(down.calls).toHaveLength(3);
    const refused = fakeFetch(() => json({}, 400));
    await expect(
      lookupApps({ baseUrl: "https://x.test", adamIds: ["1"], fetch: refused.fetch, ...fast }),
    ).rejects.toMatchObject({ httpStatus: 400 });
    expect(refused.calls).toHaveLength(1);
  });

  it("refuses an answer that is not the lookup format (e.g. the MDM lockup's results object)", async () => {
    const http = fakeFetch(() => json({ results: { "361285480": { name: "Keynote" } } }));
    await expect(
      lookupApps({ baseUrl: "https://x.test", adamIds: ["361285480"], fetch: http.fetch, ...fast }),
    ).rejects.toBeInstanceOf(AppleProtocolError);
  });
});
