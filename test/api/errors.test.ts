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

  it.each([
    ["a NUL in text", "22021"],
    ["a character the encoding has not", "22P05"],
  ])("%s the database refuses is a 400 invalid_value, not a 500", async (_, code) => {
    const res = await failingWith(Object.assign(new Error("invalid byte sequence"), { code }));
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: "invalid_value", detail: "invalid byte sequence" });
  });

  it("AC1, AC6: a token file refused by the account operation names body.sToken for the upload form", async () => {
    for (const [code, status] of [
      ["token_malformed", 400],
      ["token_expired", 422],
      ["token_owned_by_other_mdm", 409],
      ["duplicate_location", 409],
    ] as const) {
      const res = await failingWith(
        Object.assign(new Error(`refused: ${code}`), { name: "SyncError", code }),
      );
      expect(res.statusCode).toBe(status);
      expect(res.json()).toMatchObject({
        code,
        errors: [{ field: "body.sToken", message: `refused: ${code}` }],
      });
    }
    const other = await failingWith(
      Object.assign(new Error("gone"), { name: "SyncError", code: "deletion_in_progress" }),
    );
    expect(other.json().errors).toBeUndefined();
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

  // PostgreSQL's own translations (postgres-15.mo), as a server with lc_messages set says them.
  const translated = {
    fr: {
      insert: [
        "une instruction insert ou update sur la table « devices » viole la contrainte de clé étrangère « devices_space_id_user_id_fkey »",
        "La clé (space_id, user_id)=(space-1, ghost) n'est pas présente dans la table « users ».",
      ],
      delete: [
        "UPDATE ou DELETE sur la table « users » viole la contrainte de clé étrangère « devices_space_id_user_id_fkey » de la table « devices »",
        "La clé (space_id, id)=(space-1, u1) est toujours référencée à partir de la table « devices ».",
      ],
    },
    de: {
      insert: [
        "Einfügen oder Aktualisieren in Tabelle »devices« verletzt Fremdschlüssel-Constraint »devices_space_id_user_id_fkey«",
        "Schlüssel (space_id, user_id)=(space-1, ghost) ist nicht in Tabelle »users« vorhanden.",
      ],
      delete: [
        "Aktualisieren oder Löschen in Tabelle »users« verletzt Fremdschlüssel-Constraint »devices_space_id_user_id_fkey« von Tabelle »devices«",
        "Auf Schlüssel (space_id, id)=(space-1, u1) wird noch aus Tabelle »devices« verwiesen.",
      ],
    },
    ja: {
      insert: [
        'テーブル"devices"への挿入、更新は外部キー制約"devices_space_id_user_id_fkey"に違反しています',
        'テーブル"users"にキー(space_id, user_id)=(space-1, ghost)がありません',
      ],
      delete: [
        'テーブル"users"の更新または削除は、テーブル"devices"の外部キー制約"devices_space_id_user_id_fkey"に違反します',
        'キー(space_id, id)=(space-1, u1)はまだテーブル"devices"から参照されています',
      ],
    },
  };
  it.each(Object.entries(translated))(
    "a server speaking %s: a missing row is still a 404 naming it, a row in use still a 409",
    async (_, { insert, delete: removal }) => {
      const withTable = (message: string, detail: string) =>
        Object.assign(fkError(message, detail, "devices_space_id_user_id_fkey"), { table: "devices" });
      const missing = await posting(withTable(...(insert as [string, string])), {});
      expect(missing.statusCode).toBe(404);
      expect(missing.json()).toMatchObject({
        errors: [{ field: "body.userId", message: "user ghost does not exist" }],
      });
      const inUse = await failingWith(withTable(...(removal as [string, string])));
      expect(inUse.statusCode).toBe(409);
      expect(inUse.json().code).toBe("in_use");
    },
  );

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
