// Parses the configuration and builds the request's clients once, onto c.var. Handlers and
// services take them from there and never construct clients themselves.
import { createMiddleware } from "hono/factory";
import { createJobRunner } from "../../features/bundles/job-runner";
import { systemClock } from "../../platform/clock";
import { createDb } from "../../platform/db";
import { parseEnv } from "../../platform/env";
import { createRateLimiter } from "../../platform/rate-limit";
import { createRedis } from "../../platform/redis";
import { recordRoundTrips, serverTiming } from "../../platform/round-trips";
import { createS3 } from "../../platform/s3";
import { createUrlSigner } from "../../platform/url-signer";
import type { AppEnv, DepsFactory } from "../context";

export const defaultDeps: DepsFactory = (config, bindings) => {
  const pg = createDb(config);
  const s3 = createS3(config, { clock: systemClock });
  return {
    db: pg.db,
    pingDb: pg.ping,
    redis: createRedis(config),
    s3,
    signer: createUrlSigner(config, s3, systemClock),
    clock: systemClock,
    edgeCache: caches.default,
    jobs: createJobRunner(config, bindings),
  };
};

export const init = (makeDeps: DepsFactory = defaultDeps) =>
  createMiddleware<AppEnv>(async (c, next) => {
    const config = parseEnv(c.env);
    c.set("config", config);
    const deps = makeDeps(config, c.env);
    c.set("db", deps.db);
    c.set("pingDb", deps.pingDb);
    c.set("redis", deps.redis);
    c.set("s3", deps.s3);
    c.set("clock", deps.clock);
    c.set("edgeCache", deps.edgeCache);
    c.set("signer", deps.signer);
    c.set("jobs", deps.jobs);
    // Work the answer does not wait for; without an ExecutionContext (tests calling the app
    // directly) the promise simply runs on.
    const background = (p: Promise<unknown>) => {
      const settled = p.catch(() => undefined);
      try {
        c.executionCtx.waitUntil(settled);
      } catch {
        // No ExecutionContext: nothing to extend.
      }
    };
    c.set("background", background);
    c.set(
      "limiter",
      createRateLimiter(deps.redis, config, {
        clock: deps.clock,
        background,
        onSyncError: (e) =>
          c.var.logger.warn("rate-limit count not sent to Redis; deciding on this isolate's counts", { error: String(e) }),
      }),
    );
    c.set("actor", null);
    const t0 = performance.now();
    const { trips } = await recordRoundTrips(() => next(), c.var.trips);
    // Outside production every answer says what it waited on: one entry per origin round trip,
    // then the whole request (benchmarks and tests count trips from it). Production keeps it private.
    if (config.ENVIRONMENT !== "production")
      c.res.headers.set("server-timing", serverTiming([...trips, { origin: "total", ms: performance.now() - t0 }]));
  });
