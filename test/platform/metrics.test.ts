// Metrics: one Analytics Engine data point per request (route template, status, cache state,
// duration, colo) and per finished bundle build, in the column layout docs/operations.md queries.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/http/app";
import { dependencyFetch } from "../../src/platform/dependency";
import { buildDataPoint, createMetrics, type DataPoint, requestDataPoint } from "../../src/platform/metrics";
import { recordRoundTrips, tripTotals } from "../../src/platform/round-trips";

function recordingApp() {
  const points: DataPoint[] = [];
  const app = createApp({ metrics: () => createMetrics({ writeDataPoint: (p) => points.push(p) }) });
  return { app, points };
}

describe("metrics", () => {
  it("the Worker has its Analytics Engine binding and the runtime accepts data points", () => {
    const ds = (env as { ANALYTICS?: AnalyticsEngineDataset }).ANALYTICS;
    expect(ds).toBeDefined();
    expect(() => ds?.writeDataPoint({ indexes: ["probe"], blobs: ["request"], doubles: [1] })).not.toThrow();
  });

  it("writes one point per request with the route template, status, cache state, duration and colo", async () => {
    const { app, points } = recordingApp();
    const q = `metrics-${crypto.randomUUID()}`;
    const get = (path: string) => app.request(path, { headers: { "cf-connecting-ip": "198.51.100.7" } }, env);
    expect((await get("/api/v1/health")).status).toBe(200);
    // Read until the edge cache answers (stored at a read's second miss; another file's admin write
    // may start a new catalog version meanwhile): each point carries the state its answer had.
    const states: string[] = [];
    for (let i = 0; i < 10 && states.at(-1) !== "HIT"; i++) states.push((await get(`/api/v1/titles?q=${q}`)).headers.get("x-cache") ?? "");
    expect(states.slice(0, 2)).toEqual(["MISS", "MISS"]);
    expect(states.at(-1)).toBe("HIT");
    expect((await get(`/api/v1/titles/${crypto.randomUUID()}`)).status).toBe(404);
    expect((await get("/nowhere")).status).toBe(404);

    expect(points.map((p) => ({ index: p.indexes, blobs: p.blobs.slice(0, 5), status: p.doubles[1] }))).toEqual([
      { index: ["/api/v1/health"], blobs: ["request", "GET", "/api/v1/health", "200", "NONE"], status: 200 },
      ...states.map((state) => ({ index: ["/api/v1/titles"], blobs: ["request", "GET", "/api/v1/titles", "200", state], status: 200 })),
      { index: ["/api/v1/titles/:id"], blobs: ["request", "GET", "/api/v1/titles/:id", "404", "NONE"], status: 404 },
      { index: ["(unmatched)"], blobs: ["request", "GET", "(unmatched)", "404", "NONE"], status: 404 },
    ]);
    for (const p of points) {
      expect(p.doubles[0]).toBeGreaterThanOrEqual(0);
      expect(p.blobs).toHaveLength(6);
      // db, redis, s3, job ms · round trips · timed out · rate limit failed open
      expect(p.doubles).toHaveLength(9);
      expect(p.doubles.slice(7)).toEqual([0, 0]);
    }
    // What Server-Timing shows outside production: the health probe waits on nothing, a catalog
    // miss on Postgres.
    expect(points[0]?.doubles.slice(2, 7)).toEqual([0, 0, 0, 0, 0]);
    const miss = points[1];
    expect(miss?.doubles[2]).toBeGreaterThan(0);
    expect(miss?.doubles[6]).toBeGreaterThanOrEqual(1);
  });

  it("counts a dependency call given up on after its timeout, in the request's round trips", async () => {
    const never: typeof fetch = (_input, init) =>
      new Promise((_resolve, reject) => init?.signal?.addEventListener("abort", () => reject(init.signal?.reason)));
    const slow = dependencyFetch("Postgres", "db", 50, never);
    const { trips } = await recordRoundTrips(() => slow("http://db.test/sql").catch(() => null));
    expect(trips).toHaveLength(1);
    expect(trips[0]).toMatchObject({ origin: "db", timedOut: true });
    expect(tripTotals(trips)).toMatchObject({ count: 1, timeouts: 1 });
    const point = requestDataPoint({
      method: "GET",
      route: "/api/v1/titles",
      status: 503,
      cache: "NONE",
      durationMs: 55,
      colo: null,
      originMs: tripTotals(trips).ms,
      roundTrips: 1,
      timeouts: 1,
      rateLimitFailedOpen: true,
    });
    expect(point.doubles.slice(6)).toEqual([1, 1, 1]);
    expect(point.doubles[2]).toBeGreaterThanOrEqual(40);
  });

  it("a sink that throws never fails the request", async () => {
    const errors: unknown[] = [];
    const app = createApp({
      metrics: () =>
        createMetrics(
          {
            writeDataPoint: () => {
              throw new Error("dataset unavailable");
            },
          },
          (e) => errors.push(e),
        ),
    });
    expect((await app.request("/api/v1/health", {}, env)).status).toBe(200);
    expect(errors).toHaveLength(1);
  });

  it("lays out a build's point: outcome, title, season, reason; bytes, seconds, attempt", () => {
    const titleId = crypto.randomUUID();
    expect(buildDataPoint({ titleId, season: 2, outcome: "ready", bytes: 4096, seconds: 12.5, attempt: 1, reason: null })).toEqual({
      indexes: [`${titleId}:2`],
      blobs: ["build", "ready", titleId, "2", ""],
      doubles: [4096, 12.5, 1],
    });
  });
});
