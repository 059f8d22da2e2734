/**
 * `Authorization: Bearer {sToken}` on every v2 endpoint (APPLE-API.md "Base URL, auth").
 * A missing or malformed header is 9722; a token that does not decode or is unknown is
 * 9601 (login required); revoked 9625; expired 9621. All are HTTP 401.
 */
import { AppleError } from "./errors.js";
import type { Location } from "./location.js";
import { decodeSToken } from "./stoken.js";
import type { World } from "./world.js";

export function authenticate(world: World, header: string | string[] | undefined): Location {
  if (typeof header !== "string") throw new AppleError(9722);
  const match = /^Bearer ([^\s]+)\s*$/.exec(header);
  if (!match?.[1]) throw new AppleError(9722);
  const content = decodeSToken(match[1]);
  if (!content) throw new AppleError(9601);
  return world.locationOfToken(content.token);
}
