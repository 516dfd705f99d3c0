// SeasonBundle: the single writer of one season's bundle rebuild (one object per title+season,
// reached by idFromName). State lives in the object's SQLite storage:
//   idle → queued → building → ready | failed
// Requests while queued/building join the build; BUNDLE_REBUILD_COOLDOWN_SECONDS separates
// rebuilds, and a failed build backs off longer (BUNDLE_FAILURE_BACKOFF_SECONDS, doubling per
// failure in a row); force bypasses both. A new build needs a slot from the global build gate
// (build-gate.ts; admin rebuilds skip it), held from start to end. Alarms start and follow the job, retrying a
// lost or failed job with backoff a bounded number of times. The bundles row is written only
// after the job has finished the ZIP and its manifest.
import { DurableObject } from "cloudflare:workers";
import * as z from "zod";
import { keys } from "../../lib/storage-keys";
import { systemClock } from "../../platform/clock";
import { createDb } from "../../platform/db";
import { parseEnv } from "../../platform/env";
import { analyticsSink, type BuildPoint, createMetrics, type Metrics } from "../../platform/metrics";
import { createRedis, type RedisClient } from "../../platform/redis";
import { createS3 } from "../../platform/s3";
import { bumpCatalogVersion } from "../catalog/catalog-version";
import { acquireBuildSlot, type GateLimits, releaseBuildSlot, renewBuildSlot } from "./build-gate";
import { bundleStates, isBundleResult, type JobStatus, type SeasonBundleStatus, WAITING_FOR_RUNNER } from "./contract";
import { createJobRunner, type JobRunner, RunnerBusy } from "./job-runner";
import { activeBundle, planSeason, recordBuiltBundle } from "./service";

export const seasonRefSchema = z.object({ titleId: z.uuid(), seasonNumber: z.number().int().min(0).max(9999) });
export type SeasonRef = z.infer<typeof seasonRefSchema>;
const requestSchema = z.object({
  force: z.boolean().default(false),
  requestedBy: z.string().max(400).default("anonymous"),
  /** The caller's limits at the build gate; null (admin rebuilds): the build does not pass the gate. */
  gate: z
    .object({
      maxConcurrent: z.number().int().min(1),
      dailyBudget: z.number().int().min(0),
      client: z.object({ id: z.string().min(1).max(100), maxConcurrent: z.number().int().min(1), dailyBudget: z.number().int().min(0) }),
    })
    .nullable(),
});

/** Why a request started nothing and must come back later ("nothing": the season has no file to put in a ZIP). */
export type Refusal = "cooldown" | "failed" | "busy" | "budget" | "client_busy" | "client_budget" | "unavailable" | "nothing";

export interface RequestOutcome {
  status: SeasonBundleStatus;
  /** A build was started (false: joined one, the bundle is ready, or the cooldown refused it). */
  started: boolean;
  /** Set when the request was refused: why, and seconds until one may start. */
  refused?: Refusal;
  retryAfter?: number;
}

interface Row {
  state: string;
  title_id: string | null;
  season_number: number | null;
  build_no: number;
  attempt: number;
  job_id: string | null;
  progress: string | null;
  error: string | null;
  bundle_id: string | null;
  last_built_at: number | null;
  poll_failures: number;
  requested_by: string | null;
  updated_at: number | null;
  /** When this build was asked for (ms): a finished build's data point gives its duration. */
  build_started_at: number | null;
  /** Builds in a row that ended failed (reset by a ready one): the backoff doubles with each. */
  failures_in_row: number;
}

/** Polls in a row the runner may be unreachable before the job counts as lost. */
const MAX_POLL_FAILURES = 3;
/** A build-gate slot outlives the object's next scheduled step by this much. */
const SLOT_LEASE_MARGIN_MS = 5 * 60_000;
const MAX_FAILURE_BACKOFF_MS = 7 * 24 * 3600_000;

export class SeasonBundle extends DurableObject<CloudflareBindings> {
  constructor(ctx: DurableObjectState, env: CloudflareBindings) {
    super(ctx, env);
    ctx.blockConcurrencyWhile(async () => {
      this.ctx.storage.sql.exec(`CREATE TABLE IF NOT EXISTS bundle_state (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        state TEXT NOT NULL, title_id TEXT, season_number INTEGER,
        build_no INTEGER NOT NULL DEFAULT 0, attempt INTEGER NOT NULL DEFAULT 0, job_id TEXT,
        progress TEXT, error TEXT, bundle_id TEXT, last_built_at INTEGER,
        poll_failures INTEGER NOT NULL DEFAULT 0, requested_by TEXT, updated_at INTEGER)`);
      this.ctx.storage.sql.exec("INSERT OR IGNORE INTO bundle_state (id, state) VALUES (1, 'idle')");
      // Added after the table first shipped: objects made before it gain the column here.
      const columns = this.ctx.storage.sql.exec<{ name: string }>("SELECT name FROM pragma_table_info('bundle_state')").toArray();
      if (!columns.some((c) => c.name === "build_started_at"))
        this.ctx.storage.sql.exec("ALTER TABLE bundle_state ADD COLUMN build_started_at INTEGER");
      if (!columns.some((c) => c.name === "failures_in_row"))
        this.ctx.storage.sql.exec("ALTER TABLE bundle_state ADD COLUMN failures_in_row INTEGER NOT NULL DEFAULT 0");
    });
  }

