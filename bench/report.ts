// npm run bench: every benchmark in one run, one report: presigning (ours vs the AWS SDK v3), a
// 1,800-segment HLS playlist signed three ways,
// HTTP load on wrangler dev, the season bundle job vs a raw S3 copy and zip -0, the instant season
// ZIP vs a Worker proxying the stored one vs S3 direct, and the Worker's
// size and startup CPU. Markdown on stdout and in .local/bench/report.md; JSON in report.json.
// Flags go to the parts: --seconds (presign, per cell), --http-seconds, --connections,
// --sizes and --runs (bundle, GiB; default 1 GiB once, as `npm run bench:bundle` does 1,4 × 3).
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { stackDown, stackStatus, stackUp } from "../scripts/stack/index.ts";
import { arg } from "./lib.ts";

const root = resolve(import.meta.dirname, "..");
const out = resolve(root, ".local/bench");
const startedStack = !Object.values(await stackStatus()).every((s) => s.up);
if (startedStack) await stackUp({ quiet: true });

function part(script: string, args: string[]): void {
  process.stderr.write(`\n[bench] ${script} ${args.join(" ")}\n`);
  const r = spawnSync(process.execPath, [resolve(root, "node_modules/tsx/dist/cli.mjs"), resolve(root, "bench", script), ...args], {
    cwd: root,
    stdio: ["ignore", "inherit", "inherit"],
  });
  if (r.status !== 0) throw new Error(`bench/${script} failed (exit ${r.status})`);
}
const read = <T>(name: string) => JSON.parse(readFileSync(join(out, name), "utf8")) as T;

try {
  part("presign.ts", ["--seconds", arg("seconds", "2")]);
  part("hls-playlist.ts", []);
  part("http-load.ts", ["--seconds", arg("http-seconds", "10"), "--connections", arg("connections", "32")]);
  part("bundle.ts", ["--sizes", arg("sizes", "1"), "--runs", arg("runs", "1"), "--clean"]);
  part("instant-zip.ts", ["--sizes", arg("sizes", "1"), "--runs", arg("runs", "1")]);
  part("worker-size.ts", []);
} finally {
  if (startedStack) await stackDown();
}

type Presign = { results: Record<string, Record<string, number>> };
type Http = {
  connections: number;
  seconds: number;
  rows: { name: string; requests_per_s: number; p50_ms: number; p99_ms: number; vs_ceiling: number; non_2xx: number; errors: number }[];
  targets: { target: string; value: string; met: boolean }[];
};
type Bundle = { rows: Record<string, number | null>[] };
type Instant = { rows: Record<string, number | boolean>[]; targets: { target: string; value: string; met: boolean }[] };
type Worker = { bundle_kib: number; gzip_kib: number; startup_cpu_ms_median: number };
type Playlist = { segments: number; results: Record<string, { median_ms: number; p90_ms: number }> };
const presign = read<Presign>("presign.json");
const http = read<Http>("http.json");
const bundle = read<Bundle>("bundle.json");
const worker = read<Worker>("worker.json");
const instant = read<Instant>("instant-zip.json");
const playlist = read<Playlist>("hls-playlist.json");

const f = (v: number | null | undefined, d = 0) => (typeof v === "number" ? v.toFixed(d) : "n/a");
const ours = presign.results["moviesnow signer"] ?? {};
const sdk = presign.results["AWS SDK v3 presigner"] ?? {};
const presignRatio = (ours.sequential ?? 0) / (sdk.sequential ?? 1);
const targets = [
  { target: "presign ≥ 5 × the AWS SDK (sequential)", value: `${presignRatio.toFixed(1)}×`, met: presignRatio >= 5 },
  ...http.targets,
  ...instant.targets,
  { target: "Worker ≤ 250 KiB gzip", value: `${f(worker.gzip_kib)} KiB`, met: worker.gzip_kib <= 250 },
];

