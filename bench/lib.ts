// Shared by the benchmarks: flags, deterministic incompressible-looking bytes (and their upload),
// what workerd processes cost.
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import type { ObjectStore } from "../src/platform/s3.ts";

const MiB = 1024 * 1024;

/** `--name value` from the command line, else the default. */
export function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? (process.argv[i + 1] ?? dflt) : dflt;
}

/** A block of xorshift32 output: the same for the same seed, and not compressible. */
export function pseudoRandomBlock(size: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(size);
  let x = seed;
  for (let i = 0; i + 4 <= size; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b.writeUInt32LE(x >>> 0, i);
  }
  return b;
}

/** Deterministic, incompressible-looking content: one 8 MiB block, each chunk stamped with its index. */
const block = pseudoRandomBlock(8 * MiB, 0x9e3779b9);
export function* chunksOf(size: number, seed: number): Generator<Uint8Array<ArrayBuffer>> {
  for (let off = 0, n = 0; off < size; off += block.length, n++) {
    const c = new Uint8Array(Math.min(block.length, size - off));
    c.set(block.subarray(0, c.length));
    if (c.length >= 8) {
      const v = new DataView(c.buffer);
      v.setUint32(0, seed, true);
      v.setUint32(4, n, true);
    }
    yield c;
  }
}

/** `chunksOf(size, seed)` as one multipart upload at `key`, four parts in flight. */
export async function uploadChunks(s3: ObjectStore, key: string, size: number, seed: number, contentType: string): Promise<void> {
  const uploadId = await s3.createMultipart(key, { contentType });
  const parts: { partNumber: number; etag: string }[] = [];
  const inFlight = new Set<Promise<void>>();
  let n = 0;
  for (const c of chunksOf(size, seed)) {
    const partNumber = ++n;
    const p = s3.uploadPart(key, uploadId, partNumber, c, c.length).then((part) => {
      parts.push(part);
      inFlight.delete(p);
    });
    inFlight.add(p);
    if (inFlight.size >= 4) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  await s3.completeMultipart(
    key,
    uploadId,
    parts.sort((a, b) => a.partNumber - b.partNumber),
  );
}

/** The workerd processes of a process group (wrangler dev's), or one of them: pid, CPU ms (user + system) and resident MiB. */
export function workerdProcesses(processGroup: number | undefined, only?: number): { pid: number; cpuMs: number; rssMib: number }[] {
  const found: { pid: number; cpuMs: number; rssMib: number }[] = [];
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      // After the name: state(0) ppid(1) pgrp(2) … utime(11) stime(12) … rss pages(21); ticks of 10 ms, pages of 4 KiB.
      if (comm === "workerd" && Number(fields[2]) === processGroup && (only === undefined || Number(pid) === only))
        found.push({ pid: Number(pid), cpuMs: (Number(fields[11]) + Number(fields[12])) * 10, rssMib: (Number(fields[21]) * 4096) / MiB });
    } catch {
      // The process ended meanwhile.
    }
  }
  return found;
}

/**
 * The origin of the workerd that runs the Worker under wrangler dev, without wrangler's own front
 * proxy: that proxy (a script in a second workerd) holds a streamed response in memory and moves
 * it at a fraction of the runtime's speed (13 vs 65 MiB/s here, RSS growing to the body's size),
 * which would measure wrangler rather than the Worker. The runtime listens on a port of its own;
 * it is the one of the group's workerd ports, other than wrangler's (`frontOrigin`), where `probe`
 * answers 200. Its pid is the runtime's, whose CPU and memory are the Worker's own.
 */
export async function workerdRuntime(
  processGroup: number | undefined,
  frontOrigin: string,
  probe: string,
): Promise<{ origin: string; pid: number }> {
  const front = Number(new URL(frontOrigin).port);
  const pids = new Set(workerdProcesses(processGroup).map((p) => p.pid));
  const listening = spawnSync("ss", ["-ltnpH"], { encoding: "utf8" }).stdout.split("\n");
  const all = listening.flatMap((l) => {
    const m = /127\.0\.0\.1:(\d+)\s.*"workerd",pid=(\d+)/.exec(l);
    return m && pids.has(Number(m[2])) ? [{ port: Number(m[1]), pid: Number(m[2]) }] : [];
  });
  // Started without the DevTools inspector (test/support/worker-no-devtools.ts), a Worker with a
  // plain config (bench/stored-zip-proxy-worker.ts) runs in one workerd with no front proxy: its one
  // port is the runtime's. The service still gets a front proxy in a second workerd.
  const ports = all.length === 1 ? all : all.filter((p) => p.port !== front);
  for (const { port, pid } of ports) {
    const origin = `http://127.0.0.1:${port}`;
    const ok = await fetch(`${origin}${probe}`, { signal: AbortSignal.timeout(2000) }).then(
      async (r) => r.status === 200 && !(await r.text()).includes("Not yet implemented"),
      () => false,
    );
    if (ok) return { origin, pid };
  }
  throw new Error(`no workerd port of process group ${processGroup} answers ${probe}`);
}
