import Fastify from "fastify";
import { describe, expect, it } from "vitest";
import { installErrorHandling } from "../../src/api/errors.js";

/** A route that fails the way the database fails it, answered through the API's error handling. */
async function failingWith(error: unknown) {
  const app = Fastify();
  installErrorHandling(app);
  app.get("/x", async () => {
    throw error;
  });
  await app.ready();
  return app.inject({ method: "GET", url: "/x" });
}

describe("problems of the database", () => {
  it.each([
    ["deadlock", "40P01"],
    ["serialization failure", "40001"],
  ])("a %s is a 503 busy with Retry-After, so that clients retry instead of giving up", async (_, code) => {
    const res = await failingWith(Object.assign(new Error("deadlock detected"), { code }));
    expect(res.statusCode).toBe(503);
    expect(res.headers["content-type"]).toMatch(/problem\+json/);
    expect(res.json().code).toBe("busy");
    expect(res.headers["retry-after"]).toBe("1");
    expect(res.body).not.toContain("deadlock detected");
  });

  it("an unexpected failure is a 500 without Retry-After nor its message", async () => {
    const res = await failingWith(Object.assign(new Error("relation x does not exist"), { code: "42P01" }));
    expect(res.statusCode).toBe(500);
    expect(res.headers["retry-after"]).toBeUndefined();
    expect(res.body).not.toContain("relation x");
  });
});
