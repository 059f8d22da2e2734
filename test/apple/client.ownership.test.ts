import { describe, expect, it } from "vitest";
import { TokenOwnedByOtherMdmError } from "../../src/apple/index.js";
import { envelope, type FakeRequest, fakeClient } from "./fake.js";

const ours = { id: "orchard-1", name: "Orchard", metadata: "0.1.0" };
const other = { id: "other-mdm", name: "Other MDM", metadata: "9" };

/** A client config store: GET returns it, POST replaces it. */
function configServer(initial: { mdmInfo?: typeof ours }) {
  let config: Record<string, unknown> = { ...envelope, locationName: "PS01", ...initial };
  return (req: FakeRequest) => {
    if (req.path !== "/client/config") return undefined;
    if (req.method === "POST") {
      const body = req.body as Record<string, unknown>;
      const { notificationTypes, ...rest } = body;
      config = { ...config, ...rest, subscribedNotificationTypes: notificationTypes };
    }
    return { body: config };
  };
}

describe("token ownership (AC6)", () => {
  it("claims an unclaimed location with our mdmInfo", async () => {
    const { client, http } = fakeClient(configServer({}));
    expect((await client.getClientConfig()).ownership.state).toBe("unclaimed");
    const result = await client.setClientConfig({
      notificationUrl: "https://orchard.example/apple",
      notificationAuthToken: "n-secret",
      notificationTypes: ["ASSET_MANAGEMENT"],
    });
    expect(result.ownership).toEqual({ state: "ours", owner: ours });
    const post = http.requests.find((r) => r.method === "POST");
    expect(post?.body).toEqual({
      mdmInfo: ours,
      notificationUrl: "https://orchard.example/apple",
      notificationAuthToken: "n-secret",
      notificationTypes: ["ASSET_MANAGEMENT"],
    });
  });

  it("reports a location managed by another MDM and does not overwrite it", async () => {
    const { client, http } = fakeClient(configServer({ mdmInfo: other }));
    const read = await client.getClientConfig();
    expect(read.ownership).toEqual({ state: "other", owner: other });
    await expect(client.setClientConfig()).rejects.toBeInstanceOf(TokenOwnedByOtherMdmError);
    await expect(client.setClientConfig()).rejects.toMatchObject({
      owner: { name: "Other MDM" },
      uId: envelope.uId,
    });
    expect(http.requests.filter((r) => r.method === "POST")).toHaveLength(0);
  });

  it("takeOverToken is the explicit way to claim it", async () => {
    const { client } = fakeClient(configServer({ mdmInfo: other }));
    const result = await client.takeOverToken();
    expect(result.ownership).toEqual({ state: "ours", owner: ours });
    expect((await client.getClientConfig()).ownership.state).toBe("ours");
  });

  it("detects another MDM writing between our read and our write", async () => {
    const { client } = fakeClient((req) => {
      if (req.path !== "/client/config") return undefined;
      return { body: { ...envelope, mdmInfo: req.method === "GET" ? ours : other } };
    });
    await expect(client.setClientConfig()).rejects.toBeInstanceOf(TokenOwnedByOtherMdmError);
  });
});
