import type { DestinationStream, LoggerOptions } from "pino";

/**
 * pino options for the API. Redaction is the second line of defence (the first: no
 * secret is ever passed to a logger): sTokens, their inner `token`, passwords, cookies
 * and Authorization headers are censored wherever they appear in a logged object.
 */
export const REDACT_PATHS = [
  "req.headers.authorization",
  "req.headers.cookie",
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  "headers.authorization",
  "headers.cookie",
  "sToken",
  "*.sToken",
  "sTokenFile",
  "*.sTokenFile",
  "token",
  "*.token",
  "password",
  "*.password",
  "body",
  "*.body",
];

export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    redact: { paths: REDACT_PATHS, censor: "[redacted]" },
  };
}

/** Options for Fastify's `logger`, optionally writing to a given stream (tests capture every line). */
export function fastifyLogger(
  level: string,
  stream?: DestinationStream,
): LoggerOptions & { stream?: DestinationStream } {
  return { ...loggerOptions(level), ...(stream ? { stream } : {}) };
}
