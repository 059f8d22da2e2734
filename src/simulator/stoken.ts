/**
 * The sToken: base64 of JSON `{token, expDate, orgName}`, as in Apple's `.vpptoken` file
 * (test/fixtures/apple/stoken.*.json; APPLE-API.md "Token").
 */
export interface STokenContent {
  token: string;
  expDate: string;
  orgName: string;
}

export function encodeSToken(content: STokenContent): string {
  return Buffer.from(JSON.stringify(content), "utf8").toString("base64");
}

/** The decoded content, or undefined when the text is not a well-formed sToken. */
export function decodeSToken(sToken: string): STokenContent | undefined {
  if (!/^[A-Za-z0-9+/=_-]+$/.test(sToken)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(sToken, "base64").toString("utf8"));
  } catch {
    return undefined;
  }
  if (typeof parsed !== "object" || parsed === null) return undefined;
  const { token, expDate, orgName } = parsed as Record<string, unknown>;
  if (typeof token !== "string" || typeof expDate !== "string" || typeof orgName !== "string") {
    return undefined;
  }
  return { token, expDate, orgName };
}

/** Apple's date format: "2030-11-08T22:33:22+0000" (no milliseconds, no colon in the offset). */
export function formatAppleDate(date: Date): string {
  return `${date.toISOString().slice(0, 19)}+0000`;
}
