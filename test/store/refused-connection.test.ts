import { describe, expect, it } from "vitest";
import { openDatabase } from "../../src/store/index.js";
import { TEST_SECRET_KEY } from "./databases.js";
import { scramOnlyServer } from "./scram-only-server.js";

describe("a PostgreSQL connection refused while authenticating", () => {
  it("fails the open and closes its socket at once (the server would keep it a minute)", async () => {
    const server = await scramOnlyServer();
    try {
      const opened = openDatabase({
        databaseUrl: `postgres://orchard@127.0.0.1:${server.port}/orchard`,
        secretKey: TEST_SECRET_KEY,
      });
      const error = await opened.then(
        () => undefined,
        (e: unknown) => e as Error & { cause?: Error },
      );
      expect(error?.cause?.message).toMatch(/password must be a string/);
      // Without the fix the socket stays open and this never resolves (the test times out).
      await server.allClosed();
    } finally {
      await server.close();
    }
  });
});
