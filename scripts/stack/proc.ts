// Process plumbing for the stack: detached daemons tracked by pid files, so `down` stops only
// what `up` started, and waits for a TCP port to answer.
import { type SpawnSyncOptions, spawn, spawnSync } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect, createServer } from "node:net";
import { join } from "node:path";
import { stateDir } from "./config.ts";

export const runDir = join(stateDir, "run");
export const logDir = join(stateDir, "log");

export function ensureDirs(): void {
  mkdirSync(runDir, { recursive: true });
  mkdirSync(logDir, { recursive: true });
}

export function run(cmd: string, args: string[], opts: SpawnSyncOptions = {}): string {
  const r = spawnSync(cmd, args, { encoding: "utf8", ...opts });
  if (r.error) throw new Error(`${cmd} ${args.join(" ")}: ${r.error.message}`);
  if (r.status !== 0) {
    throw new Error(`${cmd} ${args.join(" ")} exited ${r.status}: ${String(r.stderr ?? "").trim() || String(r.stdout ?? "").trim()}`);
  }
  return String(r.stdout ?? "");
}

export function pidFile(name: string): string {
  return join(runDir, `${name}.pid`);
}

export function readPid(name: string): number | undefined {
  const f = pidFile(name);
  if (!existsSync(f)) return undefined;
  const pid = Number(readFileSync(f, "utf8").trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

export function alive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Starts a daemon detached from this process, logging to .local/stack/log/NAME.log. */
export function startDaemon(name: string, cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): number {
  ensureDirs();
  const log = openSync(join(logDir, `${name}.log`), "a");
  const child = spawn(cmd, args, { detached: true, stdio: ["ignore", log, log], env: { ...process.env, ...env } });
  closeSync(log);
  if (child.pid === undefined) throw new Error(`could not start ${name}`);
  child.unref();
  writeFileSync(pidFile(name), `${child.pid}\n`);
  return child.pid;
}

export async function stopDaemon(name: string, signal: NodeJS.Signals = "SIGTERM"): Promise<boolean> {
  const pid = readPid(name);
  if (!alive(pid) || pid === undefined) {
    rmSync(pidFile(name), { force: true });
    return false;
  }
  try {
    process.kill(-pid, signal); // the whole process group (swift forks workers)
  } catch {
    process.kill(pid, signal);
  }
  for (let i = 0; i < 100 && alive(pid); i++) await sleep(100);
  if (alive(pid)) {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      /* already gone */
    }
  }
  rmSync(pidFile(name), { force: true });
  return true;
}

/** Sends a signal to a running daemon's process group without waiting for it to exit (SIGSTOP/SIGCONT). */
export function signalDaemon(name: string, signal: NodeJS.Signals): boolean {
  const pid = readPid(name);
  if (!alive(pid) || pid === undefined) return false;
  try {
    process.kill(-pid, signal);
  } catch {
    process.kill(pid, signal);
  }
  return true;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function portOpen(port: number, host = "127.0.0.1", timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ port, host });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once("connect", () => done(true));
    s.once("error", () => done(false));
  });
}

export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await sleep(150);
  }
  throw new Error(`${what} did not become ready within ${timeoutMs / 1000}s (logs in ${logDir})`);
}

/** A TCP port nobody listens on right now, on loopback. */
export async function freePort(host = "127.0.0.1"): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, host, () => r()));
  const { port } = srv.address() as { port: number };
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}
