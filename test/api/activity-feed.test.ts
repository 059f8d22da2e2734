import { expect, it } from "vitest";
import { describeEachDatabase } from "../store/databases.js";
import { auth, buildFixture, type Fixture } from "./harness.js";

interface FeedLine {
  action: string;
  deviceId?: string;
  licenseId?: string;
  userId?: string;
  deviceSerialNumber?: string;
}
interface Feed {
  items: FeedLine[];
  next: string;
  hasMore: boolean;
}

/**
 * The activity log as a change feed (invariant 4): an MDM follows every change of its space
 * with a cursor, deletions included, and a malformed or foreign cursor is refused by name.
 */
describeEachDatabase("activity feed API", (db) => {
  let f: Fixture;
  let s = "";
  const get = (query: string, token = f.tokens.read) =>
    f.app.inject({ url: `${s}/activity/feed${query}`, headers: auth(token) });
  /** Follows `next` to the end; again, within a bound, until `until` holds (another file's transaction may hold the feed back). */
  async function follow(after: string, query = "", until: (lines: FeedLine[]) => boolean = () => true) {
    let lines: FeedLine[] = [];
    let next = after;
    for (let round = 0; round < 2400; round++) {
      const r = await get(`?after=${next}&limit=2${query}`);
      expect(r.statusCode, r.body).toBe(200);
      const page = r.json<Feed>();
      lines = [...lines, ...page.items];
      next = page.next;
      if (!page.hasMore && until(lines)) return { lines, next };
      if (!page.hasMore) await new Promise((done) => setTimeout(done, 25));
    }
    throw new Error(`the feed never gave what was expected: ${JSON.stringify(lines)}`);
  }

  it("invariant 4, RV5: an MDM follows the space's changes from a cursor: a deletion comes once, with the device's line", async () => {
    f = await buildFixture(db().store);
    s = `/api/v1/spaces/${f.ids.spaceA}`;
    // From the start: the fixture's grant to userA is there, named.
    const start = await follow("0.0", "", (lines) => lines.some((l) => l.licenseId === f.ids.licenseA));
    expect(start.lines.find((l) => l.licenseId === f.ids.licenseA)).toMatchObject({
      action: "license.granted",
      userId: f.ids.userA,
    });
    // Nothing new: the same cursor (or a later one) and no line.
    const idle = (await get(`?after=${start.next}`)).json<Feed>();
    expect(idle.items).toEqual([]);

    const deleted = await f.app.inject({
      method: "DELETE",
      url: `${s}/devices/${f.ids.deviceA}`,
      headers: auth(f.tokens.write),
    });
    expect(deleted.statusCode, deleted.body).toBe(204);
    const devices = await follow(idle.next, "&about=device", (lines) => lines.length > 0);
    expect(devices.lines).toEqual([
      expect.objectContaining({ action: "mdm.mdm_profile_removed", deviceId: f.ids.deviceA }),
    ]);
    // Read on from there: nothing twice.
    expect((await get(`?after=${devices.next}&about=device`)).json<Feed>().items).toEqual([]);
  });

  it("invariant 4: `now` starts at the end; a token without the space does not see it (invariant 6)", async () => {
    const now = await get("?after=now");
    expect(now.statusCode).toBe(200);
    expect(now.json<Feed>().items).toEqual([]);
    expect(now.json<Feed>().next).toMatch(/^\d+\.\d+$/);
    expect((await get("", f.tokens.none)).statusCode).toBe(404);
  });

  it("a cursor the feed did not give is a 400 naming querystring.after; one from another copy of the database a 410", async () => {
    for (const bad of ["abc", "12", "1.2.3", "-1.0", `${"9".repeat(21)}.0`]) {
      const r = await get(`?after=${encodeURIComponent(bad)}`);
      expect(r.statusCode, bad).toBe(400);
      expect(r.json().errors[0].field).toBe("querystring.after");
    }
    const about = await get("?about=license,printer");
    expect(about.statusCode).toBe(400);
    expect(about.json().errors[0].field).toMatch(/^querystring\.about/);
    const restored = await get("?after=900000000000.5");
    expect(restored.statusCode).toBe(410);
    expect(restored.headers["content-type"]).toMatch(/problem\+json/);
    expect(restored.json()).toMatchObject({
      code: "feed_cursor_unknown",
      errors: [{ field: "querystring.after" }],
    });
  });
});
