// bench/instant-zip: a season's ZIP three ways, the same bytes each time, through wrangler's local
// runtime (without the DevTools inspector) on the local stack: the instant ZIP (the Worker plans the archive and pipes each video from ranged
// S3 reads), a Worker that only proxies the stored rebuild (bench/stored-zip-proxy-worker.ts, the
// same workerd), and a direct S3 GET of the stored rebuild. Also: time to the first byte of an
// instant ZIP against the time until a rebuild is ready, and workerd's CPU time and resident memory
// per GiB streamed, for seasons of 1 and 4 GiB (4 episodes of real, distinct bytes each). Both
// Workers are reached on their workerd runtime's own port, never through a front proxy that would
// hold each streamed body in memory (bench/lib.ts, workerdRuntime).
//   npm run bench:instant-zip [-- --sizes 1,4 --runs 3]
// Rounds interleave the three ways, so a slow moment of this shared machine hits all of them.
import { type ChildProcess, spawn } from "node:child_process";
import { createHash, randomUUID } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { s3Env } from "../scripts/stack/config.ts";
import { stackUp } from "../scripts/stack/index.ts";
import { freePort } from "../scripts/stack/proc.ts";
import { keys } from "../src/lib/storage-keys.ts";
import { createS3 } from "../src/platform/s3.ts";
import { adminOverHttp, adminWorkerVars } from "../test/support/http-admin.ts";
import { noDevtoolsArgs, startHttpWorker, wranglerEnv } from "../test/support/http-worker.ts";
import { arg, uploadChunks, workerdProcesses, workerdRuntime } from "./lib.ts";

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const sizesGiB = arg("sizes", "1,4").split(",").map(Number);
const runs = Number(arg("runs", "3"));
const EPISODES = 4;
const root = resolve(import.meta.dirname, "..");
const out = resolve(root, ".local/bench");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (s: string) => process.stderr.write(`[bench] ${s}\n`);

await stackUp({ quiet: true });
const s3 = createS3({ ...s3Env, DEPENDENCY_TIMEOUT_MS: 120_000 });
const ADMIN_KEY = `bench-${randomUUID()}`;
// Both Workers run without wrangler dev's DevTools inspector (test/support/worker-no-devtools.ts):
// with it, each streamed subrequest sends its events through a second workerd and wrangler's Node
// process and leaves workerd's memory larger by tens of MiB per GiB, for the service and for a
// Worker that only proxies alike (measured: 34 and 173 MiB per download of 1 and 4 GiB).
const worker = await startHttpWorker(adminWorkerVars(ADMIN_KEY), { devtools: false });
const proxy = await startProxyWorker();
// Both Workers are reached on their runtime's own port, past wrangler dev's front proxy (see lib.ts).
const runtime = await workerdRuntime(worker.processGroup, worker.api, "/api/v1/health");
const proxyRuntime = await workerdRuntime(proxy.processGroup, proxy.url, "/");
const api = `${runtime.origin}/api/v1`;
const proxyUrl = `${proxyRuntime.origin}/`;
const admin = adminOverHttp(api, ADMIN_KEY);

