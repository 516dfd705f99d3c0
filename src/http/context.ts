import type { Actor } from "../features/audit/actor";
import type { JobRunner } from "../features/bundles/job-runner";
import type { Logger } from "../lib/logger";
import type { Clock } from "../platform/clock";
import type { Database } from "../platform/db";
import type { EdgeCache } from "../platform/edge-cache";
import type { AppConfig } from "../platform/env";
import type { RateLimiter } from "../platform/rate-limit";
import type { RedisClient } from "../platform/redis";
import type { RoundTrip } from "../platform/round-trips";
import type { ObjectStore } from "../platform/s3";
import type { UrlSigner } from "../platform/url-signer";

/** The clients a request works with, built once per request by the init middleware. */
export interface Deps {
  db: Database;
  /** One round trip to Postgres (readiness). */
  pingDb: (signal?: AbortSignal) => Promise<void>;
  redis: RedisClient;
  s3: ObjectStore;
  clock: Clock;
  /** Signs delivery URLs: S3 presigned, or CloudFront when configured. */
  signer: UrlSigner;
  /** The edge cache (Cache API); public catalog responses are kept here. */
  edgeCache: EdgeCache;
  /** The container job service (bundles, large checksums). */
  jobs: JobRunner;
}

export type { EdgeCache };

export type AppBindings = CloudflareBindings;

export type AppEnv = {
  Bindings: AppBindings;
  Variables: Deps & {
    requestId: string;
    /** CF-Connecting-IP: the client as Cloudflare saw it. */
    clientIp: string | null;
    logger: Logger;
    config: AppConfig;
    limiter: RateLimiter;
    /** Keeps a promise alive after the answer is sent (ExecutionContext.waitUntil). */
    background: (p: Promise<unknown>) => void;
    /** Who is acting on an admin route (set by adminAuth); null elsewhere. */
    actor: Actor | null;
    /** The request's origin round trips (filled by init; read by the request's metrics). */
    trips: RoundTrip[];
    /** A rate limit let the request through because Redis could not answer (fail open). */
    rateLimitFailedOpen: boolean;
  };
};

/** Builds the dependencies from config; tests pass their own to inject faults. */
export type DepsFactory = (config: AppConfig, bindings: AppBindings) => Deps;
