// The production job runner, behaviourally: BundleJobContainer (on @cloudflare/containers) is
// built on a real Durable Object's state with Cloudflare's container runtime replaced by a
// stand-in whose port forwards to the real job service of the local stack. What is checked is what
// production relies on: the first call starts the image once with the job's own environment,
// waits through a cold start until the port answers, and forwards signed job calls; a call
// after the container exited starts it again and the stop (with its exit code) is seen; without
// its credentials nothing starts.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { BundleJobContainer, jobContainerEnv } from "../../../src/features/bundles/bundle-job-container";
import type { JobRequest } from "../../../src/features/bundles/contract";
import { createHttpJobRunner, RunnerBusy, RunnerUnavailable } from "../../../src/features/bundles/job-runner";
import { seasonBundleStub } from "../../../src/features/bundles/season-bundle";
import { config } from "../../support/admin";

const worker = {
  AWS_BUCKET_NAME: "media",
  AWS_REGION: "eu-west-1",
  AWS_ACCESS_KEY_ID: "AKIAWORKER",
  AWS_SECRET_ACCESS_KEY: "worker-full-rights",
  JOB_SERVICE_SECRET: "a-job-service-secret-of-32-characters!",
};

/** Cloudflare's container runtime as the library sees it, with the image replaced by the local job service. */
class RuntimeStandIn {
  running = false;
  starts: ContainerStartupOptions[] = [];
  /** Port checks refused after each start, as while a process boots. */
  coldChecks: number;
  private refusalsLeft = 0;
  private exit: ((code: number) => void) | null = null;
  forwarded: string[] = [];

  constructor(
    private readonly serviceUrl: string,
    coldChecks = 2,
  ) {
    this.coldChecks = coldChecks;
  }

  start(options?: ContainerStartupOptions): void {
    if (this.running) throw new Error("start() cannot be called on a container that is already running.");
    this.running = true;
    this.refusalsLeft = this.coldChecks;
    this.starts.push(options ?? { enableInternet: false });
  }

  monitor(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.exit = (code) => (code === 0 ? resolve() : reject(new Error(`container exited with unexpected exit code: ${code}`)));
    });
  }

  /** The process ends on its own (a crash, an OOM kill). */
  exitWith(code: number): void {
    this.running = false;
    this.exit?.(code);
  }

  getTcpPort(port: number): Fetcher {
    return {
      fetch: async (input: RequestInfo | URL, init?: RequestInit) => {
        if (!this.running) throw new Error("there is no container instance that can be provided to this durable object");
        if (port !== 8080 || this.refusalsLeft-- > 0) throw new Error("the container is not listening on the TCP address");
        const req = new Request(input, init);
        const url = new URL(req.url);
        this.forwarded.push(`${req.method} ${url.host}${url.pathname}`);
        return fetch(new Request(`${this.serviceUrl}${url.pathname}${url.search}`, req));
      },
    } as Fetcher;
  }

  async destroy(): Promise<void> {
    this.exitWith(0);
  }
  signal(): void {
    this.exitWith(143);
  }
  async setInactivityTimeout(): Promise<void> {}
}

/** A BundleJobContainer on a fresh Durable Object's real state (storage, alarms), with the stand-in runtime. */
async function withContainer<T>(
  runtime: RuntimeStandIn,
  vars: Record<string, string>,
  body: (c: BundleJobContainer, logs: string[]) => Promise<T>,
): Promise<T> {
  const stub = seasonBundleStub(env.SEASON_BUNDLE, { titleId: crypto.randomUUID(), seasonNumber: 1 });
  return runInDurableObject(stub, async (_o, state) => {
    // The state stays the runtime's own object (the base class checks); only its container is ours.
    Object.defineProperty(state, "container", { value: runtime, configurable: true });
    const logs: string[] = [];
    const { log, error } = console;
    console.log = (...a: unknown[]) => logs.push(a.map(String).join(" "));
    console.error = (...a: unknown[]) => logs.push(a.map(String).join(" "));
    try {
      const c = new BundleJobContainer(
        state as ConstructorParameters<typeof BundleJobContainer>[0],
        { ...env, ...vars } as unknown as CloudflareBindings,
      );
      return await body(c, logs);
    } finally {
      console.log = log;
      console.error = error;
      // The library schedules alarms on this (borrowed) object's storage.
      await state.storage.deleteAlarm();
    }
  });
}

const jobVars = {
  JOB_AWS_ACCESS_KEY_ID: "AKIAJOB",
  JOB_AWS_SECRET_ACCESS_KEY: "job-narrow",
  JOB_SERVICE_SECRET: config.JOB_SERVICE_SECRET ?? "",
};
const runnerThrough = (c: BundleJobContainer) =>
  createHttpJobRunner("http://bundle-jobs", 15_000, jobVars.JOB_SERVICE_SECRET, (req) => c.fetch(req));

