/**
 * The standalone simulator (`orchard simulator --port 8181`): starts it, seeds demo
 * locations and prints a ready-to-upload sToken per location.
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
  const created = locations.map((spec) => {
    const { uId, sToken } = simulator.operator.createLocation({
      orgName: spec.orgName,
      locationName: spec.locationName,
    });
    if (spec.seed) simulator.operator.seed(uId, spec.seed);
    return { uId, locationName: spec.locationName ?? spec.orgName, sToken };
  });
  print(`Apple Apps and Books simulator: ${simulator.url}`);
  for (const location of created) {
    print(`\nLocation ${location.locationName} (uId ${location.uId}); sToken:`);
    print(location.sToken);
  }
  print(`\nOperator API: ${simulator.origin}/operator (e.g. GET /operator/locations)`);
  return { ...simulator, locations: created };
}
