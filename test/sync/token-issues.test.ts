import { describe, expect, it } from "vitest";
import { AppleApiError, STokenError, TokenOwnedByOtherMdmError } from "../../src/apple/index.js";
import { toSyncError } from "../../src/sync/apple-errors.js";
import { SyncError, TOKEN_ISSUES, tokenIssueOf } from "../../src/sync/index.js";

const apple = (errorNumber: number, httpStatus: number) =>
  new AppleApiError({ errorNumber, httpStatus, method: "GET", path: "/assets", attempts: 1 });

describe("token problems (NT2)", () => {
  it("NT2: Apple's 9601, 9621, 9625 and a malformed header map to sign-in required, expired, revoked and invalid, each with its remedy", () => {
    expect(tokenIssueOf(apple(9601, 401))).toBe("login_required");
    expect(tokenIssueOf(apple(9621, 401))).toBe("expired");
    expect(tokenIssueOf(apple(9625, 401))).toBe("revoked");
    expect(tokenIssueOf(apple(9722, 401))).toBe("invalid");
    expect(tokenIssueOf(new STokenError("expired", "x"))).toBe("expired");
    expect(tokenIssueOf(new TokenOwnedByOtherMdmError({ id: "o", name: "Other" }, "1"))).toBe("other_mdm");
    expect(tokenIssueOf(apple(9646, 429))).toBeUndefined(); // throttled is not a token problem
    expect(TOKEN_ISSUES.invalid.remedy).toContain("Upload a valid sToken");
    expect(TOKEN_ISSUES.expired.remedy).toContain("Generate a new token");
    expect(TOKEN_ISSUES.revoked.remedy).toContain("upload a valid token");
    expect(TOKEN_ISSUES.login_required.remedy).toContain("Sign in");
  });

  it("account operations report them as typed SyncErrors the API maps to problem+json", () => {
    const code = (e: unknown) => (toSyncError(e, "doing") as SyncError).code;
    expect(code(apple(9601, 401))).toBe("token_login_required");
    expect(code(apple(9625, 401))).toBe("token_revoked");
    expect(code(apple(9729, 503))).toBe("apple_unavailable");
    expect(code(apple(9728, 400))).toBe("apple_refused");
    expect(code(new STokenError("malformed", "x"))).toBe("token_malformed");
    expect(toSyncError(new Error("other"), "doing")).not.toBeInstanceOf(SyncError);
  });
});
