import { describe, expect, it } from "vitest";
import { consolePage } from "../../src/api/routes/sso.routes.js";
import { consolePage as consolesOwn, signInThenBackTo } from "../../web/src/auth/next-page.js";

/** The server checks `next` for single sign-on, the console for a password sign-in: the same answers. */
const checks = [
  ["the server", consolePage],
  ["the console", consolesOwn],
] as const;

describe("the console's page to come back to after signing in", () => {
  it.each(checks)(
    "NT3: an e-mail's link comes back; nothing that leads off the console does (%s)",
    (_, check) => {
      for (const page of ["/s/5f0c-1/notifications?notification=8b2e-77", "/s/default/apps/361309726"])
        expect(check(page), page).toBe(page);
      for (const elsewhere of [
        "//evil.example/s/x",
        "https://evil.example/s/x",
        "/s//evil.example",
        "/s/x/..\\..\\evil",
        "/s/x/../../login",
        "/s/%2F%2Fevil.example",
        "/s/x/%2e%2e/%2e%2e",
        "/s/x\tevil",
        "/login",
        "/api/v1/auth/me",
        "/s/x/notifications?next=//evil.example",
        `/s/x/${"a".repeat(2001)}`,
        "s/x",
        "",
        undefined,
      ])
        expect(check(elsewhere), String(elsewhere)).toBeUndefined();
    },
  );

  it("NT3: signed out on a console page, the sign-in page names it; the default space's home needs no next", () => {
    expect(signInThenBackTo("/s/abc/notifications?notification=n1")).toBe(
      `/login?next=${encodeURIComponent("/s/abc/notifications?notification=n1")}`,
    );
    expect(signInThenBackTo("/s/_")).toBe("/login");
    expect(signInThenBackTo("/")).toBe("/login");
  });
});
