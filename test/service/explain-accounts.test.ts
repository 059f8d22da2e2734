import { expect, it } from "vitest";
import { decide, newTrace } from "../../src/licensing/index.js";
import { accountsConsidered } from "../../src/service/explain.js";
import { account, asset, device, deviceRequest, rules, user, world } from "../licensing/builders.js";

it("DI3, DI2: a device reserved where Apple allows no device license, then granted its user's license by FCFS, reads as FCFS, not as a reservation", () => {
  const w = world({
    device: device("d1", { userId: "u1" }),
    user: user("u1"),
    accounts: [
      account(
        "A",
        1,
        asset(10, 0, { deviceAssignable: false }),
        rules({
          reservedDeviceIds: ["d1"],
          unusedReservations: 1,
          fcfs: { groupIds: rules().fcfs?.groupIds ?? [], requestedType: "user", mandatoryType: "user" },
        }),
      ),
    ],
  });
  const trace = newTrace();
  const decision = decide(deviceRequest("d1"), w, trace);
  expect(decision).toMatchObject({ outcome: "grant", accountId: "A", type: "user", reserved: false });
  const [row] = accountsConsidered(trace, () => "Main", "en");
  expect(row).toMatchObject({ eligibility: "fcfs", eligible: true, taken: true });
  expect(row?.summary).not.toMatch(/reservation/i);
});