const md: string[] = [];
md.push(`# MoviesNow benchmark report (${new Date().toISOString()}, node ${process.version})`, "");
md.push("## Presigned GET URLs per second", "", "| signer | sequential | 50 at a time | × SDK (seq) |", "|---|---|---|---|");
for (const [name, r] of Object.entries(presign.results)) {
  md.push(`| ${name} | ${f(r.sequential)} | ${f(r["50 at a time"])} | ${f((r.sequential ?? 0) / (sdk.sequential ?? 1), 2)} |`);
}
md.push("", `## One ${playlist.segments}-segment HLS playlist, rewritten and signed`, "", "| mode | median ms | p90 ms |", "|---|---|---|");
for (const [name, r] of Object.entries(playlist.results)) md.push(`| ${name} | ${f(r.median_ms, 1)} | ${f(r.p90_ms, 1)} |`);
md.push("", `## HTTP load on wrangler dev (autocannon, ${http.connections} connections, ${http.seconds} s each)`, "");
md.push("| endpoint | req/s | × ceiling | p50 ms | p99 ms | non-2xx | errors |", "|---|---|---|---|---|---|---|");
for (const r of http.rows)
  md.push(`| ${r.name} | ${f(r.requests_per_s)} | ${f(r.vs_ceiling, 2)} | ${r.p50_ms} | ${r.p99_ms} | ${r.non_2xx} | ${r.errors} |`);
md.push("", "## Season bundle job vs raw S3→S3 copy vs zip -0", "");
md.push(
  "| season | job MiB/s | raw copy MiB/s | job ÷ raw | zip -0 MiB/s | job peak RSS | raw copy peak RSS |",
  "|---|---|---|---|---|---|---|",
);
for (const r of bundle.rows) {
  md.push(
    `| ${r.season_gib} GiB | ${f(r.job_mib_s)} | ${f(r.raw_copy_mib_s)} | ${f(r.job_vs_raw, 2)} | ${f(r.zip0_mib_s)} | ${f(r.job_peak_rss_mib, 1)} MiB | ${f(r.raw_copy_peak_rss_mib, 1)} MiB |`,
  );
}
md.push("", "## Instant season ZIP vs a Worker proxying the stored one vs S3 direct (wrangler dev's runtime)", "");
md.push(
  "| season | instant MiB/s | proxy MiB/s | S3 direct MiB/s | instant ÷ proxy | TTFB | rebuild ready | workerd CPU s/GiB | workerd peak RSS |",
  "|---|---|---|---|---|---|---|---|---|",
);
for (const r of instant.rows) {
  md.push(
    `| ${r.season_gib} GiB | ${f(r.instant_mib_s as number)} | ${f(r.proxy_mib_s as number)} | ${f(r.direct_mib_s as number)} | ${f(r.instant_vs_proxy as number, 2)} | ${f(r.instant_ttfb_ms as number)} ms | ${f(r.rebuild_ready_s as number, 1)} s | ${f(r.instant_cpu_s_per_gib as number, 2)} | ${f(r.instant_peak_rss_mib as number)} MiB |`,
  );
}
md.push("", "## Worker", "", "| bundle | gzip | startup CPU (median of 5) |", "|---|---|---|");
md.push(`| ${f(worker.bundle_kib)} KiB | ${f(worker.gzip_kib)} KiB | ${f(worker.startup_cpu_ms_median, 1)} ms |`);
md.push("", "## Targets", "", "| target | measured | met |", "|---|---|---|");
for (const t of targets) md.push(`| ${t.target} | ${t.value} | ${t.met ? "yes" : "**no**"} |`);

const text = `${md.join("\n")}\n`;
mkdirSync(out, { recursive: true });
writeFileSync(join(out, "report.md"), text);
writeFileSync(
  join(out, "report.json"),
  `${JSON.stringify({ at: new Date().toISOString(), node: process.version, presign, playlist, http, bundle, instant, worker, targets }, null, 2)}\n`,
);
console.log(`\n${text}`);
console.log(`(written to ${join(out, "report.md")} and report.json)`);
