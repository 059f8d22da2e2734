import fc from "fast-check";
import { describe, expect, expectTypeOf, it } from "vitest";
import {
  type AppleClient,
  type Asset,
  type Assignment,
  type BatchEvent,
  type ManageAssetsBatch,
  type Page,
  planManageAssets,
  planRevoke,
  planUsers,
  type User,
} from "../../src/apple/index.js";

const ids = (prefix: string, max: number) =>
  fc.array(
    fc.integer({ min: 0, max: max * 2 }).map((n) => `${prefix}${n}`),
    { maxLength: max },
  );

describe("batch plans (property)", () => {
  it("cover every asset x subject pair exactly once, within every limit, in the fewest calls", () => {
    fc.assert(
      fc.property(
        ids("a", 60),
        ids("u", 300),
        ids("s", 300),
        fc.record({
          maxAssets: fc.integer({ min: 1, max: 30 }),
          maxClientUserIds: fc.integer({ min: 1, max: 120 }),
          maxSerialNumbers: fc.integer({ min: 1, max: 120 }),
        }),
        (adamIds, clientUserIds, serialNumbers, limits) => {
          const assets = adamIds.map((adamId) => ({ adamId }));
          const plan = planManageAssets({ assets, clientUserIds, serialNumbers }, limits);
          const pairs = new Map<string, number>();
          for (const batch of plan) {
            expect(batch.assets.length).toBeLessThanOrEqual(limits.maxAssets);
            expect(batch.clientUserIds.length).toBeLessThanOrEqual(limits.maxClientUserIds);
            expect(batch.serialNumbers.length).toBeLessThanOrEqual(limits.maxSerialNumbers);
            expect(batch.clientUserIds.length + batch.serialNumbers.length).toBeGreaterThan(0);
            for (const a of batch.assets) {
              for (const s of [...batch.clientUserIds, ...batch.serialNumbers]) {
                const key = `${a.adamId}|${s}`;
                pairs.set(key, (pairs.get(key) ?? 0) + 1);
              }
            }
          }
          const uAssets = new Set(adamIds);
          const uSubjects = new Set([...clientUserIds, ...serialNumbers]);
          expect(pairs.size).toBe(uSubjects.size === 0 ? 0 : uAssets.size * uSubjects.size);
          expect([...pairs.values()].every((n) => n === 1)).toBe(true);
          const subjectCalls = Math.max(
            Math.ceil(new Set(clientUserIds).size / limits.maxClientUserIds),
            Math.ceil(new Set(serialNumbers).size / limits.maxSerialNumbers),
          );
          expect(plan).toHaveLength(Math.ceil(uAssets.size / limits.maxAssets) * subjectCalls);
        },
      ),
    );
  });

  it("revoke and users plans respect their limits and lose nobody", () => {
    fc.assert(
      fc.property(ids("u", 400), ids("s", 400), fc.integer({ min: 1, max: 150 }), (users, serials, limit) => {
        const plan = planRevoke(
          { clientUserIds: users, serialNumbers: serials },
          { maxRevokeClientUserIds: limit, maxRevokeSerialNumbers: limit },
        );
        expect(plan.flatMap((b) => b.clientUserIds)).toEqual([...new Set(users)]);
        expect(plan.flatMap((b) => b.serialNumbers)).toEqual([...new Set(serials)]);
        expect(plan.every((b) => b.clientUserIds.length <= limit && b.serialNumbers.length <= limit)).toBe(
          true,
        );
        const userPlan = planUsers(
          users.map((clientUserId) => ({ clientUserId })),
          { maxUsers: limit },
        );
        expect(userPlan.flat().map((u) => u.clientUserId)).toEqual([...new Set(users)]);
        expect(userPlan.every((b) => b.length <= limit && b.length > 0)).toBe(true);
      }),
    );
  });
});

describe("typed client surface", () => {
  it("paged reads are async generators of typed pages; batched calls return typed events", () => {
    expectTypeOf<ReturnType<AppleClient["assets"]>>().toEqualTypeOf<
      AsyncGenerator<Page<Asset>, void, undefined>
    >();
    expectTypeOf<ReturnType<AppleClient["assignments"]>>().toEqualTypeOf<
      AsyncGenerator<Page<Assignment>, void, undefined>
    >();
    expectTypeOf<ReturnType<AppleClient["users"]>>().toEqualTypeOf<
      AsyncGenerator<Page<User>, void, undefined>
    >();
    expectTypeOf<Awaited<ReturnType<AppleClient["associateBatched"]>>>().toEqualTypeOf<
      Array<BatchEvent<ManageAssetsBatch>>
    >();
    expectTypeOf<Page<Assignment>["versionId"]>().toEqualTypeOf<string>();
    expectTypeOf<Assignment["serialNumber"]>().toEqualTypeOf<string | undefined>();
  });
});
