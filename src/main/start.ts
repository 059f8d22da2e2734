import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { createAdministrator, hasAdministrators } from "../auth/auth.service.js";
import { toCliError } from "../cli/error-map.js";
import { loadConfig } from "../config.js";
import { makeFolder } from "../make-folder.js";
import { ensureDefaultSpace } from "./default-space.js";
import { seedDemo } from "./demo.js";
import { buildServer, type Orchard, runUntilStopped } from "./server.js";

/**
 * `npm start`: Orchard with embedded PGlite in ./data and the built-in Apple simulator
 * on http://localhost:8080 (PORT, HOST), with the demo's data and administrator, whose
 * login every start prints; later starts keep every row.
 */
export async function startOrchard(
  print: (line: string) => void = console.log,
  config = loadConfig(),
): Promise<Orchard> {
  const orchard = await buildServer(config);
  const spaceId = await ensureDefaultSpace(orchard);
  const login = await demoLogin(orchard, config.dataDir);
  await seedDemo({
    deps: orchard.deps,
    spaceId,
    ...(orchard.simulator ? { simulator: orchard.simulator } : {}),
    print,
  });
  await orchard.app.listen({ host: config.host, port: config.port });
  const host =
    config.host === "127.0.0.1" || config.host === "0.0.0.0" || config.host === "::"
      ? "localhost"
      : config.host;
  print(
    `Orchard is running: http://${host}:${config.port}  (API reference: /docs, OpenAPI: /openapi.json, health: /healthz)`,
  );
  if (login) print(`Sign in as ${login.login} / ${login.password}  (kept in ${login.file})`);
  if (orchard.simulator) print(`Apple simulator: ${orchard.simulator.url}`);
  return orchard;
}

/**
 * The demo administrator: created on first start with a random password kept next to
 * the data (mode 0600, like the key file), so every start can print the login. Only
 * while no other administrator exists at first start; never with PostgreSQL.
 */
async function demoLogin(
  orchard: Orchard,
  dataDir: string,
): Promise<{ login: string; password: string; file: string } | undefined> {
  const file = join(dataDir, "demo-admin.json");
  if (existsSync(file))
    return { ...(JSON.parse(readFileSync(file, "utf8")) as { login: string; password: string }), file };
  if (orchard.store.engine !== "pglite" || (await hasAdministrators(orchard.store.db))) return undefined;
  const password = randomBytes(12).toString("base64url");
  await createAdministrator(orchard.store.db, {
    login: "admin",
    displayName: "Demo administrator",
    password,
    isOwner: true,
    now: new Date(),
  });
  makeFolder(dataDir);
  writeFileSync(file, `${JSON.stringify({ login: "admin", password })}\n`, { mode: 0o600 });
  return { login: "admin", password, file };
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  // What stops a start (the data folder in use, the port taken) is one line, as in the CLI.
  const orchard = await startOrchard().catch((error: unknown) => {
    const { message, exitCode } = toCliError(error);
    console.error(`npm start: ${message}`);
    process.exit(exitCode);
  });
  await runUntilStopped(orchard);
}
