// Readiness: Postgres, Redis and S3 each probed in parallel with its own timeout.

import { withTimeout } from "../../lib/timeout";
import { pingRedis, type RedisClient } from "../../platform/redis";
import type { ObjectStore } from "../../platform/s3";

export const DEPENDENCIES = ["postgres", "redis", "s3"] as const;
export type Dependency = (typeof DEPENDENCIES)[number];
export interface CheckResult {
  ok: boolean;
  latency_ms: number;
  error?: string;
}
export interface Readiness {
  ready: boolean;
  checks: Record<Dependency, CheckResult>;
  failed: Dependency[];
}

export async function checkReadiness(
  deps: { pingDb: (signal: AbortSignal) => Promise<void>; redis: RedisClient; s3: Pick<ObjectStore, "ping"> },
  timeoutMs: number,
): Promise<Readiness> {
  const probes: Record<Dependency, (signal: AbortSignal) => Promise<void>> = {
    postgres: (signal) => deps.pingDb(signal),
    redis: () => pingRedis(deps.redis),
    s3: (signal) => deps.s3.ping(signal),
  };
  const results = await Promise.all(
    DEPENDENCIES.map(async (name): Promise<[Dependency, CheckResult]> => {
      const started = performance.now();
      const ctl = new AbortController();
      try {
        await withTimeout(name, timeoutMs, probes[name](ctl.signal));
        return [name, { ok: true, latency_ms: Math.round(performance.now() - started) }];
      } catch (e) {
        ctl.abort();
        return [name, { ok: false, latency_ms: Math.round(performance.now() - started), error: (e as Error).message }];
      }
    }),
  );
  const checks = Object.fromEntries(results) as Record<Dependency, CheckResult>;
  const failed = DEPENDENCIES.filter((d) => !checks[d].ok);
  return { ready: failed.length === 0, checks, failed };
}