describe("the bundle job container (production runner)", () => {
  it("starts the image once with the job's own environment, waits out a cold start, and forwards signed calls", async () => {
    const runtime = new RuntimeStandIn(config.JOB_RUNNER_URL ?? "", 3);
    await withContainer(runtime, jobVars, async (c, logs) => {
      const runner = runnerThrough(c);
      // Answered by the real job service: it verified the signature and does not know the job.
      expect(await runner.status(`bundle-${crypto.randomUUID()}`)).toBeNull();
      expect(await runner.status(`bundle-${crypto.randomUUID()}`)).toBeNull();
      expect(runtime.starts).toHaveLength(1);
      expect(runtime.starts[0]).toMatchObject({
        enableInternet: true,
        env: expect.objectContaining({
          PORT: "8080",
          HOST: "0.0.0.0",
          AWS_ACCESS_KEY_ID: "AKIAJOB",
          AWS_SECRET_ACCESS_KEY: "job-narrow",
          JOB_SERVICE_SECRET: jobVars.JOB_SERVICE_SECRET,
        }),
      });
      expect(runtime.forwarded.filter((f) => f.startsWith("GET bundle-jobs/jobs/"))).toHaveLength(2);
      expect(logs.some((l) => l.includes("bundle job container started"))).toBe(true);
    });
  });

  it("after the container exits, the next call starts it again and the stop is logged with its exit code", async () => {
    const runtime = new RuntimeStandIn(config.JOB_RUNNER_URL ?? "", 1);
    await withContainer(runtime, jobVars, async (c, logs) => {
      const runner = runnerThrough(c);
      expect(await runner.status(`bundle-${crypto.randomUUID()}`)).toBeNull();
      runtime.exitWith(137);
      await new Promise((r) => setTimeout(r, 50));
      expect(await runner.status(`bundle-${crypto.randomUUID()}`)).toBeNull();
      expect(runtime.starts).toHaveLength(2);
      expect(logs.some((l) => l.includes("bundle job container stopped") && l.includes('"exit_code":137'))).toBe(true);
    });
  });

  it("without the job's own S3 key starts nothing and answers 503 naming what is missing", async () => {
    const runtime = new RuntimeStandIn(config.JOB_RUNNER_URL ?? "");
    await withContainer(runtime, { JOB_AWS_ACCESS_KEY_ID: "", JOB_AWS_SECRET_ACCESS_KEY: "" }, async (c) => {
      const r = await c.fetch(new Request("http://bundle-jobs/jobs/x"));
      expect(r.status).toBe(503);
      expect(await r.text()).toMatch(/JOB_AWS_ACCESS_KEY_ID, JOB_AWS_SECRET_ACCESS_KEY/);
      expect(runtime.starts).toHaveLength(0);
    });
  });
});

describe("the bundle job container's environment", () => {
  it("is given the job's own S3 key, the signing secret, and listens on its interface", () => {
    const r = jobContainerEnv({ ...worker, JOB_AWS_ACCESS_KEY_ID: "AKIAJOB", JOB_AWS_SECRET_ACCESS_KEY: "job-narrow" });
    expect(r).toEqual({
      env: expect.objectContaining({
        AWS_ACCESS_KEY_ID: "AKIAJOB",
        AWS_SECRET_ACCESS_KEY: "job-narrow",
        JOB_SERVICE_SECRET: worker.JOB_SERVICE_SECRET,
        HOST: "0.0.0.0",
      }),
    });
  });

  it("never falls back to the Worker's full-rights key: without its own, it is not started", () => {
    expect(jobContainerEnv(worker)).toEqual({ missing: ["JOB_AWS_ACCESS_KEY_ID", "JOB_AWS_SECRET_ACCESS_KEY"] });
    const { JOB_SERVICE_SECRET: _s, ...noSecret } = worker;
    expect(jobContainerEnv({ ...noSecret, JOB_AWS_ACCESS_KEY_ID: "a", JOB_AWS_SECRET_ACCESS_KEY: "b" })).toEqual({
      missing: ["JOB_SERVICE_SECRET"],
    });
  });
});

describe("the job runner", () => {
  const job: JobRequest = {
    id: `bundle-${crypto.randomUUID()}`,
    type: "bundle",
    zip_key: "bundles/x/S01.zip",
    manifest_key: "bundles/x/S01.manifest.json",
    title_id: crypto.randomUUID(),
    season_number: 1,
    items: [],
    library: null,
  };
  const answering = (res: () => Response) => createHttpJobRunner("http://bundle-jobs", 5_000, "s".repeat(32), async () => res());

  it("tells a full job service (503 + Retry-After) from a failing one, so the season waits instead of spending an attempt", async () => {
    const busy = await answering(() => new Response('{"error":"at capacity"}', { status: 503, headers: { "retry-after": "12" } }))
      .start(job)
      .catch((e: unknown) => e);
    expect(busy).toBeInstanceOf(RunnerBusy);
    expect((busy as RunnerBusy).retryAfterMs).toBe(12_000);
    const down = await answering(() => new Response("", { status: 503 }))
      .start(job)
      .catch((e: unknown) => e);
    expect(down).toBeInstanceOf(RunnerUnavailable);
    expect(down).not.toBeInstanceOf(RunnerBusy);
  });
});
