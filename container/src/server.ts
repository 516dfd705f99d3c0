// The job service: POST /jobs, GET /jobs, GET|DELETE /jobs/{id}, GET /healthz, GET /metrics.
// Locally and in tests it runs as a Node process; in production as a Cloudflare Container.
// A job id is run once: posting the same id again answers the job as it stands (a failed or
// cancelled one is started again). Every call but /healthz must be signed by the Worker (metrics
// name jobs, titles' activity and memory: not for whoever reaches the port) (src/lib/job-auth.ts); a job reads only downloadable sources and writes only its
// season's bundle keys, whatever the caller asks.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { type JobRequest, type JobStatus, jobRequestSchema } from "../../src/features/bundles/contract.ts";
import { NonceCache, verifyJobRequest } from "../../src/lib/job-auth.ts";
import { type JobServiceConfig, loadConfig } from "./config.ts";
import { runBundle } from "./jobs/bundle.ts";
import { runChecksum } from "./jobs/checksum.ts";
import { peakRssBytes } from "./proc-stats.ts";

/** A job as the service answers it: the protocol's job status. */
export type Job = JobStatus;

export function createJobService(cfg: JobServiceConfig, log: (m: string, f?: Record<string, unknown>) => void = () => {}) {
  const jobs = new Map<string, Job>();
  const controllers = new Map<string, AbortController>();
  const running = new Set<Promise<void>>();
  const counters = { started: 0, succeeded: 0, failed: 0, cancelled: 0, refused: 0, bytes: 0 };
  const startedAt = Date.now();
  const nonces = new NonceCache();

  function start(req: JobRequest): { job: Job; created: boolean } | { busy: number } {
    // One run per id: a running or finished job is answered as it stands; one that failed or was
    // cancelled may be started again under its id.
    const existing = jobs.get(req.id);
    if (existing && (existing.state === "running" || existing.state === "succeeded")) return { job: existing, created: false };
    // Past the cap a new job is refused, not queued: the caller (the SeasonBundle object) keeps
    // the queue and asks again after Retry-After, so nothing waits in a container that may go away.
    if (controllers.size >= cfg.maxConcurrentJobs) {
      counters.refused += 1;
      return { busy: controllers.size };
    }
    const job: Job = {
      id: req.id,
      type: req.type,
      state: "running",
      progress: null,
      result: null,
      error: null,
      started_at: new Date().toISOString(),
      finished_at: null,
    };
    jobs.set(req.id, job);
    const ctl = new AbortController();
    controllers.set(req.id, ctl);
    counters.started += 1;
    log("job started", { id: req.id, type: req.type });
    const work =
      req.type === "bundle"
        ? runBundle(cfg, req, (p) => (job.progress = { ...p }), ctl.signal)
        : runChecksum(cfg, req.key, req.if_match, (done, total) => (job.progress = { bytes_done: done, bytes_total: total }), ctl.signal);
    const p = work
      .then((result) => {
        job.result = result;
        job.state = "succeeded";
        counters.succeeded += 1;
        counters.bytes += "size" in result ? result.size : 0;
        // The build's numbers in the container's log (what production keeps of the job service,
        // whose /metrics nobody outside the container reaches).
        log("job succeeded", { id: req.id, type: req.type, ...jobFigures(job) });
      })
      .catch((e: unknown) => {
        job.state = ctl.signal.aborted ? "cancelled" : "failed";
        job.error = (e as Error).message;
        if (job.state === "cancelled") counters.cancelled += 1;
        else counters.failed += 1;
        log("job failed", { id: req.id, type: req.type, state: job.state, error: job.error, ...jobFigures(job) });
      })
      .finally(() => {
        job.finished_at = new Date().toISOString();
        controllers.delete(req.id);
        running.delete(p);
      });
    running.add(p);
    return { job, created: true };
  }

  /** Seconds, bytes, jobs alongside and the process's peak RSS, for a finished job's log line. */
  const jobFigures = (job: Job) => ({
    seconds: Math.round((Date.now() - Date.parse(job.started_at)) / 100) / 10,
    bytes: job.result && "size" in job.result ? job.result.size : (job.progress?.bytes_done ?? 0),
    running: controllers.size,
    peak_rss_bytes: peakRssBytes() ?? process.memoryUsage().rss,
  });

  const metrics = () =>
    [
      "# HELP moviesnow_jobs_started_total Jobs started.",
      "# TYPE moviesnow_jobs_started_total counter",
      `moviesnow_jobs_started_total ${counters.started}`,
      "# HELP moviesnow_jobs_finished_total Jobs finished, by outcome.",
      "# TYPE moviesnow_jobs_finished_total counter",
      `moviesnow_jobs_finished_total{outcome="succeeded"} ${counters.succeeded}`,
      `moviesnow_jobs_finished_total{outcome="failed"} ${counters.failed}`,
      `moviesnow_jobs_finished_total{outcome="cancelled"} ${counters.cancelled}`,
      "# HELP moviesnow_jobs_refused_total New jobs answered 503 because JOB_MAX_CONCURRENT were running.",
      "# TYPE moviesnow_jobs_refused_total counter",
      `moviesnow_jobs_refused_total ${counters.refused}`,
      "# HELP moviesnow_jobs_max_concurrent Jobs this instance runs at once (JOB_MAX_CONCURRENT).",
      "# TYPE moviesnow_jobs_max_concurrent gauge",
      `moviesnow_jobs_max_concurrent ${cfg.maxConcurrentJobs}`,
      "# HELP moviesnow_jobs_running Jobs running now.",
      "# TYPE moviesnow_jobs_running gauge",
      `moviesnow_jobs_running ${controllers.size}`,
      "# HELP moviesnow_bundle_bytes_written_total Bytes of finished bundles.",
      "# TYPE moviesnow_bundle_bytes_written_total counter",
      `moviesnow_bundle_bytes_written_total ${counters.bytes}`,
      "# HELP moviesnow_process_resident_memory_bytes Resident set size.",
      "# TYPE moviesnow_process_resident_memory_bytes gauge",
      `moviesnow_process_resident_memory_bytes ${process.memoryUsage().rss}`,
      "# HELP moviesnow_process_peak_resident_memory_bytes Highest resident set size since start (Linux VmHWM).",
      "# TYPE moviesnow_process_peak_resident_memory_bytes gauge",
      `moviesnow_process_peak_resident_memory_bytes ${peakRssBytes() ?? process.memoryUsage().rss}`,
      "# HELP moviesnow_paced_gc_total Collections run by the bytes the job's S3 reads bring in (JOB_READ_GC_BYTES), by kind.",
      "# TYPE moviesnow_paced_gc_total counter",
      `moviesnow_paced_gc_total{kind="minor"} ${cfg.gcPacer.collections.minor}`,
      `moviesnow_paced_gc_total{kind="full"} ${cfg.gcPacer.collections.full}`,
      "# HELP moviesnow_uptime_seconds Seconds since start.",
      "# TYPE moviesnow_uptime_seconds gauge",
      `moviesnow_uptime_seconds ${Math.floor((Date.now() - startedAt) / 1000)}`,
      "",
    ].join("\n");

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { "content-type": "application/json", ...headers });
      res.end(JSON.stringify(body));
    };
    const url = new URL(req.url ?? "/", "http://x");
    const jobId = url.pathname.match(/^\/jobs\/([^/]+)$/)?.[1];
    if (req.method === "GET" && url.pathname === "/healthz") return send(200, { ok: true, running: controllers.size });
    const body = await readBody(req, cfg.maxBodyBytes);
    if (body === null) return send(413, { error: `body over ${cfg.maxBodyBytes} bytes` });
    const auth = await verifyJobRequest(
      cfg.secret,
      { method: req.method ?? "GET", path: req.url ?? "/", body },
      (n) => {
        const v = req.headers[n];
        return Array.isArray(v) ? v[0] : v;
      },
      nonces,
    );
    if (!auth.ok) {
      log("request refused", { method: req.method, path: url.pathname, reason: auth.reason, from: req.socket.remoteAddress });
      return send(401, { error: "unauthenticated" });
    }
    if (req.method === "GET" && url.pathname === "/metrics") {
      res.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
      res.end(metrics());
      return;
    }
    if (req.method === "GET" && url.pathname === "/jobs") return send(200, { items: [...jobs.values()] });
    if (req.method === "POST" && url.pathname === "/jobs") {
      if (!/^application\/json\s*(;|$)/i.test(req.headers["content-type"] ?? "")) return send(415, { error: "send application/json" });
      let parsed: unknown;
      try {
        parsed = JSON.parse(new TextDecoder().decode(body));
      } catch {
        return send(400, { error: "body is not JSON" });
      }
      const r = jobRequestSchema.safeParse(parsed);
      if (!r.success)
        return send(400, { error: "invalid job", issues: r.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })) });
      const started = start(r.data);
      if ("busy" in started) {
        log("job refused: at capacity", { id: r.data.id, running: started.busy, max: cfg.maxConcurrentJobs });
        return send(
          503,
          { error: `at capacity: ${started.busy} of ${cfg.maxConcurrentJobs} jobs running` },
          { "retry-after": String(cfg.busyRetryAfterSeconds) },
        );
      }
      return send(started.created ? 202 : 200, started.job);
    }
    if (jobId && req.method === "GET") {
      const job = jobs.get(decodeURIComponent(jobId));
      return job ? send(200, job) : send(404, { error: "no such job" });
    }
    if (jobId && req.method === "DELETE") {
      const id = decodeURIComponent(jobId);
      const job = jobs.get(id);
      if (!job) return send(404, { error: "no such job" });
      controllers.get(id)?.abort();
      return send(202, job);
    }
    return send(404, { error: "not found" });
  }

  /** The whole body, or null (and the connection's rest unread) once it passes `max` bytes. */
  async function readBody(req: IncomingMessage, max: number): Promise<Uint8Array<ArrayBuffer> | null> {
    const declared = Number(req.headers["content-length"] ?? 0);
    if (declared > max) return null;
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req) {
      size += (c as Buffer).length;
      if (size > max) return null;
      chunks.push(c as Buffer);
    }
    return new Uint8Array(Buffer.concat(chunks)) as Uint8Array<ArrayBuffer>;
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: (e as Error).message }));
    });
  });

  return {
    server,
    jobs,
    listen: () => new Promise<void>((r) => server.listen(cfg.port, cfg.host, () => r())),
    /** Cancels every running job (their uploads are aborted) and stops. */
    async shutdown(): Promise<void> {
      for (const c of controllers.values()) c.abort();
      await Promise.allSettled(running);
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const cfg = loadConfig();
  const log = (msg: string, f: Record<string, unknown> = {}) => console.log(JSON.stringify({ ts: new Date().toISOString(), msg, ...f }));
  const svc = createJobService(cfg, log);
  await svc.listen();
  log("job service listening", { port: cfg.port, paced_gc: cfg.gcPacer.active, max_concurrent: cfg.maxConcurrentJobs });
  const stop = async (signal: string) => {
    log("shutting down", { signal });
    await svc.shutdown();
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
}
