import { expect, it } from "vitest";
import { describeEachDatabase } from "../store/databases.js";
import { buildFixture } from "./harness.js";

/**
 * TRUST_PROXY: behind a reverse proxy, the client's address (X-Forwarded-For) keys the
 * sign-in rate limit, and https (X-Forwarded-Proto) makes the session cookie Secure; from
 * anyone else the headers are not believed.
 */
describeEachDatabase("behind a reverse proxy (TRUST_PROXY)", (db) => {
  const signIn = (f: Awaited<ReturnType<typeof buildFixture>>, client: string, password: string) =>
    f.app.inject({
      method: "POST",
      url: "/api/v1/auth/login",
      remoteAddress: "10.0.0.2", // the proxy
      headers: { "x-forwarded-for": client, "x-forwarded-proto": "https" },
      payload: { login: `writer-${f.ids.suffix}`, password },
    });

  it("believed from the proxy: each client has its own sign-in budget, and the cookie is Secure over https", async () => {
    const f = await buildFixture(db().store, { trustProxy: ["10.0.0.2"], loginRateLimit: 2 });
    try {
      for (let i = 0; i < 2; i++)
        expect((await signIn(f, "203.0.113.7", "wrong password")).statusCode).toBe(401);
      expect((await signIn(f, "203.0.113.7", "wrong password")).statusCode).toBe(429);
      // Another person behind the same proxy is not locked out by the first one's attempts.
      const other = await signIn(f, "198.51.100.9", "correct horse battery");
      expect(other.statusCode, other.body).toBe(200);
      expect(other.cookies.find((c) => c.name === "orchard_session")).toMatchObject({
        secure: true,
        httpOnly: true,
      });
    } finally {
      await f.app.close();
    }
  });

  it("not configured: the headers are not believed (one budget for the proxy's address, no Secure over plain HTTP)", async () => {
    const f = await buildFixture(db().store, { loginRateLimit: 2 });
    try {
      const first = await signIn(f, "203.0.113.7", "correct horse battery");
      expect(first.statusCode).toBe(200);
      expect(first.cookies.find((c) => c.name === "orchard_session")?.secure).toBeFalsy();
      expect((await signIn(f, "198.51.100.9", "wrong password")).statusCode).toBe(401);
      expect((await signIn(f, "192.0.2.44", "correct horse battery")).statusCode).toBe(429);
    } finally {
      await f.app.close();
    }
  });
});
