// How the SeasonBundle object reaches the job service: the same HTTP protocol (container/src/
// server.ts) either at JOB_RUNNER_URL (the Node process locally and in tests) or inside a
// Cloudflare Container (production, the BUNDLE_JOBS binding).
export interface JobItem {
  source_key: string;
  name: string;
  size: number;
  crc32: number | null;
  mtime: string;
}

export interface BundleJobRequest {
  id: string;
  type: "bundle";
  zip_key: string;
  manifest_key: string;
  title_id: string;
  season_number: number;
  items: JobItem[];
}

export interface JobStatus {
  id: string;
  state: "running" | "succeeded" | "failed" | "cancelled";
  progress: { bytes_done: number; bytes_total: number; items_done?: number; items_total?: number; phase?: string } | null;
  result: { size: number; sha256: string; item_count: number; zip_key: string; manifest_key: string } | null;
  error: string | null;
}

export interface JobRunner {
  start(job: BundleJobRequest): Promise<JobStatus>;
  /** null when the runner does not know the job (lost with its container). */
  status(id: string): Promise<JobStatus | null>;
  cancel(id: string): Promise<void>;
}

export class RunnerUnavailable extends Error {}

export function createHttpJobRunner(baseUrl: string, fetcher: (req: Request) => Promise<Response> = (r) => fetch(r)): JobRunner {
  const base = baseUrl.replace(/\/$/, "");
  const call = async (method: string, path: string, body?: unknown): Promise<Response> => {
    try {
      return await fetcher(
        new Request(`${base}${path}`, {
          method,
          ...(body ? { body: JSON.stringify(body), headers: { "content-type": "application/json" } } : {}),
          signal: AbortSignal.timeout(10_000),
        }),
      );
    } catch (e) {
      throw new RunnerUnavailable(`job service unreachable: ${(e as Error).message}`);
    }
  };
  return {
    async start(job) {
      const r = await call("POST", "/jobs", job);
      if (r.status >= 500) throw new RunnerUnavailable(`job service answered ${r.status}`);
      if (!r.ok) throw new Error(`job refused: ${r.status} ${await r.text()}`);
      return (await r.json()) as JobStatus;
    },
    async status(id) {
      const r = await call("GET", `/jobs/${encodeURIComponent(id)}`);
      if (r.status === 404) return null;
      if (!r.ok) throw new RunnerUnavailable(`job service answered ${r.status}`);
      return (await r.json()) as JobStatus;
    },
    async cancel(id) {
      await call("DELETE", `/jobs/${encodeURIComponent(id)}`).catch(() => undefined);
    },
  };
}
