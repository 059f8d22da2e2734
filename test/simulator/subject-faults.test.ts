/**
 * Per-subject refusals (operator `failSubjects`, HTTP POST /operator/faults/subjects): one
 * subject's tasks fail with the error given, the rest of the event goes through, and the
 * event reports the failure as Apple does (FAILED, `failures` naming the subject).
 */
import { afterEach, beforeEach, expect, it } from "vitest";
import { type Json, type Sim, startSim } from "./helpers.js";

let s: Sim;
const APP = "408709786";
beforeEach(async () => {
  s = await startSim();
  s.sim.operator.addAsset(s.uId, { adamId: APP, totalCount: 10 });
});
afterEach(() => s.close());

const assigned = () => [...s.sim.operator.assignments(s.uId)].map((a) => a.serialNumber).sort();
const send = async (path: string, serialNumbers: string[]) => {
  const reply = await s.call(path, { body: { assets: [{ adamId: APP }], serialNumbers } });
  return s.waitEvent(reply.body.eventId as string);
};

it("an associate refused for one serial: the others are assigned, the event names the refused one", async () => {
  s.sim.operator.failSubjects({ endpoint: "/assets/associate", errorNumber: 9602, serialNumbers: ["SN-B"] });
  const event = await send("/assets/associate", ["SN-A", "SN-B", "SN-C"]);
  expect(event).toMatchObject({ eventStatus: "FAILED", numCompleted: 2, numRequested: 3 });
  expect(event.failures).toEqual([
    expect.objectContaining({ errorNumber: 9602, errorInfo: { serialNumbers: ["SN-B"] } }) as Json,
  ]);
  expect(assigned()).toEqual(["SN-A", "SN-C"]);
  // Cleared with the other faults: the same request goes through.
  s.sim.operator.clearFaults();
  expect(await send("/assets/associate", ["SN-B"])).toMatchObject({ eventStatus: "COMPLETE" });
});

it("a disassociate refused (not applied) leaves the assignment; `applied` removes it and still reports the error", async () => {
  await send("/assets/associate", ["SN-A", "SN-B"]);
  // Through the operator's HTTP side, as `orchard simulator` is driven from outside.
  const r = await fetch(`${s.sim.origin}/operator/faults/subjects`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ endpoint: "/assets/disassociate", errorNumber: 9602, serialNumbers: ["SN-A"] }),
  });
  expect(r.status).toBe(200);
  s.sim.operator.failSubjects({
    endpoint: "/assets/disassociate",
    errorNumber: 9602,
    serialNumbers: ["SN-B"],
    applied: true,
  });
  const event = await send("/assets/disassociate", ["SN-A", "SN-B"]);
  expect(event).toMatchObject({ eventStatus: "FAILED", numCompleted: 0 });
  expect(assigned()).toEqual(["SN-A"]);
});
