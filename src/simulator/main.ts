/**
 * The standalone simulator (`orchard simulator --port 8181 [--state file]`): starts it,
 * seeds demo locations (unless the state file already holds locations) and prints a
 * ready-to-upload sToken per location.
 */
import { type RunningSimulator, type SimulatorOptions, startSimulator } from "./index.js";
import type { SeedSpec } from "./seed.js";

export interface StandaloneLocation {
  orgName: string;
  locationName?: string;
  seed?: SeedSpec;
}

export interface StandaloneOptions extends SimulatorOptions {
  /** Locations to create and seed; default two demo locations. */
  locations?: StandaloneLocation[];
  /** Where to print (default console.log). */
  print?: (line: string) => void;
}

const DEMO_LOCATIONS: StandaloneLocation[] = [
  {
    orgName: "Orchard Demo School",
    locationName: "Main Campus",
    seed: { apps: 5, licensesPerApp: 100, users: 20 },
  },
  {
    orgName: "Orchard Demo School",
    locationName: "North Campus",
    seed: { apps: 3, licensesPerApp: 25, users: 5 },
  },
];

export async function runStandaloneSimulator(
  options: StandaloneOptions = {},
): Promise<RunningSimulator & { locations: Array<{ uId: string; locationName: string; sToken: string }> }> {
  const { locations = DEMO_LOCATIONS, print = console.log, ...simulatorOptions } = options;
  const simulator = await startSimulator({ port: 8181, ...simulatorOptions });
  const { operator } = simulator;
  // A state file with locations is a running demo: keep it, do not seed a second copy.
  const restored = operator.locations().length > 0;
  if (!restored) {
    for (const spec of locations) {
      const { uId } = operator.createLocation({ orgName: spec.orgName, locationName: spec.locationName });
      if (spec.seed) operator.seed(uId, spec.seed);
    }
    if (options.stateFile) await simulator.save();
  }
  const listed = operator
    .locations()
    .map((l) => ({ uId: l.uId, locationName: l.locationName, ...operator.currentToken(l.uId) }));
  print(`Apple Apps and Books simulator: ${simulator.url}`);
  if (options.stateFile) {
    print(
      `State file: ${options.stateFile}${restored ? ` (${listed.length} saved locations restored)` : ""}`,
    );
  }
  for (const location of listed) {
    const note = location.status === "valid" ? "" : ` [token ${location.status}]`;
    print(`\nLocation ${location.locationName} (uId ${location.uId})${note}; sToken:`);
    print(location.sToken);
  }
  print(`\nOperator API: ${simulator.origin}/operator (e.g. GET /operator/locations)`);
  const created = listed.map(({ uId, locationName, sToken }) => ({ uId, locationName, sToken }));
  return { ...simulator, locations: created };
}
