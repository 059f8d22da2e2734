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

/** PostgreSQL's foreign-key refusals, as both drivers give them. */
const fkError = (message: string, detail: string, constraint: string) =>
  Object.assign(new Error(message), { code: "23503", detail, constraint });

describe("foreign-key violations", () => {
  async function posting(error: unknown, payload: object) {
    const app = Fastify();
    installErrorHandling(app);
    app.post("/x", async () => {
      throw error;
    });
    await app.ready();
    return app.inject({ method: "POST", url: "/x", payload });
  }

  it("an insert or update naming a row that does not exist is a 404 not_found naming the field the request sent it in", async () => {
    const missing = fkError(
      'insert or update on table "group_members" violates foreign key constraint "group_members_space_id_user_id_fkey"',
      'Key (space_id, user_id)=(space-1, nope) is not present in table "users".',
      "group_members_space_id_user_id_fkey",
    );
    const res = await posting(missing, { userIds: ["u1", "nope"] });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({
      code: "not_found",
      detail: "user nope does not exist",
      errors: [{ field: "body.userIds.1", message: "user nope does not exist" }],
    });
    // Nowhere in the body (an id the server chose): the referring column names the field.
    const device = fkError(
      'insert or update on table "devices" violates foreign key constraint "devices_space_id_user_id_fkey"',
      'Key (space_id, user_id)=(space-1, ghost) is not present in table "users".',
      "devices_space_id_user_id_fkey",
    );
    expect((await posting(device, {})).json()).toMatchObject({
      status: 404,
      errors: [{ field: "body.userId", message: "user ghost does not exist" }],
    });
  });

  it("a deletion of a row other rows still refer to stays a 409 in_use", async () => {
    const referenced = fkError(
      'update or delete on table "users" violates foreign key constraint "licenses_space_id_user_id_fkey" on table "licenses"',
      'Key (space_id, id)=(space-1, u1) is still referenced from table "licenses".',
      "licenses_space_id_user_id_fkey",
    );
    const res = await failingWith(referenced);
    expect(res.statusCode).toBe(409);
    expect(res.json().code).toBe("in_use");
  });
});