  private get config() {
    return parseEnv(this.env);
  }

  private row(): Row {
    return this.ctx.storage.sql
      .exec<Row & Record<string, SqlStorageValue>>("SELECT * FROM bundle_state WHERE id = 1")
      .one() as unknown as Row;
  }

  private save(patch: Partial<Row>): void {
    const entries = Object.entries({ ...patch, updated_at: Date.now() });
    this.ctx.storage.sql.exec(
      `UPDATE bundle_state SET ${entries.map(([k]) => `${k} = ?`).join(", ")} WHERE id = 1`,
      ...entries.map(([, v]) => v as SqlStorageValue),
    );
  }

  private redisClient: RedisClient | null = null;

  /** One Redis client for the object's life: the gate is renewed at every poll, every few seconds. */
  private get redis(): RedisClient {
    this.redisClient ??= createRedis(this.config);
    return this.redisClient;
  }

  private runner(): JobRunner {
    return createJobRunner(this.config, this.env);
  }

  private metrics: Metrics | null = null;

  /** One data point per finished attempt (docs/operations.md: builds by outcome, time, size). */
  private record(r: Row, outcome: BuildPoint["outcome"], bytes: number, reason: string | null): void {
    this.metrics ??= createMetrics(analyticsSink(this.env), (e) => console.warn("metrics write failed", e));
    this.metrics.build({
      titleId: r.title_id ?? "",
      season: r.season_number ?? 0,
      outcome,
      bytes,
      seconds: r.build_started_at ? (Date.now() - r.build_started_at) / 1000 : 0,
      attempt: r.attempt,
      reason,
    });
  }

  /**
   * When the next unforced build may start: the cooldown after a ready build; after a failed one
   * max(BUNDLE_FAILURE_BACKOFF_SECONDS, twice the cooldown), doubled per failure in a row, at most 7 days.
   */
  private nextBuildAt(r: Row): number | null {
    if (!r.last_built_at) return null;
    const cfg = this.config;
    const cooldownMs = cfg.BUNDLE_REBUILD_COOLDOWN_SECONDS * 1000;
    if (r.state !== "failed") return r.last_built_at + cooldownMs;
    const base = Math.max(cfg.BUNDLE_FAILURE_BACKOFF_SECONDS * 1000, 2 * cooldownMs);
    return r.last_built_at + Math.min(MAX_FAILURE_BACKOFF_MS, base * 2 ** Math.max(0, r.failures_in_row - 1));
  }

  private view(r: Row = this.row()): SeasonBundleStatus {
    const until = this.nextBuildAt(r);
    return {
      state: z.enum(bundleStates).parse(r.state),
      titleId: r.title_id,
      seasonNumber: r.season_number,
      attempt: r.attempt,
      progress: r.progress ? (JSON.parse(r.progress) as JobStatus["progress"]) : null,
      error: r.error,
      bundleId: r.bundle_id,
      lastBuiltAt: r.last_built_at ? new Date(r.last_built_at).toISOString() : null,
      cooldownUntil: until && until > Date.now() ? new Date(until).toISOString() : null,
      updatedAt: r.updated_at ? new Date(r.updated_at).toISOString() : null,
    };
  }

  private activeLookup: ReturnType<typeof activeBundle> | null = null;
  /** Whether the season has anything to build, asked once for every request that arrives while it is asked. */
  private planLookup: Promise<boolean> | null = null;

  async status(ref: SeasonRef): Promise<SeasonBundleStatus> {
    seasonRefSchema.parse(ref);
    return this.view();
  }

