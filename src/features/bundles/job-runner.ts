// How the SeasonBundle object reaches the job service: the same HTTP protocol (container/src/
// server.ts) either at JOB_RUNNER_URL (the Node process locally and in tests) or inside a
// Cloudflare Container (production, the BUNDLE_JOBS binding). Every call is signed with
// JOB_SERVICE_SECRET (src/lib/job-auth.ts): the service answers nobody else.

import { signJobRequest } from "../../lib/job-auth";
import { roundTrip } from "../../platform/round-trips";
import { type JobRequest, type JobStatus, jobStatusSchema } from "./contract";

export interface JobRunner {
  /** Starts the job, or answers it as it stands when that id is already known (one run per id). */
  start(job: JobRequest): Promise<JobStatus>;
  /** null when the runner does not know the job (lost with its container). */
  status(id: string): Promise<JobStatus | null>;
}

export class RunnerUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RunnerUnavailable";
  }
}

/** The job service runs as many jobs as it may: not a failure of the job, a reason to wait. */
export class RunnerBusy extends RunnerUnavailable {
  constructor(
    message: string,
    /** What the service's Retry-After asked for. */
    readonly retryAfterMs: number,
  ) {
    super(message);
    this.name = "RunnerBusy";
  }
}

/**
 * The runner this deployment has: the job service at JOB_RUNNER_URL (the Node process locally and
 * in tests), else the Cloudflare Container bound as BUNDLE_JOBS (production). Without either,
 * every call fails with RunnerUnavailable.
 */
export function createJobRunner(
  config: { JOB_RUNNER_URL?: string | undefined; JOB_RUNNER_TIMEOUT_MS: number; JOB_SERVICE_SECRET?: string | undefined },
  bindings: object,
): JobRunner {
  const timeoutMs = config.JOB_RUNNER_TIMEOUT_MS;
  const ns = (bindings as { BUNDLE_JOBS?: DurableObjectNamespace }).BUNDLE_JOBS;
  const none = (why: string): JobRunner => {
    const fail = async (): Promise<never> => {
      throw new RunnerUnavailable(why);
    };
    return { start: fail, status: fail };
  };
  if (!config.JOB_RUNNER_URL && !ns) return none("no job runner: set JOB_RUNNER_URL or bind BUNDLE_JOBS (a Cloudflare Container)");
  const secret = config.JOB_SERVICE_SECRET;
  if (!secret) return none("JOB_SERVICE_SECRET is not set: the job service answers signed calls only");
  if (config.JOB_RUNNER_URL) return createHttpJobRunner(config.JOB_RUNNER_URL, timeoutMs, secret);
  const stub = (ns as DurableObjectNamespace).get((ns as DurableObjectNamespace).idFromName("bundle-jobs"));
  return createHttpJobRunner("http://bundle-jobs", timeoutMs, secret, (req) => stub.fetch(req));
}

export function createHttpJobRunner(
  baseUrl: string,
  timeoutMs: number,
  secret: string,
  fetcher: (req: Request) => Promise<Response> = (r) => fetch(r),
): JobRunner {
  const base = baseUrl.replace(/\/$/, "");
  const call = async (method: string, path: string, body?: unknown): Promise<Response> => {
    try {
      const text = body ? JSON.stringify(body) : "";
      const auth = await signJobRequest(secret, { method, path, body: text });
      const req = new Request(`${base}${path}`, {
        method,
        ...(body ? { body: text } : {}),
        headers: { ...auth, ...(body ? { "content-type": "application/json" } : {}) },
        signal: AbortSignal.timeout(timeoutMs),
      });
      return await roundTrip("job", () => fetcher(req));
    } catch (e) {
      throw new RunnerUnavailable(`job service unreachable: ${(e as Error).message}`);
    }
  };
  return {
    async start(job) {
      const r = await call("POST", "/jobs", job);
      const retryAfter = Number(r.headers.get("retry-after"));
      if (r.status === 503 && Number.isFinite(retryAfter) && retryAfter > 0)
        throw new RunnerBusy(`job service busy: ${await r.text()}`, Math.min(retryAfter, 3600) * 1000);
      if (r.status >= 500) throw new RunnerUnavailable(`job service answered ${r.status}`);
      if (!r.ok) throw new Error(`job refused: ${r.status} ${await r.text()}`);
      return jobStatusSchema.parse(await r.json());
    },
    async status(id) {
      const r = await call("GET", `/jobs/${encodeURIComponent(id)}`);
      if (r.status === 404) return null;
      if (!r.ok) throw new RunnerUnavailable(`job service answered ${r.status}`);
      return jobStatusSchema.parse(await r.json());
    },
  };
}
