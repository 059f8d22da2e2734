// The load generator of bench/api.bench.ts, in its own process so the server's latency
// is not the load generator's. Reads a JSON spec file, prints the latencies.
//
// The load is autocannon's `overallRate`: each of the 16 connections sends its share of a
// second's requests back to back at the start of each second, then waits for the next
// (burstier than the same rate spread evenly). Latency is recorded once per answered
// request (p50, p99 of the requests). autocannon's own percentiles are reported beside:
// in rate mode it "corrects for coordinated omission" with an expected interval of
// Math.ceil(1 / rate) = 1 ms (rate in requests per second), so a request that took L ms
// is counted L times and its percentiles weigh requests by their duration.
import { readFileSync } from "node:fs";
import autocannon from "autocannon";

const { url, method, paths, body, token, rate, seconds } = JSON.parse(readFileSync(process.argv[2], "utf8"));
let i = 0;
const latencies = [];
const instance = autocannon({
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
instance.on("response", (_client, statusCode, _bytes, responseTime) => {
  if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
});
const result = await instance;
latencies.sort((a, b) => a - b);
const round = (ms) => Math.round(ms * 10) / 10;
const percentile = (p) =>
  latencies.length === 0
    ? 0
    : latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)];
process.stdout.write(
  JSON.stringify({
    p50: round(percentile(50)),
    p99: round(percentile(99)),
    max: round(latencies.at(-1) ?? 0),
    autocannonP50: result.latency.p50,
    autocannonP99: result.latency.p99,
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
  }),
);
