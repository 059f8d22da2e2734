import { z } from "zod";

/** A value that must never reach a log line: printing it shows a placeholder. */
export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return "[secret]";
  }
  toJSON(): string {
    return "[secret]";
  }
}

const port = z.coerce.number().int().min(0).max(65_535);

const schema = z.object({
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
  ORCHARD_DATA_DIR: z.string().min(1).default("./data"),
  ORCHARD_SECRET_KEY: z.string().min(1).optional(),
  PORT: port.default(8080),
  HOST: z.string().min(1).default("127.0.0.1"),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  APPLE_BASE_URL: z.url().optional(),
  SYNC_CRON: z.string().min(1).default("*/15 * * * *"),
  FULL_SYNC_CRON: z.string().min(1).default("30 3 * * *"),
});

export interface Config {
  /** PostgreSQL when set; else embedded PGlite in `dataDir`. */
  databaseUrl?: Secret;
  dataDir: string;
  /** Key for sTokens at rest (AES-256-GCM); else a key file in `dataDir`. */
  secretKey?: Secret;
  port: number;
  host: string;
  logLevel: z.infer<typeof schema>["LOG_LEVEL"];
  /** Apple's service; unset means the built-in simulator. */
  appleBaseUrl?: string;
  syncCron: string;
  fullSyncCron: string;
}

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

/**
 * Reads the configuration from the environment once, at start-up. Reports every
 * invalid variable at once. The only place in the code that reads `process.env`.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    throw new ConfigError(`invalid configuration: ${problems.join("; ")}`);
  }
  const e = parsed.data;
  return {
    ...(e.DATABASE_URL ? { databaseUrl: new Secret(e.DATABASE_URL) } : {}),
    dataDir: e.ORCHARD_DATA_DIR,
    ...(e.ORCHARD_SECRET_KEY ? { secretKey: new Secret(e.ORCHARD_SECRET_KEY) } : {}),
    port: e.PORT,
    host: e.HOST,
    logLevel: e.LOG_LEVEL,
    ...(e.APPLE_BASE_URL ? { appleBaseUrl: e.APPLE_BASE_URL } : {}),
    syncCron: e.SYNC_CRON,
    fullSyncCron: e.FULL_SYNC_CRON,
  };
}
