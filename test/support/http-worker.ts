// The Worker served over HTTP by `wrangler dev` on loopback, for tests that drive it from
// outside (the CLI as a process): the same code and bindings as the workers pool, on a free port,
// with its own Durable Object storage. Started by the test file that needs it.
import { type ChildProcess, spawn } from "node:child_process";
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { freePort } from "../../scripts/stack/proc.ts";

const root = resolve(import.meta.dirname, "../..");

export interface HttpWorker {
  /** …/api/v1 */
  api: string;
  /** The process group wrangler and its workerd run in (benchmarks read their CPU time). */
  processGroup: number | undefined;
  stop(): Promise<void>;
}

export interface HttpWorkerOptions {
  /**
   * False: without the DevTools inspector `wrangler dev` attaches (test/support/worker-no-devtools.ts),
   * for benchmarks, which measure the Worker and not wrangler's relay of inspector events.
   */
  devtools?: boolean;
}

/**
 * The environment wrangler runs in here: no metrics, no fetch of the `cf` object, no interactive
 * prompts. wrangler appends every message it relays (each inspector event of each subrequest) to a
 * debug log, by default in ~/.config/.wrangler/logs: hundreds of MiB per test run. It goes to `dir`
 * instead, removed with the Worker's state.
 */
export const wranglerEnv = (dir: string): NodeJS.ProcessEnv => ({
  ...process.env,
  WRANGLER_SEND_METRICS: "false",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  CI: "true",
  WRANGLER_LOG_PATH: join(dir, "wrangler-logs"),
});

/** Node's arguments that run `config`'s Worker without the DevTools inspector (worker-no-devtools.ts). */
export const noDevtoolsArgs = (config: string, port: number, persist: string, envFile?: string): string[] => [
  "--import",
  resolve(root, "node_modules/tsx/dist/loader.mjs"),
  resolve(root, "test/support/worker-no-devtools.ts"),
  config,
  String(port),
  persist,
  ...(envFile ? [envFile] : []),
];

/**
 * A port chosen free can be taken by another process before wrangler binds it (another Worker
 * starting beside this one, an outgoing connection's ephemeral port): then it starts again on
 * another port, a few times, rather than fail a test over a race that is not the service's.
 */
const PORT_ATTEMPTS = 3;

export async function startHttpWorker(vars: Record<string, string>, opts: HttpWorkerOptions = {}, attempt = 1): Promise<HttpWorker> {
  const dir = mkdtempSync(join(tmpdir(), "mn-http-worker-"));
  const envFile = join(dir, "worker.env");
  writeFileSync(
    envFile,
    Object.entries(vars)
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join("\n"),
  );
  const port = await freePort();
  const args =
    opts.devtools === false
      ? noDevtoolsArgs(resolve(root, "wrangler.toml"), port, join(dir, "state"), envFile)
      : [
          resolve(root, "node_modules/wrangler/bin/wrangler.js"),
          "dev",
          "--ip",
          "127.0.0.1",
          "--port",
          String(port),
          "--env-file",
          envFile,
          "--persist-to",
          join(dir, "state"),
          "--show-interactive-dev-session=false",
          "--log-level",
          process.env.MN_WORKER_LOG_LEVEL ?? "warn",
        ];
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: root,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: wranglerEnv(dir),
  });
  let output = "";
  // MN_WORKER_LOG=FILE keeps all of wrangler's output there (MN_WORKER_LOG_LEVEL=debug for more),
  // to see what a failing test saw.
  const log = process.env.MN_WORKER_LOG;
  const keep = (d: Buffer) => {
    output = `${output}${d}`.slice(-4000);
    if (log) appendFileSync(log, d);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const base = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.pid) {
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {
        // already gone
      }
      await new Promise((r) => setTimeout(r, 300));
    }
    rmSync(dir, { recursive: true, force: true });
  };
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) {
      if (/Address already in use/.test(output) && attempt < PORT_ATTEMPTS) {
        rmSync(dir, { recursive: true, force: true });
        return startHttpWorker(vars, opts, attempt + 1);
      }
      throw new Error(`wrangler dev exited: ${output}`);
    }
    const up = await fetch(`${base}/api/v1/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) break;
    if (i > 300) {
      await stop();
      throw new Error(`wrangler dev did not answer on ${base}: ${output}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { api: `${base}/api/v1`, processGroup: child.pid, stop };
}