  /** Asks for the season's bundle: joins a running build, or starts one unless the cooldown, the backoff or the gate forbids it. */
  async request(ref: SeasonRef, options: z.input<typeof requestSchema>): Promise<RequestOutcome> {
    const { titleId, seasonNumber } = seasonRefSchema.parse(ref);
    const opts = requestSchema.parse(options);
    const r = this.row();
    if (r.title_id && (r.title_id !== titleId || r.season_number !== seasonNumber))
      throw new Error("this object belongs to another season");
    if (r.state === "queued" || r.state === "building") return { status: this.view(r), started: false };
    if (!opts.force) {
      // One lookup shared by every request that arrives while it runs (a stampede asks once).
      this.activeLookup ??= activeBundle(createDb(this.config).db, titleId, seasonNumber, new Date()).finally(() => {
        this.activeLookup = null;
      });
      const active = await this.activeLookup;
      // State may have moved while we awaited: re-read before deciding.
      const now = this.row();
      if (now.state === "queued" || now.state === "building") return { status: this.view(now), started: false };
      if (active) {
        if (now.state !== "ready" || now.bundle_id !== active.id)
          this.save({ state: "ready", bundle_id: active.id, error: null, title_id: titleId, season_number: seasonNumber });
        return { status: this.view(), started: false };
      }
      const until = this.nextBuildAt(now) ?? 0;
      if (until > Date.now())
        return {
          status: this.view(now),
          started: false,
          refused: now.state === "failed" ? "failed" : "cooldown",
          retryAfter: Math.ceil((until - Date.now()) / 1000),
        };
    }
    // Planned before a slot is asked for: a season with nothing to build takes no slot and no budget.
    this.planLookup ??= planSeason(createDb(this.config).db, titleId, seasonNumber, this.config.BUNDLE_LAYOUT)
      .then((p) => p.items.length > 0)
      .finally(() => {
        this.planLookup = null;
      });
    if (!(await this.planLookup)) return { status: this.view(), started: false, refused: "nothing" };
    const limits: GateLimits | null = opts.gate;
    let decision: Awaited<ReturnType<typeof acquireBuildSlot>> = { ok: true };
    try {
      if (limits)
        decision = await acquireBuildSlot(this.redis, this.slotName(titleId, seasonNumber), limits, SLOT_LEASE_MARGIN_MS, new Date());
    } catch (e) {
      console.warn("build gate unreachable", e);
      return { status: this.view(), started: false, refused: "unavailable", retryAfter: 5 };
    }
    const latest = this.row();
    // Another request started the build while we asked the gate: this one joins it (same slot).
    if (latest.state === "queued" || latest.state === "building") return { status: this.view(latest), started: false };
    if (!decision.ok) return { status: this.view(latest), started: false, refused: decision.reason, retryAfter: decision.retryAfter };
    this.save({
      state: "queued",
      title_id: titleId,
      season_number: seasonNumber,
      build_no: latest.build_no + 1,
      attempt: 1,
      job_id: null,
      progress: null,
      error: null,
      poll_failures: 0,
      requested_by: opts.requestedBy,
      build_started_at: Date.now(),
    });
    await this.ctx.storage.setAlarm(Date.now());
    return { status: this.view(), started: true };
  }

  private slotName(titleId: string, season: number): string {
    return `${titleId}:${season}`;
  }

  /** The next step in `delayMs`; the build's gate slot is renewed to outlive it. */
  private async wakeIn(r: Row, delayMs: number): Promise<void> {
    await this.ctx.storage.setAlarm(Date.now() + delayMs);
    await renewBuildSlot(
      this.redis,
      this.slotName(r.title_id ?? "", r.season_number ?? 0),
      delayMs + SLOT_LEASE_MARGIN_MS,
      new Date(),
    ).catch((e: unknown) => console.warn("renewing the build slot failed", e));
  }

  /** The build is over, whichever way: its slot goes back to the gate (or expires with its lease). */
  private async freeSlot(r: Row): Promise<void> {
    await releaseBuildSlot(this.redis, this.slotName(r.title_id ?? "", r.season_number ?? 0)).catch((e: unknown) =>
      console.warn("releasing the build slot failed", e),
    );
  }

  override async alarm(): Promise<void> {
    const r = this.row();
    if (r.state === "queued") await this.startJob(r);
    else if (r.state === "building") await this.followJob(r);
  }

  private jobId(r: Row): string {
    return `bundle-${r.title_id}-S${r.season_number}-b${r.build_no}-a${r.attempt}`;
  }

  private async startJob(r: Row): Promise<void> {
    const cfg = this.config;
    const titleId = r.title_id as string;
    const season = r.season_number as number;
    try {
      const db = createDb(cfg).db;
      const plan = await planSeason(db, titleId, season, cfg.BUNDLE_LAYOUT);
      if (plan.items.length === 0) return this.fail("The season has no episode with an uploaded downloadable file.");
      const zipKey = keys.bundle(titleId, season);
      // A job killed mid-way leaves its multipart upload open: clear them before starting again.
      const s3 = createS3(cfg);
      for (const u of await s3.listMultipartUploads(zipKey)) await s3.abortMultipart(u.key, u.uploadId).catch(() => undefined);
      const id = this.jobId(r);
      await this.runner().start({
        id,
        type: "bundle",
        zip_key: zipKey,
        manifest_key: keys.bundleManifest(titleId, season),
        title_id: titleId,
        season_number: season,
        items: plan.items,
        library: plan.library,
      });
      this.save({ state: "building", job_id: id, poll_failures: 0, progress: null });
      await this.wakeIn(r, cfg.BUNDLE_POLL_INTERVAL_MS);
    } catch (e) {
      // A full job service is no failure of this build: it stays queued, costs no attempt, and
      // asks again when the service said to.
      if (e instanceof RunnerBusy) {
        this.save({ state: "queued", error: WAITING_FOR_RUNNER });
        await this.wakeIn(r, Math.max(e.retryAfterMs, cfg.BUNDLE_POLL_INTERVAL_MS));
        return;
      }
      await this.retryOrFail(r, (e as Error).message);
    }
  }