/** bench/stored-zip-proxy-worker.ts on the same runtime, in a process group of its own (its CPU is read from /proc). */
async function startProxyWorker(): Promise<{ url: string; processGroup: number | undefined; stop(): void }> {
  const dir = mkdtempSync(join(tmpdir(), "mn-bench-proxy-"));
  const port = await freePort();
  // A config of its own: without one wrangler finds the service's wrangler.toml from the script's folder.
  const config = join(dir, "wrangler.json");
  writeFileSync(
    config,
    JSON.stringify({ name: "stored-zip-proxy", main: resolve(root, "bench/stored-zip-proxy-worker.ts"), compatibility_date: "2026-05-03" }),
  );
  const child: ChildProcess = spawn(process.execPath, noDevtoolsArgs(config, port, join(dir, "state")), {
    cwd: dir,
    detached: true,
    stdio: "ignore",
    env: wranglerEnv(dir),
  });
  const url = `http://127.0.0.1:${port}/`;
  for (let i = 0; ; i++) {
    if (
      await fetch(url, { signal: AbortSignal.timeout(2000) }).then(
        (r) => r.ok,
        () => false,
      )
    )
      break;
    if (i > 300) throw new Error("the proxy Worker did not start");
    await sleep(200);
  }
  return {
    url,
    processGroup: child.pid,
    stop() {
      if (child.pid) process.kill(-child.pid, "SIGTERM");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

interface Asset {
  id: string;
  storage_key: string;
}

/** Every object a run made, removed at the end (the sources and the stored rebuild). */
const made: string[] = [];

/** A published series of EPISODES episodes totalling `gib` GiB, every video uploaded and checksummed. */
async function season(gib: number): Promise<{ titleId: string }> {
  const title = await admin<{ id: string }>("POST", "/admin/titles", {
    kind: "series",
    name: `Bench Instant ${gib} GiB ${randomUUID().slice(0, 8)}`,
    year: 2026,
    overview: "A season of incompressible bytes.",
  });
  const each = Math.ceil((gib * GiB) / EPISODES) + 4097; // odd sizes: members are not part-aligned
  const assets: Asset[] = [];
  for (let i = 0; i < EPISODES; i++) {
    const ep = await admin<{ id: string }>("POST", `/admin/titles/${title.id}/episodes`, {
      season_number: 1,
      episode_number: i + 1,
      name: `Episode ${i + 1}`,
    });
    const c = await admin<{ asset: Asset }>("POST", `/admin/titles/${title.id}/assets`, {
      kind: "ORIGINAL",
      episode_id: ep.id,
      filename: `e${i + 1}.mkv`,
      content_type: "video/x-matroska",
      size_bytes: each,
    });
    await uploadChunks(s3, c.asset.storage_key, each, gib * 100 + i, "video/x-matroska");
    await admin("GET", `/admin/assets/${c.asset.id}/head`);
    assets.push(c.asset);
    made.push(c.asset.storage_key);
  }
  // Large files are hashed by the job service (202 until it is done).
  await Promise.all(
    assets.map(async (a) => {
      for (;;) {
        const r = await admin<{ asset?: unknown }>("POST", `/admin/assets/${a.id}/checksum`);
        if (r.asset) return;
        await sleep(1000);
      }
    }),
  );
  await admin("POST", `/admin/titles/${title.id}/publish?force=true`);
  return { titleId: title.id };
}

type Status = { instant_url: string | null; status: { state: string; error: string | null }; download: { url: string } | null };
const status = async (titleId: string, presign = false) =>
  (await (
    await fetch(`${api}/delivery/bundle-status?title_id=${titleId}&season_number=1${presign ? "&presign=true" : ""}`)
  ).json()) as Status;

interface Stream {
  bytes: number;
  seconds: number;
  ttfb_ms: number;
  sha256: string | null;
  /** CPU of the workerd serving it (ms), and its largest resident size while it did (MiB); null for S3 direct. */
  workerd_cpu_ms: number | null;
  workerd_peak_rss_mib: number | null;
  /** Its resident size when the request was sent: the peak above it is what this download added. */
  workerd_start_rss_mib: number | null;
}

/** GETs `url` to the end; reads the CPU and samples the memory of the Worker's workerd runtime (`rt`). */
async function timedGet(url: string, rt: { group: number | undefined; pid: number } | null, hash: boolean): Promise<Stream> {
  const group = rt !== null;
  const proc = () => (rt ? workerdProcesses(rt.group, rt.pid)[0] : undefined);
  const cpu = () => proc()?.cpuMs ?? 0;
  let peak = 0;
  const sample = () => {
    peak = Math.max(peak, proc()?.rssMib ?? 0);
  };
  const startRss = proc()?.rssMib ?? null;
  const timer = group ? setInterval(sample, 100) : null;
  const cpu0 = group ? cpu() : 0;
  const h = hash ? createHash("sha256") : null;
  const t0 = performance.now();
  const res = await fetch(url);
  if (res.status !== 200 || !res.body) throw new Error(`GET answered ${res.status}: ${await res.text()}`);
  let ttfb = 0;
  let bytes = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (bytes === 0) ttfb = performance.now() - t0;
    bytes += value.length;
    h?.update(value);
  }
  const seconds = (performance.now() - t0) / 1000;
  if (timer) clearInterval(timer);
  if (group) sample();
  const expected = Number(res.headers.get("content-length"));
  if (bytes !== expected) throw new Error(`${bytes} bytes where ${expected} were announced`);
  return {
    bytes,
    seconds,
    ttfb_ms: ttfb,
    sha256: h ? h.digest("hex") : null,
    workerd_cpu_ms: group ? cpu() - cpu0 : null,
    workerd_peak_rss_mib: group ? peak : null,
    workerd_start_rss_mib: group ? startRss : null,
  };
}

/** Time to the first body byte, then the download is dropped. */
async function firstByteMs(url: string): Promise<number> {
  const t0 = performance.now();
  const res = await fetch(url);
  const reader = res.body?.getReader();
  await reader?.read();
  const ms = performance.now() - t0;
  await reader?.cancel();
  return ms;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? ((s[(s.length - 1) >> 1] as number) + (s[s.length >> 1] as number)) / 2 : 0;
};
const rate = (s: Stream) => s.bytes / MiB / s.seconds;

const rows: Record<string, number | string | boolean>[] = [];
try {
  for (const gib of sizesGiB) {
    log(`${gib} GiB season: uploading ${EPISODES} episodes and checksumming them…`);
    const { titleId } = await season(gib);
    made.push(keys.bundle(titleId, 1), keys.bundleManifest(titleId, 1));
    const instantUrl = (await status(titleId)).instant_url;
    if (!instantUrl) throw new Error("no instant_url for a fully checksummed season");

    // Time to first byte of the instant ZIP (median of 5), then a rebuild from nothing to ready.
    const ttfbs: number[] = [];
    for (let i = 0; i < 5; i++) ttfbs.push(await firstByteMs(instantUrl));
    log(`${gib} GiB: rebuild`);
    const t0 = performance.now();
    const asked = await fetch(`${api}/delivery/request-bundle`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ title_id: titleId, season_number: 1 }),
    });
    await asked.body?.cancel();
    if (asked.status !== 202) throw new Error(`request-bundle answered ${asked.status}`);
    for (;;) {
      const s = await status(titleId);
      if (s.status.state === "ready") break;
      if (s.status.state === "failed") throw new Error(`rebuild failed: ${s.status.error}`);
      await sleep(200);
    }
    const rebuildSeconds = (performance.now() - t0) / 1000;

    const results: Record<"instant" | "proxy" | "direct", Stream[]> = { instant: [], proxy: [], direct: [] };
    for (let r = 0; r < runs; r++) {
      const stored = (await status(titleId, true)).download?.url;
      if (!stored) throw new Error("the rebuilt bundle has no download URL");
      const hash = r === 0; // the first round checks that all three are the same bytes
      log(`${gib} GiB: round ${r + 1} of ${runs}`);
      results.instant.push(await timedGet(instantUrl, { group: worker.processGroup, pid: runtime.pid }, hash));
      results.proxy.push(
        await timedGet(`${proxyUrl}?u=${encodeURIComponent(stored)}`, { group: proxy.processGroup, pid: proxyRuntime.pid }, hash),
      );
      results.direct.push(await timedGet(stored, null, hash));
    }
    const [i0, p0, d0] = [results.instant[0], results.proxy[0], results.direct[0]];
    const same = i0?.sha256 === d0?.sha256 && p0?.sha256 === d0?.sha256;
    if (!same) throw new Error(`the three ways gave different bytes: ${i0?.sha256} ${p0?.sha256} ${d0?.sha256}`);
    const med = (k: keyof typeof results, f: (s: Stream) => number) => median(results[k].map(f));
    const bytes = i0?.bytes ?? 0;
    const instantRate = med("instant", rate);
    const proxyRate = med("proxy", rate);
    rows.push({
      season_gib: gib,
      archive_bytes: bytes,
      same_bytes: same,
      instant_mib_s: instantRate,
      proxy_mib_s: proxyRate,
      direct_mib_s: med("direct", rate),
      instant_vs_proxy: instantRate / proxyRate,
      instant_ttfb_ms: median(ttfbs),
      rebuild_ready_s: rebuildSeconds,
      instant_cpu_s_per_gib: med("instant", (s) => (s.workerd_cpu_ms ?? 0) / 1000 / (s.bytes / GiB)),
      proxy_cpu_s_per_gib: med("proxy", (s) => (s.workerd_cpu_ms ?? 0) / 1000 / (s.bytes / GiB)),
      instant_peak_rss_mib: Math.max(...results.instant.map((s) => s.workerd_peak_rss_mib ?? 0)),
      proxy_peak_rss_mib: Math.max(...results.proxy.map((s) => s.workerd_peak_rss_mib ?? 0)),
      // What one download adds on top of what the process already held (workerd keeps memory it
      // used, so the lifetime peak grows with everything streamed before).
      instant_rss_added_mib: Math.max(...results.instant.map((s) => (s.workerd_peak_rss_mib ?? 0) - (s.workerd_start_rss_mib ?? 0))),
      proxy_rss_added_mib: Math.max(...results.proxy.map((s) => (s.workerd_peak_rss_mib ?? 0) - (s.workerd_start_rss_mib ?? 0))),
    });
  }
} finally {
  proxy.stop();
  await worker.stop();
  await s3.deleteMany(made).catch(() => undefined);
}

