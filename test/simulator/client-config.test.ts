/**
 * POST /client/config validation (9710-9713, 9723-9725), TEST_NOTIFICATION with 9728
 * when unreachable, and a token claimed by another MDM (no error code: mdmInfo changes).
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Receiver, type Sim, startSim } from "./helpers.js";

let s: Sim;
let receiver: Receiver;
let url: string;
beforeEach(async () => {
  s = await startSim();
  receiver = new Receiver();
  url = await receiver.start();
});
afterEach(async () => {
  await s.close();
  await receiver.close();
});

const mdmInfo = { id: "522d5c43-44ca-4f7e-ba7a-53570cf60765", name: "Orchard", metadata: "1.0.0" };
const config = (body: unknown) => s.call("/client/config", { body });

describe("client config", () => {
  it("9723: mdmInfo without name, id or metadata; 9724 id, 9725 name, 9713 metadata too long", async () => {
    const cases: Array<[unknown, number]> = [
      [{ id: "x", name: "y" }, 9723],
      [{ name: "y", metadata: "z" }, 9723],
      ["mdm", 9723],
      [{ ...mdmInfo, id: "i".repeat(101) }, 9724],
      [{ ...mdmInfo, name: "n".repeat(101) }, 9725],
      [{ ...mdmInfo, metadata: "m".repeat(256) }, 9713],
    ];
    for (const [info, errorNumber] of cases) {
      const reply = await config({ mdmInfo: info });
      expect(reply.status, JSON.stringify(info)).toBe(400);
      expect(reply.body.errorNumber, JSON.stringify(info)).toBe(errorNumber);
    }
  });

  it("9710: URL without token or token without URL; 9711: too long; 9712: not an HTTPS URL", async () => {
    const cases: Array<[unknown, number]> = [
      [{ notificationUrl: url }, 9710],
      [{ notificationAuthToken: "secret" }, 9710],
      [{ notificationUrl: `${url}?${"q".repeat(520)}`, notificationAuthToken: "secret" }, 9711],
      [{ notificationUrl: url, notificationAuthToken: "t".repeat(513) }, 9711],
      [{ notificationUrl: "not a url", notificationAuthToken: "secret" }, 9712],
      [{ notificationUrl: "http://example.com/hook", notificationAuthToken: "secret" }, 9712],
      [{ notificationUrl: "ftp://example.com/hook", notificationAuthToken: "secret" }, 9712],
    ];
    for (const [body, errorNumber] of cases) {
      const reply = await config(body);
      expect(reply.body.errorNumber, JSON.stringify(body)).toBe(errorNumber);
    }
  });

  it("sends TEST_NOTIFICATION with the bearer token, then stores and echoes the config", async () => {
    const reply = await config({
      mdmInfo,
      notificationUrl: url,
      notificationAuthToken: "SUp3rS3Cr3t",
      notificationTypes: ["ASSET_COUNT"],
    });
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({
      mdmInfo,
      notificationUrl: url,
      notificationAuthToken: "SUp3rS3Cr3t",
      subscribedNotificationTypes: ["ASSET_COUNT"],
      defaultPlatform: "volumestore",
      locationName: "PS01",
      uId: s.uId,
    });
    const test = await receiver.next((n) => n.body.notificationType === "TEST_NOTIFICATION");
    expect(test.headers.authorization).toBe("Bearer SUp3rS3Cr3t");
    expect(test.body).toEqual({
      notification: {},
      notificationId: expect.any(String),
      notificationType: "TEST_NOTIFICATION",
      uId: s.uId,
    });
    expect((await s.call("/client/config")).body).toMatchObject({ mdmInfo, notificationUrl: url });
  });

  it("9728: an unreachable notification URL (or one answering non-2xx) rejects the config", async () => {
    receiver.status = () => 500;
    const reply = await config({ mdmInfo, notificationUrl: url, notificationAuthToken: "secret" });
    expect(reply.status).toBe(400);
    expect(reply.body.errorNumber).toBe(9728);
    const closed = await config({
      notificationUrl: "http://127.0.0.1:1/none",
      notificationAuthToken: "secret",
    });
    expect(closed.body.errorNumber).toBe(9728);
    expect((await s.call("/client/config")).body.mdmInfo).toBeUndefined();
  });

  it("9602: an unknown notification type", async () => {
    const reply = await config({
      notificationUrl: url,
      notificationAuthToken: "s",
      notificationTypes: ["CLIENT_CONFIG_UPDATED"],
    });
    expect(reply.body.errorNumber).toBe(9602);
  });

  it("a token claimed by another MDM shows the other mdmInfo on GET /client/config (no error code)", async () => {
    await config({ mdmInfo });
    const other = { id: "other-mdm", name: "Other MDM", metadata: "9" };
    s.sim.operator.claimByOtherMdm(s.uId, other);
    const reply = await s.call("/client/config");
    expect(reply.status).toBe(200);
    expect(reply.body.mdmInfo).toEqual(other);
    expect(reply.body.notificationUrl).toBeUndefined();
  });

  it("the simulator accepts plain-HTTP notification URLs only on loopback, unless told otherwise", async () => {
    const strict = await startSim({ insecureNotificationUrls: "none" });
    const reply = await strict.call("/client/config", {
      body: { notificationUrl: url, notificationAuthToken: "s" },
    });
    expect(reply.body.errorNumber).toBe(9712);
    await strict.close();
  });
});
