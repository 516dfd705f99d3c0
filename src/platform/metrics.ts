// Metrics as Workers Analytics Engine data points: one per request, one per finished bundle build.
// Writes are fire-and-forget (the runtime batches them; they never delay a response) and a
// missing binding writes nothing. The column layout below is what docs/operations.md queries.
//
// request: index1 route · blob1 "request" · blob2 method · blob3 route · blob4 status · blob5 cache
//          (HIT|MISS|BYPASS|NONE) · blob6 colo · double1 duration ms · double2 status · double3..6
//          ms waited on Postgres, Redis, S3, the job service · double7 round trips · double8 of them
//          timed out · double9 1 when a rate limit failed open (Redis did not answer)
// build:   index1 title:season · blob1 "build" · blob2 outcome (ready|failed|retry) · blob3 title
//          id · blob4 season · blob5 reason · double1 archive bytes · double2 seconds since the
//          build was asked for · double3 attempt

import type { Origin } from "./round-trips";

export interface RequestPoint {
  method: string;
  /** The route template (bounded cardinality), or null when nothing matched. */
  route: string | null;
  status: number;
  cache: "HIT" | "MISS" | "BYPASS" | "NONE";
  durationMs: number;
  colo: string | null;
  /** Milliseconds waited on each origin (the sum of its round trips). */
  originMs?: Record<Origin, number>;
  roundTrips?: number;
  timeouts?: number;
  rateLimitFailedOpen?: boolean;
}

export interface BuildPoint {
  titleId: string;
  season: number;
  outcome: "ready" | "failed" | "retry";
  bytes: number;
  seconds: number;
  attempt: number;
  reason: string | null;
}

export interface Metrics {
  request(p: RequestPoint): void;
  build(p: BuildPoint): void;
}

/** What the binding takes (AnalyticsEngineDataset.writeDataPoint). */
export interface DataPoint {
  indexes: string[];
  blobs: string[];
  doubles: number[];
}

export interface DataPointSink {
  writeDataPoint(p: DataPoint): void;
}

const round = (ms: number | undefined) => Math.round((ms ?? 0) * 100) / 100;
// Analytics Engine limits: one index of at most 96 bytes; blobs together at most 16 KiB.
const cut = (s: string, max: number) => (s.length > max ? s.slice(0, max) : s);

export function requestDataPoint(p: RequestPoint): DataPoint {
  const route = p.route ?? "(unmatched)";
  return {
    indexes: [cut(route, 96)],
    blobs: ["request", p.method, cut(route, 256), String(p.status), p.cache, p.colo ?? ""],
    doubles: [
      p.durationMs,
      p.status,
      round(p.originMs?.db),
      round(p.originMs?.redis),
      round(p.originMs?.s3),
      round(p.originMs?.job),
      p.roundTrips ?? 0,
      p.timeouts ?? 0,
      p.rateLimitFailedOpen ? 1 : 0,
    ],
  };
}

export function buildDataPoint(p: BuildPoint): DataPoint {
  return {
    indexes: [`${p.titleId}:${p.season}`],
    blobs: ["build", p.outcome, p.titleId, String(p.season), cut(p.reason ?? "", 1024)],
    doubles: [p.bytes, p.seconds, p.attempt],
  };
}

export function createMetrics(sink: DataPointSink | undefined, onError: (e: unknown) => void = () => undefined): Metrics {
  const write = (point: DataPoint) => {
    if (!sink) return;
    try {
      sink.writeDataPoint(point);
    } catch (e) {
      // Metrics never fail a request or a build.
      onError(e);
    }
  };
  return {
    request: (p) => write(requestDataPoint(p)),
    build: (p) => write(buildDataPoint(p)),
  };
}

/** The ANALYTICS binding of wrangler.toml, when the Worker has one. */
export const analyticsSink = (bindings: object): DataPointSink | undefined => (bindings as { ANALYTICS?: DataPointSink }).ANALYTICS;