  private async followJob(r: Row): Promise<void> {
    const cfg = this.config;
    let job: JobStatus | null;
    try {
      job = await this.runner().status(r.job_id as string);
    } catch (e) {
      const failures = r.poll_failures + 1;
      if (failures >= MAX_POLL_FAILURES) return this.retryOrFail(r, `lost the job: ${(e as Error).message}`);
      this.save({ poll_failures: failures });
      await this.wakeIn(r, cfg.BUNDLE_POLL_INTERVAL_MS);
      return;
    }
    if (!job) return this.retryOrFail(r, "the job service no longer knows the job (its container was lost)");
    if (job.state === "running") {
      this.save({ progress: JSON.stringify(job.progress), poll_failures: 0 });
      await this.wakeIn(r, cfg.BUNDLE_POLL_INTERVAL_MS);
      return;
    }
    if (job.state !== "succeeded" || !isBundleResult(job.result)) return this.retryOrFail(r, job.error ?? `job ${job.state}`);
    // The job's answer names the keys it wrote; only the keys this object asked for may become a
    // public bundle (a forged or confused answer could otherwise publish any object, originals
    // included). Another answer is no build: the season fails, nothing is recorded.
    const zipKey = keys.bundle(r.title_id as string, r.season_number as number);
    const manifestKey = keys.bundleManifest(r.title_id as string, r.season_number as number);
    if (job.result.zip_key !== zipKey || job.result.manifest_key !== manifestKey) {
      return this.fail(`the job reported keys it was not asked to write (${job.result.zip_key}); nothing was recorded`);
    }
    try {
      const db = createDb(cfg).db;
      const bundle = await recordBuiltBundle(
        db,
        {
          titleId: r.title_id as string,
          season: r.season_number as number,
          zipKey,
          manifestKey,
          size: job.result.size,
          sha256: job.result.sha256,
          itemCount: job.result.item_count,
          expiresAt: new Date(Date.now() + cfg.BUNDLE_TTL_SECONDS * 1000),
          createdBy: r.requested_by ?? "rebuild",
        },
        { actor: null, requestId: job.id, ip: null },
      );
      this.save({
        state: "ready",
        bundle_id: bundle.id,
        last_built_at: Date.now(),
        error: null,
        progress: JSON.stringify(job.progress),
        failures_in_row: 0,
      });
      this.record(r, "ready", job.result.size, null);
      await this.freeSlot(r);
      await bumpCatalogVersion({ redis: this.redis, clock: systemClock }).catch(() => undefined);
    } catch (e) {
      // The archive is there; recording it failed (database down): try the recording again.
      this.save({ error: `recording the bundle failed: ${(e as Error).message}` });
      await this.wakeIn(r, cfg.BUNDLE_RETRY_BASE_MS);
    }
  }

  private async retryOrFail(r: Row, reason: string): Promise<void> {
    const cfg = this.config;
    if (r.attempt >= cfg.BUNDLE_MAX_ATTEMPTS) return this.fail(`gave up after ${r.attempt} attempt(s): ${reason}`);
    this.record(r, "retry", 0, reason);
    const delay = cfg.BUNDLE_RETRY_BASE_MS * 2 ** (r.attempt - 1);
    this.save({ state: "queued", attempt: r.attempt + 1, job_id: null, error: reason, poll_failures: 0 });
    await this.wakeIn(r, delay);
  }

  private async fail(reason: string): Promise<void> {
    const r = this.row();
    this.record(r, "failed", 0, reason);
    this.save({ state: "failed", error: reason, job_id: null, last_built_at: Date.now(), failures_in_row: r.failures_in_row + 1 });
    await this.freeSlot(r);
  }
}

/** The typed way to reach a season's object. */
export function seasonBundleStub(ns: DurableObjectNamespace<SeasonBundle>, ref: SeasonRef) {
  const r = seasonRefSchema.parse(ref);
  return ns.get(ns.idFromName(`${r.titleId}:${r.seasonNumber}`));
}
