/**
 * What to say of a field a route does not take: the one it most likely meant ("did you
 * mean serial?"), else the fields it takes at that place. Read from the route's own zod
 * schema, so the words follow the schema. The API names a subject differently in a body
 * (serialNumber, adamId, userId, deviceId) and in a filter or a request's subject (serial,
 * app, user, device): those pairs are suggested both ways.
 */
const COUNTERPARTS: Record<string, string> = {
  serialNumber: "serial",
  serial: "serialNumber",
  adamId: "app",
  app: "adamId",
  userId: "user",
  user: "userId",
  deviceId: "device",
  device: "deviceId",
};

/** At most this many fields listed: a longer list is no help in one line. */
const LISTED = 12;

export function unknownFieldHint(schema: unknown, path: readonly string[], key: string): string {
  const taken = keysAt(schema, path);
  if (!taken) return "";
  if (taken.length === 0) return " (it takes none)";
  const meant = likelyMeant(key, taken);
  if (meant) return ` (did you mean ${meant}?)`;
  const shown = taken.slice(0, LISTED).join(", ");
  return ` (it takes ${shown}${taken.length > LISTED ? ", …" : ""})`;
}

function likelyMeant(key: string, taken: readonly string[]): string | undefined {
  const counterpart = COUNTERPARTS[key];
  if (counterpart && taken.includes(counterpart)) return counterpart;
  const lower = key.toLowerCase();
  const sameLetters = taken.find((t) => t.toLowerCase() === lower);
  if (sameLetters) return sameLetters;
  const close = taken
    .map((t) => ({ t, d: distance(lower, t.toLowerCase()) }))
    .filter(({ d }) => d <= Math.min(2, Math.floor(key.length / 3)))
    .sort((a, b) => a.d - b.d);
  return close[0]?.t;
}

/** The keys of the object the schema expects at `path` (`devices.3`: an array's element), if one. */
function keysAt(schema: unknown, path: readonly string[]): string[] | undefined {
  let at = unwrap(schema);
  for (const segment of path) {
    const def = defOf(at);
    if (def?.type === "array" && /^\d+$/.test(segment)) at = unwrap(def.element);
    else if (def?.type === "object" && def.shape) at = unwrap(def.shape[segment]);
    else return undefined;
  }
  const def = defOf(at);
  return def?.type === "object" && def.shape ? Object.keys(def.shape).sort() : undefined;
}

interface Def {
  type?: string;
  shape?: Record<string, unknown>;
  element?: unknown;
  innerType?: unknown;
  in?: unknown;
  out?: unknown;
}

function defOf(schema: unknown): Def | undefined {
  return (schema as { _zod?: { def?: Def } } | undefined)?._zod?.def;
}

/** Past optional, nullable, default, readonly and preprocess wrappers, to what they wrap. */
function unwrap(schema: unknown): unknown {
  let at = schema;
  for (let depth = 0; depth < 10; depth++) {
    const def = defOf(at);
    if (!def) return at;
    if (def.innerType !== undefined) at = def.innerType;
    // z.preprocess: a transform, then the schema; .transform(): the schema, then a transform.
    else if (def.type === "pipe") at = defOf(def.in)?.type === "transform" ? def.out : def.in;
    else return at;
  }
  return at;
}

/** Levenshtein distance, for short field names. */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++)
      current[j] = Math.min(
        (previous[j] ?? 0) + 1,
        (current[j - 1] ?? 0) + 1,
        (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    previous = current;
  }
  return previous[b.length] ?? 0;
}
