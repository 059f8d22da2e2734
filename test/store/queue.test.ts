import { randomUUID } from "node:crypto";
import { sql } from "kysely";
import { expect, it } from "vitest";
import type { LicenseRequest } from "../../src/licensing/index.js";
import {
  createDevice,
  createUsers,
  getLicense,
  listWaitingRequests,
  requestLicenses,
} from "../../src/store/index.js";
import { type QueuePosition, waitingAfter } from "../../src/store/sync-licenses.repo.js";
import { describeEachDatabase } from "./databases.js";
import { accountWithSeats, devices, NOW, SYSTEM, spaceWithApp, userBasedForAll } from "./fixtures.js";

const at = (minutes: number) => new Date(NOW.getTime() + minutes * 60_000);

describeEachDatabase("the waiting queue's order of request", (database) => {
  it("DB2, UB3: each grant of a batch keeps when its subject first asked: its queue row's time (a device's, for the user-based license it gets), else the batch's", async () => {
    const { db, keys } = database().store;
    const { space, adamId } = await spaceWithApp(db, "409183694");
    const { account } = await accountWithSeats(db, keys, { spaceId: space.id, adamId, total: 0 });
    // Mandatory installs take user-based licenses (DI2): the device's user holds the license.
    await userBasedForAll(db, { spaceId: space.id, accountId: account.id, adamId });
    const [owner, asker, newcomer] = await createUsers(
      db,
      ["owner", "asker", "newcomer"].map((name) => ({
        spaceId: space.id,
        name,
        appleClientUserId: `${name}-${randomUUID()}`,
        appleStatus: "Associated" as const,
      })),
    );
    if (!owner || !asker || !newcomer) throw new Error("3 users");
    const device = await createDevice(db, {
      spaceId: space.id,
      serialNumber: `Q${randomUUID().slice(0, 8)}`,
      platform: "iOS",
      supervised: true,
      userId: owner.id,
    });
    const ofDevice: LicenseRequest = {
      spaceId: space.id,
      adamId,
      subject: { kind: "device", deviceId: device.id },
      why: "mandatory",
    };
    const ofUser = (userId: string): LicenseRequest => ({
      spaceId: space.id,
      adamId,
      subject: { kind: "user", userId },
      why: "mandatory", // UB3: a mandatory user-licensed app waits
    });
    const ask = (requests: LicenseRequest[], now: Date) =>
      requestLicenses(db, { spaceId: space.id, adamId, requests, actor: SYSTEM, now });

    expect((await ask([ofDevice], at(1))).map((r) => r.decision.outcome)).toEqual(["wait"]);
    expect((await ask([ofUser(asker.id)], at(2))).map((r) => r.decision.outcome)).toEqual(["wait"]);
    await sql`update assets set total_count = 3 where space_id = ${space.id} and adam_id = ${adamId}`.execute(
      db,
    );

    // Served with a request that did not wait, in one batch.
    const results = await ask([ofDevice, ofUser(asker.id), ofUser(newcomer.id)], at(10));
    expect(results.map((r) => r.decision.outcome)).toEqual(["grant", "grant", "grant"]);
    const licenses = await Promise.all(results.map((r) => getLicense(db, space.id, r.licenseId ?? "")));
    expect(licenses.map((l) => [l.type, l.userId, l.requestedAt])).toEqual([
      ["user", owner.id, at(1)],
      ["user", asker.id, at(2)],
      ["user", newcomer.id, at(10)],
    ]);
    expect(licenses.every((l) => l.createdAt.getTime() === at(10).getTime())).toBe(true);
    expect(await listWaitingRequests(db, space.id, adamId)).toEqual([]);
  });

  it("DB2: the queue is read in order of request, then of arrival, page by page, each request once, to the microsecond", async () => {
    const { db } = database().store;
    const { space, adamId } = await spaceWithApp(db, "409183695");
    const ds = await devices(db, space.id, 5);
    // Arrival (seq) order d0..d4; request times written by the database, to the microsecond.
    const times = [
      "2026-01-15 09:00:00.000001+00",
      "2026-01-15 08:00:00.000002+00",
      "2026-01-15 08:00:00.000002+00",
      "2026-01-15 08:00:00.000001+00",
      "2026-01-15 08:00:00.000003+00",
    ];
    for (const [i, d] of ds.entries()) {
      await sql`insert into license_queue (space_id, adam_id, device_id, why, reason, requested_at)
        values (${space.id}, ${adamId}, ${d.id}, 'mandatory', 'no_license', ${times[i]}::timestamptz)`.execute(
        db,
      );
    }
    const expected = [3, 1, 2, 4, 0].map((i) => ds[i]?.id);
    const ids = (rows: ReadonlyArray<{ subject: LicenseRequest["subject"] }>) =>
      rows.map((r) => (r.subject.kind === "device" ? r.subject.deviceId : r.subject.userId));
    expect(ids(await listWaitingRequests(db, space.id, adamId))).toEqual(expected);
    for (const limit of [1, 2, 3]) {
      const read: Array<string | undefined> = [];
      let after: QueuePosition | undefined;
      for (let page = 0; page < 10; page++) {
        const rows = await waitingAfter(db, space.id, adamId, after, limit);
        read.push(...ids(rows));
        after = rows[rows.length - 1]?.position;
        if (rows.length < limit) break;
      }
      expect({ limit, read }).toEqual({ limit, read: expected });
    }
  });
});
