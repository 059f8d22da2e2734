// The load generator of bench/api.bench.ts, in its own process so the server's latency
// is not the load generator's. Reads a JSON spec file, prints autocannon's summary.
import { readFileSync } from "node:fs";
import autocannon from "autocannon";

const { url, method, paths, body, token, rate, seconds } = JSON.parse(readFileSync(process.argv[2], "utf8"));
let i = 0;
const result = await autocannon({
  url,
  connections: 16,
  overallRate: rate,
  duration: seconds,
  headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
  requests: [
    {
      method,
      setupRequest: (request) => {
        const n = i++;
        return {
          ...request,
          path: paths[n % paths.length],
          ...(body ? { body: JSON.stringify(body[n % body.length]) } : {}),
        };
      },
    },
  ],
});
process.stdout.write(
  JSON.stringify({
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
  }),
);
