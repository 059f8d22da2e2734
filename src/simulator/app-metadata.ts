/**
 * The store's side of an app or book: what the public lookup (GET /lookup, the iTunes
 * Search API format) returns for an adamId. Held once per adamId for the whole simulator,
 * as the App Store is one for every location. Custom (B2B) apps are held but never
 * returned, as Apple's public lookup does not list them.
 */

export interface SimAppMetadata {
  adamId: string;
  productType: "App" | "Book";
  name: string;
  /** Apps only. */
  bundleId?: string;
  version: string;
  genre: string;
  price: number;
  custom: boolean;
  /** The storefronts selling it (ISO 3166 alpha-2, upper case); unset, every one. */
  storefronts?: string[];
}

export type MetadataInput = Partial<Omit<SimAppMetadata, "adamId" | "productType">>;

const FIRST = ["Bright", "Swift", "Clever", "Pocket", "Daily", "Smart", "Open", "Blue", "Quick", "Little"];
const SECOND = ["Notes", "Planner", "Math", "Reader", "Sketch", "Lab", "Words", "Atlas", "Scan", "Tasks"];
const GENRES = ["Education", "Productivity", "Business", "Utilities", "Reference", "Graphics & Design"];
const PRICES = [0, 0.99, 2.99, 4.99, 9.99];

/** A stable small number from the id, so generated metadata never draws from the id stream. */
function hashOf(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** Realistic generated metadata for an adamId; `input` fields win. */
export function makeMetadata(
  adamId: string,
  productType: "App" | "Book",
  input: MetadataInput = {},
): SimAppMetadata {
  const h = hashOf(adamId);
  const first = FIRST[h % FIRST.length] ?? "Bright";
  const second = SECOND[Math.floor(h / 10) % SECOND.length] ?? "Notes";
  const isBook = productType === "Book";
  const name = input.name ?? (isBook ? `The ${first} Book of ${second}` : `${first} ${second}`);
  const metadata: SimAppMetadata = {
    adamId,
    productType,
    name,
    version: input.version ?? `${1 + (h % 5)}.${Math.floor(h / 7) % 10}.0`,
    genre:
      input.genre ?? (isBook ? "Nonfiction" : (GENRES[Math.floor(h / 100) % GENRES.length] ?? "Education")),
    price: input.price ?? PRICES[Math.floor(h / 1000) % PRICES.length] ?? 0,
    custom: input.custom ?? false,
  };
  const bundleId = input.bundleId ?? (isBook ? undefined : `com.example.${first}${second}`.toLowerCase());
  if (bundleId !== undefined) metadata.bundleId = bundleId;
  if (input.storefronts !== undefined) metadata.storefronts = input.storefronts.map((c) => c.toUpperCase());
  return metadata;
}

/** Merges explicit fields into what is held (an asset bought again keeps its store entry). */
export function mergeMetadata(held: SimAppMetadata, input: MetadataInput): SimAppMetadata {
  const merged: SimAppMetadata = { ...held };
  for (const [key, value] of Object.entries(input)) {
    if (value !== undefined) Object.assign(merged, { [key]: value });
  }
  return merged;
}

/** Whether the store of `country` (the lookup's `country`, any case) sells it. */
export function soldIn(m: SimAppMetadata, country: string): boolean {
  return m.storefronts === undefined || m.storefronts.includes(country.toUpperCase());
}

/** The currency a storefront prices in (a few, as the simulator needs them); else the US dollar. */
const CURRENCIES: Record<string, string> = {
  US: "USD",
  CA: "CAD",
  GB: "GBP",
  AU: "AUD",
  JP: "JPY",
  CH: "CHF",
  ...Object.fromEntries(
    ["FR", "DE", "ES", "IT", "NL", "BE", "AT", "IE", "PT", "FI", "LU"].map((c) => [c, "EUR"]),
  ),
};

/**
 * One lookup result, in the iTunes Search API's shape, as the store of `country` says it:
 * in its currency (the simulator keeps one price figure for every store).
 */
export function lookupItem(m: SimAppMetadata, country = "US"): Record<string, unknown> {
  const id = Number(m.adamId);
  const trackId = Number.isSafeInteger(id) ? id : m.adamId;
  const artwork = `https://is1-ssl.mzstatic.com/image/thumb/sim/${m.adamId}/512x512bb.jpg`;
  const currency = CURRENCIES[country.toUpperCase()] ?? "USD";
  const formatted = new Intl.NumberFormat("en-US", { style: "currency", currency }).format(m.price);
  const price = { price: m.price, formattedPrice: m.price === 0 ? "Free" : formatted, currency };
  if (m.productType === "Book") {
    return {
      wrapperType: "ebook",
      kind: "ebook",
      trackId,
      trackName: m.name,
      artworkUrl100: artwork.replace("512x512", "100x100"),
      genres: [m.genre],
      ...price,
    };
  }
  return {
    wrapperType: "software",
    kind: "software",
    trackId,
    trackName: m.name,
    bundleId: m.bundleId,
    version: m.version,
    artworkUrl512: artwork,
    primaryGenreName: m.genre,
    genres: [m.genre],
    isVppDeviceBasedLicensingEnabled: true,
    supportedDevices: ["iPhone15-iPhone15", "iPadPro11M4-iPadPro11M4"],
    ...price,
  };
}
