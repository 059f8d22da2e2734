import {
  type AccountForApp,
  ALL_USERS,
  type DecisionWorld,
  decide,
  type LicenseRequest,
  type User,
} from "../src/licensing/index.js";
import { type Bench, timed } from "./harness.js";

/** A deterministic PRNG so every run decides over the same space. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const bench: Bench = {
  name: "engine",
  async run(ctx) {
    const random = prng(42);
    const accounts = 50;
    const apps = ctx.size(5_000);
    const users = ctx.size(100_000);
    const decisions = ctx.size(200_000);
    const groups = ["sales", "eng", "support", "exec", "ops"];
    const space = { id: "space", appsAndBooksEnabled: true };

    // Each app is bought in a few of the 50 accounts, with FCFS, reservations and prohibitions.
    const accountsByApp: AccountForApp[][] = [];
    for (let a = 0; a < apps; a++) {
      const adamId = String(100_000 + a);
      const list: AccountForApp[] = [];
      for (let k = 0; k < accounts; k++) {
        const bought = random() < 0.2;
        const total = Math.floor(random() * 500);
        list.push({
          id: `acct-${k}`,
          spaceId: space.id,
          priority: k + 1,
          usable: random() > 0.02,
          asset: bought
            ? {
                adamId,
                pricingParam: "STDQ",
                productType: "App",
                total,
                used: Math.floor(random() * total),
                deviceAssignable: true,
                platforms: ["iOS"],
              }
            : undefined,
          rules: {
            fcfs: {
              groupIds: random() < 0.5 ? [ALL_USERS] : [groups[k % groups.length] ?? "sales"],
              requestedType: "user",
              mandatoryType: "device",
            },
            reservedUserIds: [`user-${Math.floor((random() * users) / 2)}`],
            reservedDeviceIds: [],
            prohibitedUserIds: [`user-${Math.floor(users / 2 + (random() * users) / 2)}`],
            unusedReservations: 1,
          },
        });
      }
      accountsByApp.push(list);
    }
    const userList: User[] = Array.from({ length: users }, (_, i) => ({
      id: `user-${i}`,
      spaceId: space.id,
      enrolled: random() > 0.1,
      groupIds: [groups[i % groups.length] ?? "sales"],
    }));
    const work: Array<{ request: LicenseRequest; world: DecisionWorld }> = [];
    for (let i = 0; i < decisions; i++) {
      const app = Math.floor(random() * apps);
      const user = userList[Math.floor(random() * users)] as User;
      const adamId = String(100_000 + app);
      work.push({
        request: { spaceId: space.id, adamId, subject: { kind: "user", userId: user.id }, why: "requested" },
        world: { space, catalogApp: { adamId }, accounts: accountsByApp[app] ?? [], user, licenses: [] },
      });
    }

    let granted = 0;
    const { seconds } = await timed(async () => {
      for (const { request, world } of work) if (decide(request, world).outcome === "grant") granted++;
    });
    ctx.log(
      `${decisions} decisions over ${accounts} accounts, ${apps} apps, ${users} users: ${granted} granted`,
    );
    ctx.record({
      name: "engine.decisions_per_s",
      value: Math.round(decisions / seconds),
      unit: "decisions/s",
      target: ">= 100000",
    });
  },
};

export default bench;
