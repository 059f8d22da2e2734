import type { Platform } from "../licensing/index.js";

/**
 * Apple's names of the platforms an asset runs on (`supportedPlatforms`), as Orchard's
 * Platform, compared without case, spaces, dashes or underscores. Apple's documentation
 * shows only `["iOS"]`; the other names are those Apple uses for its platforms elsewhere.
 * iPadOS is Orchard's `iOS` (an iPad is an iOS device here), so an iPad-only app is not
 * refused on an iPhone: Orchard does not know a device's model. A Mac Catalyst app is a
 * Mac app; xrOS is visionOS's former name.
 */
const APPLE_NAMES: Readonly<Record<string, Platform>> = {
  ios: "iOS",
  ipados: "iOS",
  macos: "macOS",
  osx: "macOS",
  macosx: "macOS",
  maccatalyst: "macOS",
  tvos: "tvOS",
  watchos: "watchOS",
  visionos: "visionOS",
  xros: "visionOS",
};

/**
 * The platforms of an asset from Apple's list, each once. Empty (the app runs anywhere,
 * PB3) when Apple sent none, or when one name is not known here: Orchard cannot tell which
 * devices that name covers, and missing data never refuses a device.
 */
export function platformsFromApple(names: readonly string[] | undefined): Platform[] {
  const platforms: Platform[] = [];
  for (const name of names ?? []) {
    const platform = APPLE_NAMES[name.toLowerCase().replace(/[\s_-]/g, "")];
    if (platform === undefined) return [];
    if (!platforms.includes(platform)) platforms.push(platform);
  }
  return platforms;
}
