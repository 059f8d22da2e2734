import type { Asset, Platform } from "./types.js";

/**
 * PB3: whether an app runs on a platform, from the platforms Apple lists for its asset in
 * each account that bought it (`Asset.platforms`, Apple's `supportedPlatforms`).
 *
 * Missing data never refuses: an asset with no platform listed (Apple sent none, or only
 * names Orchard does not know, see src/apple/platforms.ts) runs anywhere, and so does an
 * app no account bought (decide() refuses it for that, MA1). Accounts that disagree (one
 * synced later than the other) are read together: a platform any of them lists is in.
 */
export function appRunsOn(assets: readonly Pick<Asset, "platforms">[], platform: Platform): boolean {
  if (assets.length === 0) return true;
  return assets.some((a) => a.platforms.length === 0 || a.platforms.includes(platform));
}
