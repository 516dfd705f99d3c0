// The job service's configuration, from its environment. It holds S3 credentials only: no
// database access; the SeasonBundle Durable Object writes the bundles row.

import { JOB_SERVICE_SECRET_MIN_LENGTH } from "../../src/lib/job-auth.ts";
import { createS3, type ObjectStore } from "../../src/platform/s3.ts";
import { createGcPacer, type GcPacer } from "./gc-pacer.ts";
import { createNodeFetch } from "./node-fetch.ts";

export interface JobServiceConfig {
  port: number;
  /** 127.0.0.1 unless HOST says otherwise (the container sets 0.0.0.0: its port is reached from outside). */
  host: string;
  /** JOB_SERVICE_SECRET: every call but /healthz is signed with it (src/lib/job-auth.ts). */
  secret: string;
  /** Largest request body accepted (a season of 10,000 items fits). */
  maxBodyBytes: number;
  s3: ObjectStore;
  /** Collections paced by the bytes S3 reads bring in (gc-pacer.ts). */
  gcPacer: GcPacer;
  sse: "AES256" | undefined;
  /** Parts uploaded concurrently while the next one fills (memory ≈ (this + 1) × part size). */
  partConcurrency: number;
  minPartSize: number;
  /**
   * Jobs one instance runs at once; past it a new job is answered 503 with Retry-After and the
   * SeasonBundle object tries again then. Sized with the instance's memory (docs/capacity.md).
   */
  maxConcurrentJobs: number;
  /** Retry-After, in seconds, of that 503. */
  busyRetryAfterSeconds: number;
}

const MiB = 1024 * 1024;
/** What the container's instance type holds with room to spare (wrangler.toml, docs/capacity.md). */
export const DEFAULT_MAX_CONCURRENT_JOBS = 4;

function positive(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a whole number of 1 or more, got "${raw}"`);
  return n;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): JobServiceConfig {
  const need = (k: string) => {
    const v = env[k];
    if (!v) throw new Error(`${k} is required`);
    return v;
  };
  const secret = need("JOB_SERVICE_SECRET");
  if (secret.length < JOB_SERVICE_SECRET_MIN_LENGTH)
    throw new Error(`JOB_SERVICE_SECRET must be at least ${JOB_SERVICE_SECRET_MIN_LENGTH} characters`);
  const gcPacer = createGcPacer(Number(env.JOB_READ_GC_BYTES ?? 2 * MiB));
  return {
    port: Number(env.PORT ?? 8080),
    host: env.HOST || "127.0.0.1",
    secret,
    maxBodyBytes: Number(env.JOB_MAX_BODY_BYTES ?? 16 * MiB),
    s3: createS3(
      {
        AWS_BUCKET_NAME: need("AWS_BUCKET_NAME"),
        AWS_REGION: need("AWS_REGION"),
        AWS_ACCESS_KEY_ID: need("AWS_ACCESS_KEY_ID"),
        AWS_SECRET_ACCESS_KEY: need("AWS_SECRET_ACCESS_KEY"),
        S3_ENDPOINT: env.S3_ENDPOINT || undefined,
      },
      { fetcher: createNodeFetch({ idleTimeoutMs: Number(env.JOB_S3_IDLE_TIMEOUT_MS ?? 30_000), gcPacer }) },
    ),
    gcPacer,
    sse: (env.S3_SSE ?? "AES256") === "AES256" ? "AES256" : undefined,
    partConcurrency: Number(env.JOB_PART_CONCURRENCY ?? 3),
    minPartSize: Number(env.JOB_MIN_PART_SIZE ?? 8 * MiB),
    maxConcurrentJobs: positive("JOB_MAX_CONCURRENT", env.JOB_MAX_CONCURRENT, DEFAULT_MAX_CONCURRENT_JOBS),
    busyRetryAfterSeconds: positive("JOB_BUSY_RETRY_AFTER_SECONDS", env.JOB_BUSY_RETRY_AFTER_SECONDS, 30),
  };
}
