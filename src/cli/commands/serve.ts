import type { Command } from "commander";
import { loadConfig } from "../../config.js";
import { buildServer, ensureDefaultSpace, runUntilStopped } from "../../main/server.js";
import { withExamples } from "../help.js";

/** `orchard serve`: the HTTP API (and the console) from the environment's configuration. */
export function registerServe(program: Command): void {
  withExamples(
    program
      .command("serve")
      .description("run the Orchard API server and console (PORT, HOST, DATABASE_URL, APPLE_BASE_URL)"),
    ["PORT=8443 HOST=0.0.0.0 orchard serve"],
  ).action(async () => {
    const config = loadConfig();
    const orchard = await buildServer(config);
    await ensureDefaultSpace(orchard);
    await orchard.app.listen({ host: config.host, port: config.port });
    process.stdout.write(`Orchard API listening on http://${config.host}:${config.port}\n`);
    await runUntilStopped(orchard);
  });
}
