import { describe, expect, it } from "vitest";
import { consolePage } from "../../src/api/routes/sso.routes.js";

describe("the console's page to come back to after signing in", () => {
  it("NT3: an e-mail's link to a notification comes back; nothing that leads off the console does", () => {
    expect(consolePage("/s/5f0c-1/notifications?notification=8b2e-77")).toBe(
      "/s/5f0c-1/notifications?notification=8b2e-77",
    );
    expect(consolePage("/s/default/apps/361309726")).toBe("/s/default/apps/361309726");
    for (const elsewhere of [
      "//evil.example/s/x",
      "https://evil.example/s/x",
      "/s//evil.example",
      "/s/x/..\\..\\evil",
      "/login",
      "/api/v1/auth/me",
      "/s/x/notifications?next=//evil.example",
      "s/x",
      "",
      undefined,
      42,
    ])
      expect(consolePage(elsewhere), String(elsewhere)).toBeUndefined();
  });
});
