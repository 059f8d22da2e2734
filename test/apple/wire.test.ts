import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { parseSToken } from "../../src/apple/stoken.js";
import * as wire from "../../src/apple/wire.js";

const fixtures = join(dirname(fileURLToPath(import.meta.url)), "..", "fixtures", "apple");

/** File-name prefix (before the first variant suffix) -> schema. Longest prefix wins. */
const schemaByPrefix: Array<[string, z.ZodType]> = [
  ["service-config.response", wire.serviceConfigResponse],
  ["client-config.request", wire.clientConfigRequest],
  ["client-config.response", wire.clientConfigResponse],
  ["assets.response", wire.getAssetsResponse],
  ["assignments.response", wire.getAssignmentsResponse],
  ["assets-associate.request", wire.manageAssetsRequest],
  ["assets-disassociate.request", wire.manageAssetsRequest],
  ["assets-revoke.request", wire.revokeAssetsRequest],
  ["assets-associate.response", wire.eventResponse],
  ["assets-disassociate.response", wire.eventResponse],
  ["assets-revoke.response", wire.eventResponse],
  ["users.response", wire.getUsersResponse],
  ["users-create.request", wire.manageUsersRequest],
  ["users-update.request", wire.manageUsersRequest],
  ["users-retire.request", wire.manageUsersRequest],
  ["users-create.response", wire.eventResponse],
  ["users-update.response", wire.eventResponse],
  ["users-retire.response", wire.eventResponse],
  ["status.response", wire.statusResponse],
  ["error.", wire.errorResponse],
  ["notification.test", wire.testNotification],
  ["notification.asset-count", wire.assetCountNotification],
  ["notification.asset-management", wire.assetManagementNotification],
  ["notification.user-management", wire.userManagementNotification],
  ["notification.user-associated", wire.userAssociatedNotification],
  ["notification.subscription-count", wire.subscriptionCountNotification],
  ["notification.subscription-management", wire.subscriptionManagementNotification],
  ["stoken.decoded", wire.sTokenPayload],
  ["stoken.encoded", wire.encodedSToken],
  ["subscriptions.response", wire.getSubscriptionsResponse],
  ["subscriptions-assignments.response", wire.getSubscriptionAssignmentsResponse],
  ["subscriptions-associate.request", wire.associateSubscriptionsRequest],
  ["subscriptions-associate.response", wire.eventResponse],
];

function schemaFor(file: string): z.ZodType | undefined {
  let best: [string, z.ZodType] | undefined;
  for (const entry of schemaByPrefix) {
    if (file.startsWith(entry[0]) && (best === undefined || entry[0].length > best[0].length)) best = entry;
  }
  return best?.[1];
}

const files = readdirSync(fixtures).filter((f) => f.endsWith(".json"));

describe("wire schemas parse every Apple fixture", () => {
  it("has fixtures to check", () => {
    expect(files.length).toBeGreaterThan(80);
  });

  it.each(files)("%s", (file) => {
    const schema = schemaFor(file);
    if (schema === undefined) throw new Error(`no schema mapped for fixture ${file}`);
    const body: unknown = JSON.parse(readFileSync(join(fixtures, file), "utf8"));
    const result = schema.safeParse(body);
    expect(result.error?.issues ?? []).toEqual([]);
  });

  it("notification.*: the discriminated union accepts every notification fixture", () => {
    for (const file of files.filter((f) => f.startsWith("notification."))) {
      const body: unknown = JSON.parse(readFileSync(join(fixtures, file), "utf8"));
      expect(wire.notification.safeParse(body).success, file).toBe(true);
    }
  });

  it("loose objects keep unknown fields", () => {
    const parsed = wire.getAssetsResponse.parse({
      assets: [],
      currentPageIndex: 0,
      size: 0,
      totalPages: 1,
      versionId: "v",
      futureField: 1,
    });
    expect(parsed).toMatchObject({ futureField: 1 });
  });

  it("stoken.encoded.json decodes to stoken.decoded.json", () => {
    const encoded = JSON.parse(readFileSync(join(fixtures, "stoken.encoded.json"), "utf8")) as string;
    const decoded: unknown = JSON.parse(readFileSync(join(fixtures, "stoken.decoded.json"), "utf8"));
    const token = parseSToken(encoded, { now: new Date("2026-01-01T00:00:00Z") });
    expect(token.decoded()).toEqual(decoded);
    expect(token.orgName).toBe("ORG12345");
    expect(token.expiresAt.toISOString()).toBe("2030-11-08T22:33:22.000Z");
  });

  it("query schemas coerce query-string values", () => {
    expect(wire.getAssetsQuery.parse({ deviceAssignable: "true", pageIndex: "2" })).toMatchObject({
      deviceAssignable: true,
      pageIndex: 2,
    });
  });
});
