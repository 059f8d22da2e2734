import type { Command } from "commander";
import { loadConfig } from "../../config.js";
import { ensureDefaultSpace } from "../../main/default-space.js";
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
    // Loaded here: the HTTP server and its schemas are no other command's start-up cost.
    const { buildServer, runUntilStopped } = await import("../../main/server.js");
    const orchard = await buildServer(config);
    await ensureDefaultSpace(orchard);
    await orchard.app.listen({ host: config.host, port: config.port });
    process.stdout.write(`Orchard API listening on http://${config.host}:${config.port}\n`);
    await runUntilStopped(orchard);
  });
}