const f = (v: unknown, d = 0) => (typeof v === "number" ? v.toFixed(d) : String(v));
const md = [
  `# Instant season ZIPs (${new Date().toISOString()}, ${runs} round${runs === 1 ? "" : "s"}, medians)`,
  "",
  "| season | instant MiB/s | Worker proxy MiB/s | S3 direct MiB/s | instant ÷ proxy | instant TTFB | rebuild ready | workerd CPU s/GiB (instant, proxy) | workerd peak RSS (instant, proxy) | RSS one download added (instant, proxy) |",
  "|---|---|---|---|---|---|---|---|---|---|",
  ...rows.map(
    (r) =>
      `| ${r.season_gib} GiB | ${f(r.instant_mib_s)} | ${f(r.proxy_mib_s)} | ${f(r.direct_mib_s)} | ${f(r.instant_vs_proxy, 2)} | ${f(r.instant_ttfb_ms)} ms | ${f(r.rebuild_ready_s, 1)} s | ${f(r.instant_cpu_s_per_gib, 2)}, ${f(r.proxy_cpu_s_per_gib, 2)} | ${f(r.instant_peak_rss_mib)} MiB, ${f(r.proxy_peak_rss_mib)} MiB | ${f(r.instant_rss_added_mib)} MiB, ${f(r.proxy_rss_added_mib)} MiB |`,
  ),
  "",
];
const targets = rows.map((r) => ({
  target: `instant ≥ 0.9 × Worker proxy (${r.season_gib} GiB)`,
  value: f(r.instant_vs_proxy, 2),
  met: (r.instant_vs_proxy as number) >= 0.9,
}));
md.push(
  "| target | measured | met |",
  "|---|---|---|",
  ...targets.map((t) => `| ${t.target} | ${t.value} | ${t.met ? "yes" : "**no**"} |`),
);
mkdirSync(out, { recursive: true });
writeFileSync(join(out, "instant-zip.json"), `${JSON.stringify({ at: new Date().toISOString(), runs, rows, targets }, null, 2)}\n`);
console.log(md.join("\n"));
