// bench/worker-size: what Cloudflare limits and bills at deploy: the Worker bundle's size (raw
// and gzip, as `wrangler deploy` reports it; the free plan's limit is 3 MiB gzip) and its startup
// CPU, from `wrangler check startup`'s CPU profile of the top-level module evaluation.
//   npm run bench:worker
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { gzipSync } from "node:zlib";

const root = resolve(import.meta.dirname, "..");
const dir = mkdtempSync(join(tmpdir(), "mn-worker-size-"));
const wrangler = (args: string[]) =>
  execFileSync(process.execPath, [resolve(root, "node_modules/wrangler/bin/wrangler.js"), ...args], {
    cwd: root,
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" },
    stdio: ["ignore", "pipe", "pipe"],
  });

interface Profile {
  startTime: number;
  endTime: number;
  nodes: { id: number; callFrame: { functionName: string } }[];
  samples: number[];
  timeDeltas: number[];
}

try {
  wrangler(["deploy", "--dry-run", "--outdir", join(dir, "dist")]);
  const js = readdirSync(join(dir, "dist")).filter((f) => f.endsWith(".js"));
  const raw = js.reduce((n, f) => n + statSync(join(dir, "dist", f)).size, 0);
  const gzip = js.reduce((n, f) => n + gzipSync(readFileSync(join(dir, "dist", f))).length, 0);

  const runs: number[] = [];
  for (let i = 0; i < 5; i++) {
    const file = join(dir, `startup-${i}.cpuprofile`);
    wrangler(["check", "startup", "--outfile", file]);
    const p = JSON.parse(readFileSync(file, "utf8")) as Profile;
    const idle = new Set(
      p.nodes.filter((n) => ["(idle)", "(program)", "(garbage collector)"].includes(n.callFrame.functionName)).map((n) => n.id),
    );
    // CPU spent in JavaScript during startup: the samples that are not idle.
    let busyUs = 0;
    p.samples.forEach((id, k) => {
      if (!idle.has(id)) busyUs += p.timeDeltas[k] ?? 0;
    });
    runs.push(busyUs / 1000);
  }
  runs.sort((a, b) => a - b);
  const result = {
    bundle_kib: raw / 1024,
    gzip_kib: gzip / 1024,
    startup_cpu_ms_median: runs[Math.floor(runs.length / 2)] ?? 0,
    startup_cpu_ms_runs: runs,
  };
  console.log(`\nWorker bundle and startup (wrangler deploy --dry-run; wrangler check startup, median of ${runs.length})`);
  console.log("| bundle | gzip | startup CPU |");
  console.log("|---|---|---|");
  console.log(
    `| ${result.bundle_kib.toFixed(0)} KiB | ${result.gzip_kib.toFixed(0)} KiB | ${result.startup_cpu_ms_median.toFixed(1)} ms |`,
  );
  console.log("target: ≤ 250 KiB gzip");
  const out = resolve(root, ".local/bench");
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, "worker.json"), `${JSON.stringify({ at: new Date().toISOString(), ...result }, null, 2)}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
