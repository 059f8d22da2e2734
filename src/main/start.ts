import { randomBytes } from "node:crypto";
import { pathToFileURL } from "node:url";
import { createAdministrator, hasAdministrators } from "../auth/auth.service.js";
import { loadConfig } from "../config.js";
import { seedDemo } from "./demo.js";
import { buildServer, ensureDefaultSpace, type Orchard } from "./server.js";

/**
 * `npm start`: Orchard with embedded PGlite in ./data and the built-in Apple simulator
 * on http://localhost:8080 (PORT, HOST). On first start it creates the demo
 * administrator and prints the login once; later starts keep every row.
 */
export async function startOrchard(print: (line: string) => void = console.log): Promise<Orchard> {
  const config = loadConfig();
  const orchard = await buildServer(config);
  const spaceId = await ensureDefaultSpace(orchard);
  if (!(await hasAdministrators(orchard.store.db))) {
    const password = randomBytes(12).toString("base64url");
    await createAdministrator(orchard.store.db, {
      login: "admin",
      displayName: "Demo administrator",
      password,
      isOwner: true,
      now: new Date(),
    });
    print(`Demo administrator created (shown once): login admin, password ${password}`);
  }
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
  if (orchard.simulator) print(`Apple simulator: ${orchard.simulator.url}`);
  return orchard;
}

/** Runs until SIGINT/SIGTERM, then closes the server, the simulator and the database. */
export async function runUntilStopped(orchard: Orchard): Promise<void> {
  const stop = () => {
    void orchard.close().then(() => process.exit(0));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) await runUntilStopped(await startOrchard());
