// bench/bundle: the season bundle job (container/) against a raw S3 → S3 copy of the same bytes
// (same multipart writer, part size and concurrency, no ZIP and no hashing) and against `zip -0`
// of the same bytes on local disk, with the job's peak RSS, for seasons of 1 GiB and 4 GiB (just
// over, so ZIP64 is in play), on the local stack (Swift s3api on loopback). Each job and each
// copy runs in a fresh process, so each peak RSS (VmHWM) is that run's own. The job builds the
// library layout the API builds by default: per episode the video STORED, an SRT subtitle and an
// NFO file DEFLATEd, tvshow.nfo and MANIFEST.json (the raw copy moves the videos only). Each video
// comes as a checksummed asset does: CRC-32, SHA-256 and ETag recorded, so the job checks its CRC-32
// and does not hash it again; --unrecorded-sha256 sends them as an operator-given checksum or none
// would (no recorded SHA-256): the job then hashes every member.
//   npm run bench:bundle [-- --sizes 1,4 --episodes 4 --runs 3 --layout library|flat --compare-flat --unrecorded-sha256 --clean]
//   npm run bench:bundle -- --concurrency 1,2,4 [--sizes 1 --runs 1]: builds side by side in one job
//   service (one container instance), its peak RSS for each count (sizes wrangler.toml's instance_type)
// Source objects stay in the bucket under originals/<the bench's title>/ for the next run (--clean removes them).
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import * as zlib from "node:zlib";
import { peakRssBytes } from "../container/src/proc-stats.ts";
import { buildNodeEntry, JOB_NODE_FLAGS } from "../scripts/build-container.ts";
import { host, jobService, s3Env } from "../scripts/stack/config.ts";
import { stackUp } from "../scripts/stack/index.ts";
import { freePort } from "../scripts/stack/proc.ts";
import { signJobRequest } from "../src/lib/job-auth.ts";
import { librarySeasonMembers } from "../src/lib/library-layout.ts";
import { keys } from "../src/lib/storage-keys.ts";
import { createS3 } from "../src/platform/s3.ts";
import { arg, chunksOf, uploadChunks } from "./lib.ts";

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const sizesGiB = arg("sizes", "1,4").split(",").map(Number);
const episodes = Number(arg("episodes", "4"));
const runs = Number(arg("runs", "3"));
/** "library" (the API's default) or "flat" (the videos alone, as BUNDLE_LAYOUT=flat). */
const layout = arg("layout", "library");
/** Also runs the flat layout's job in every round, to compare the two layouts within one run. */
const compareFlat = process.argv.includes("--compare-flat");
/** Videos without a recorded SHA-256 (as an operator-given checksum leaves them): the job hashes each. */
const unrecorded = process.argv.includes("--unrecorded-sha256");
// The job and the copy run with the container's node flags; BENCH_NODE_FLAGS replaces them.
const nodeFlags = process.env.BENCH_NODE_FLAGS !== undefined ? process.env.BENCH_NODE_FLAGS.split(" ").filter(Boolean) : JOB_NODE_FLAGS;
const root = resolve(import.meta.dirname, "..");
const jobEnv = { ...s3Env, JOB_SERVICE_SECRET: jobService.secret };
/** The bench's own title: the job service reads only originals/ and writes only a season's bundle keys. */
const BENCH_TITLE = "00000000-0000-4000-8000-00000000be0c";
const signedJobCall = async (base: string, method: string, path: string, body = "") =>
  fetch(`${base}${path}`, {
    method,
    headers: {
      ...(await signJobRequest(jobService.secret, { method, path, body })),
      ...(body ? { "content-type": "application/json" } : {}),
    },
    ...(body ? { body } : {}),
  });
const s3 = createS3(jobEnv);

// ---------------------------------------------------------------- the season's bytes

interface Source {
  key: string;
  name: string;
  size: number;
  crc32: number;
  sha256: string;
  /** The uploaded object's ETag (ensureUploaded). */
  etag: string | null;
  seed: number;
}

function seasonSources(gib: number): Source[] {
  // An odd size per episode, so members are not part-aligned; the total passes gib GiB.
  const each = Math.ceil((gib * GiB) / episodes) + 4097;
  return Array.from({ length: episodes }, (_, i) => {
    const seed = gib * 100 + i;
    let crc = 0;
    const sha = createHash("sha256");
    for (const c of chunksOf(each, seed)) {
      crc = zlib.crc32(c, crc);
      sha.update(c);
    }
    return {
      key: `originals/${BENCH_TITLE}/${gib}g/E${String(i + 1).padStart(2, "0")}.bin`,
      name: `S01E0${i + 1} - Episode ${i + 1}.mkv`,
      size: each,
      crc32: crc,
      sha256: sha.digest("hex"),
      etag: null,
      seed,
    };
  });
}

/** Each episode's SRT subtitle (about 60 KiB of cues, as a real one), under the title's subs/. */
const subtitleOf = (src: Source) => ({
  key: `subs/title/${BENCH_TITLE}/${src.key.split("/").at(-1)}.en.srt`,
  bytes: new TextEncoder().encode(
    Array.from(
      { length: 700 },
      (_, i) => `${i + 1}\n00:${String(i % 60).padStart(2, "0")}:01,000 --> 00:00:02,000\nA line of dialogue, number ${i + 1}.\n\n`,
    ).join(""),
  ),
});

/** The job's items and manifest for a season in the library layout, as planSeason would give them. */
function libraryJob(sources: Source[]) {
  const mtime = "2026-01-01T00:00:00Z";
  const plan = librarySeasonMembers({
    show: { name: "Bench Show", year: 2026, overview: "A season of incompressible bytes.", genres: ["drama"] },
    season: 1,
    episodes: sources.map((s, i) => ({
      episodeNumber: i + 1,
      name: `Episode ${i + 1}`,
      overview: "Things happen.",
      airDate: "2026-01-01",
      runtimeMinutes: 50,
      videoExt: "mkv",
      videoRef: s.key,
      subtitles: [{ language: "en", label: null, isDefault: true, isForced: false, format: "srt" as const, ref: subtitleOf(s).key }],
    })),
  });
  const byKey = new Map(sources.map((s) => [s.key, s]));
  return {
    items: plan.members.map((m) => {
      if ("text" in m) return { name: m.name, text: m.text, mtime };
      const video = byKey.get(m.ref);
      const size = video ? video.size : sources.map(subtitleOf).find((x) => x.key === m.ref)?.bytes.length;
      return { source_key: m.ref, name: m.name, size, ...recorded(video), mtime, method: m.method };
    }),
    library: { name: plan.manifest, title: "Bench Show", year: 2026, mtime },
  };
}

/** What the catalog records of a video (checksummed: CRC-32, SHA-256, ETag), or of a subtitle (nothing here). */
const recorded = (video: Source | undefined) =>
  video ? { crc32: video.crc32, ...(unrecorded ? {} : { sha256: video.sha256, etag: video.etag }) } : { crc32: null };

async function ensureUploaded(src: Source): Promise<void> {
  const sub = subtitleOf(src);
  if ((await s3.head(sub.key))?.size !== sub.bytes.length) await s3.put(sub.key, sub.bytes);
  let head = await s3.head(src.key);
  if (head?.size !== src.size) {
    await uploadChunks(s3, src.key, src.size, src.seed, "video/x-matroska");
    head = await s3.head(src.key);
  }
  src.etag = head?.etag ?? null;
}

// ---------------------------------------------------------------- processes

/** User + system CPU seconds a process has used (clock ticks of /proc/PID/stat; 100 per second here). */
const cpuSeconds = (pid: number) => {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  return (Number(f[11]) + Number(f[12])) / 100;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Run {
  bytes: number;
  seconds: number;
  peak_rss_bytes: number;
  cpu_seconds: number;
}

/** The bench title's season number for a size: each size's archive has a key of its own. */
const seasonFor = (gib: number) => Math.round(gib * 100);

async function runJob(sources: Source[], tag: string, season: number, as = layout): Promise<Run & { sha256: string }> {
  const { jobs, peak_rss_bytes, cpu_seconds } = await runJobs(sources, tag, [season], as);
  const [only] = jobs;
  if (!only) throw new Error("no job ran");
  return { ...only, peak_rss_bytes, cpu_seconds };
}

/**
 * Builds one season archive per entry of `seasons` at once in one fresh job service (as one
 * container instance runs them side by side); the process's peak RSS and CPU cover them all.
 */
async function runJobs(
  sources: Source[],
  tag: string,
  seasons: number[],
  as = layout,
): Promise<{ jobs: { bytes: number; seconds: number; sha256: string }[]; seconds: number; peak_rss_bytes: number; cpu_seconds: number }> {
  const port = await freePort(host);
  const child: ChildProcess = spawn(process.execPath, [...nodeFlags, jobServer], {
    env: { ...process.env, ...jobEnv, PORT: String(port), HOST: host, JOB_MAX_CONCURRENT: String(Math.max(4, seasons.length)) },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const base = `http://${host}:${port}`;
  try {
    for (let i = 0; ; i++) {
      if (
        await fetch(`${base}/healthz`).then(
          (r) => r.ok,
          () => false,
        )
      )
        break;
      if (i > 100) throw new Error("the job service did not start");
      await sleep(100);
    }
    const t0 = performance.now();
    const ids = seasons.map((season, k) => ({ id: `bench-${tag}-${k}-${Date.now()}`, season }));
    for (const { id, season } of ids) {
      const posted = await signedJobCall(
        base,
        "POST",
        "/jobs",
        JSON.stringify({
          id,
          type: "bundle",
          zip_key: keys.bundle(BENCH_TITLE, season),
          manifest_key: keys.bundleManifest(BENCH_TITLE, season),
          title_id: BENCH_TITLE,
          season_number: season,
          ...(as === "flat"
            ? {
                items: sources.map((s) => ({
                  source_key: s.key,
                  name: s.name,
                  size: s.size,
                  ...recorded(s),
                  mtime: "2026-01-01T00:00:00Z",
                })),
              }
            : libraryJob(sources)),
        }),
      );
      if (posted.status !== 202) throw new Error(`job refused: ${posted.status} ${await posted.text()}`);
    }
    const done = new Map<string, { bytes: number; seconds: number; sha256: string }>();
    while (done.size < ids.length) {
      await sleep(50);
      for (const { id } of ids) {
        if (done.has(id)) continue;
        const j = (await (await signedJobCall(base, "GET", `/jobs/${encodeURIComponent(id)}`)).json()) as {
          state: string;
          error: string | null;
          result: { size: number; sha256: string } | null;
        };
        if (j.state === "running") continue;
        if (j.state !== "succeeded" || !j.result) throw new Error(`job ${j.state}: ${j.error}`);
        done.set(id, { bytes: j.result.size, seconds: (performance.now() - t0) / 1000, sha256: j.result.sha256 });
      }
    }
    const pid = child.pid as number;
    return {
      jobs: ids.map(({ id }) => done.get(id) as { bytes: number; seconds: number; sha256: string }),
      seconds: (performance.now() - t0) / 1000,
      peak_rss_bytes: peakRssBytes(pid) ?? 0,
      cpu_seconds: cpuSeconds(pid),
    };
  } finally {
    child.kill("SIGTERM");
  }
}

function runRawCopy(sources: Source[], tag: string): Run {
  const r = spawnSync(process.execPath, [...nodeFlags, rawCopy, `bench/bundle/out/${tag}.raw`, ...sources.map((s) => s.key)], {
    env: { ...process.env, ...jobEnv },
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`raw copy failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").pop() ?? "{}") as Run;
}

function runZip0(sources: Source[]): Run | null {
  if (spawnSync("zip", ["-v"]).status !== 0) return null;
  const dir = mkdtempSync(join(tmpdir(), "mn-bench-zip-"));
  try {
    for (const s of sources) {
      const fd = openSync(join(dir, s.name), "w");
      for (const c of chunksOf(s.size, s.seed)) writeSync(fd, c);
      closeSync(fd);
    }
    spawnSync("sync");
    const t0 = performance.now();
    const r = spawnSync("zip", ["-0", "-q", "-X", join(dir, "out.zip"), ...sources.map((s) => s.name)], { cwd: dir });
    const seconds = (performance.now() - t0) / 1000;
    if (r.status !== 0) throw new Error(`zip -0 failed: ${r.stderr}`);
    return { bytes: statSync(join(dir, "out.zip")).size, seconds, peak_rss_bytes: 0, cpu_seconds: 0 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// Each run's outputs go before the next: Swift keeps an overwritten multipart object's segments,
// so writing the same key again would leak its size on disk every run.
async function removeOutputs(gib: number, extraSeasons = 0): Promise<void> {
  const seasons = Array.from({ length: extraSeasons + 1 }, (_, k) => seasonFor(gib) + k);
  for (const k of [
    `bench/bundle/out/${gib}g-raw.raw`,
    ...seasons.flatMap((season) => [keys.bundle(BENCH_TITLE, season), keys.bundleManifest(BENCH_TITLE, season)]),
  ])
    await s3.delete(k).catch(() => undefined);
}

// ---------------------------------------------------------------- the run

await stackUp({ quiet: true });
// Both run as the container image runs the job service: one esbuild bundle under plain node.
const jobServer = await buildNodeEntry("container/src/server.ts", ".local/bench/job-server.mjs");
const rawCopy = await buildNodeEntry("bench/bundle-raw-copy.ts", ".local/bench/raw-copy.mjs");
const rate = (r: Run) => r.bytes / MiB / r.seconds;
const rows: Record<string, unknown>[] = [];

// --concurrency 1,2,4: builds at once in one job service, as one container instance runs them;
// its peak RSS sizes the instance (wrangler.toml instance_type, JOB_MAX_CONCURRENT).
const concurrency = arg("concurrency", "").split(",").filter(Boolean).map(Number);
if (concurrency.length > 0) {
  const table: { gib: number; builds: number; peak_rss_mib: number; mib_s: number; cpu_s: number; seconds: number }[] = [];
  for (const gib of sizesGiB) {
    const sources = seasonSources(gib);
    for (const s of sources) await ensureUploaded(s);
    for (let round = 0; round < runs; round++)
      for (const n of concurrency) {
        process.stderr.write(`[bench] ${gib} GiB × ${n} builds at once, run ${round + 1}\n`);
        const seasons = Array.from({ length: n }, (_, k) => seasonFor(gib) + k);
        const r = await runJobs(sources, `${gib}g-x${n}`, seasons);
        // Each build is another season (its own folder names in the library layout), so their
        // archives differ by design; each one succeeded (runJobs throws otherwise).
        const bytes = r.jobs.reduce((t, j) => t + j.bytes, 0);
        table.push({
          gib,
          builds: n,
          peak_rss_mib: r.peak_rss_bytes / MiB,
          mib_s: bytes / MiB / r.seconds,
          cpu_s: r.cpu_seconds,
          seconds: r.seconds,
        });
        await removeOutputs(gib, n - 1);
      }
  }
  console.log(
    `\njob service with builds side by side (${layout} layout, node ${process.version}, ${episodes} episodes, ${runs} run(s) each; peak RSS = highest run)`,
  );
  console.log("| season | builds at once | job service peak RSS | peak RSS per build | MiB/s together | CPU |");
  console.log("|---|---|---|---|---|---|");
  for (const gib of sizesGiB)
    for (const n of concurrency) {
      const rs = table.filter((t) => t.gib === gib && t.builds === n);
      const peak = Math.max(...rs.map((t) => t.peak_rss_mib));
      const mid = [...rs].sort((x, y) => x.mib_s - y.mib_s)[Math.floor(rs.length / 2)];
      console.log(
        `| ${gib} GiB | ${n} | ${peak.toFixed(1)} MiB | ${(peak / n).toFixed(1)} MiB | ${mid?.mib_s.toFixed(0)} | ${mid?.cpu_s.toFixed(1)} s |`,
      );
    }
  const out = resolve(root, ".local/bench");
  mkdirSync(out, { recursive: true });
  writeFileSync(
    join(out, "bundle-concurrency.json"),
    `${JSON.stringify({ at: new Date().toISOString(), node: process.version, table }, null, 2)}\n`,
  );
  process.exit(0);
}

for (const gib of sizesGiB) {
  const sources = seasonSources(gib);
  process.stderr.write(`[bench] ${gib} GiB season: uploading sources (kept for the next run)…\n`);
  for (const s of sources) await ensureUploaded(s);
  // Swift on two shared cores is noisy run to run: compare medians of interleaved runs.
  const median = <T extends Run>(xs: T[]) => [...xs].sort((a, b) => rate(a) - rate(b))[Math.floor(xs.length / 2)] as T;
  const raws: Run[] = [];
  const jobs: (Run & { sha256: string })[] = [];
  const flats: Run[] = [];
  for (let i = 0; i < runs; i++) {
    process.stderr.write(`[bench] ${gib} GiB: raw copy, run ${i + 1}\n`);
    raws.push(runRawCopy(sources, `${gib}g-raw`));
    await removeOutputs(gib);
    process.stderr.write(`[bench] ${gib} GiB: bundle job, run ${i + 1}\n`);
    jobs.push(await runJob(sources, `${gib}g-job`, seasonFor(gib)));
    await removeOutputs(gib);
    if (compareFlat) {
      process.stderr.write(`[bench] ${gib} GiB: bundle job (flat layout), run ${i + 1}\n`);
      flats.push(await runJob(sources, `${gib}g-flat`, seasonFor(gib), "flat"));
      await removeOutputs(gib);
    }
  }
  if (new Set(jobs.map((j) => j.sha256)).size !== 1) throw new Error("the job's archives differ between runs");
  process.stderr.write(`[bench] ${gib} GiB: zip -0 on local disk\n`);
  const zip0 = runZip0(sources);
  const job = median(jobs);
  const raw = median(raws);
  rows.push({
    season_gib: gib,
    archive_bytes: job.bytes,
    job_mib_s: rate(job),
    raw_copy_mib_s: rate(raw),
    job_vs_raw: rate(job) / rate(raw),
    zip0_mib_s: zip0 ? rate(zip0) : null,
    job_vs_zip0: zip0 ? rate(job) / rate(zip0) : null,
    // Peak RSS: the highest of all runs, not the median's.
    job_peak_rss_mib: Math.max(...jobs.map((j) => j.peak_rss_bytes)) / MiB,
    raw_copy_peak_rss_mib: Math.max(...raws.map((j) => j.peak_rss_bytes)) / MiB,
    job_cpu_s: job.cpu_seconds,
    raw_copy_cpu_s: raw.cpu_seconds,
    job_runs_mib_s: jobs.map(rate),
    flat_job_mib_s: flats.length ? rate(median(flats)) : null,
    job_vs_flat_job: flats.length ? rate(job) / rate(median(flats)) : null,
    flat_job_cpu_s: flats.length ? median(flats).cpu_seconds : null,
    flat_runs_mib_s: flats.map(rate),
    raw_runs_mib_s: raws.map(rate),
  });
  if (process.argv.includes("--clean")) for (const s of sources) for (const k of [s.key, subtitleOf(s).key]) await s3.delete(k);
}

const f = (v: unknown, d = 0) => (typeof v === "number" ? v.toFixed(d) : "n/a");
console.log(
  `\nseason bundle job (${layout} layout, ${unrecorded ? "no recorded SHA-256: every member hashed" : "checksummed sources"}) vs raw S3→S3 copy vs zip -0 (node ${process.version}, ${episodes} episodes, median of ${runs} interleaved runs)`,
);
console.log(
  "| season | archive | job MiB/s | raw copy MiB/s | job ÷ raw | zip -0 MiB/s | job ÷ zip -0 | job peak RSS | raw copy peak RSS | job CPU | raw copy CPU |",
);
console.log("|---|---|---|---|---|---|---|---|---|---|---|");
for (const r of rows) {
  console.log(
    `| ${r.season_gib} GiB | ${f((r.archive_bytes as number) / MiB)} MiB | ${f(r.job_mib_s)} | ${f(r.raw_copy_mib_s)} | ${f(r.job_vs_raw, 2)} | ${f(r.zip0_mib_s)} | ${f(r.job_vs_zip0, 2)} | ${f(r.job_peak_rss_mib, 1)} MiB | ${f(r.raw_copy_peak_rss_mib, 1)} MiB | ${f(r.job_cpu_s, 1)} s | ${f(r.raw_copy_cpu_s, 1)} s |`,
  );
}
for (const r of rows)
  if (r.flat_job_mib_s !== null)
    console.log(
      `${r.season_gib} GiB, same rounds: flat-layout job ${f(r.flat_job_mib_s)} MiB/s (CPU ${f(r.flat_job_cpu_s, 1)} s); ${layout} ÷ flat ${f(r.job_vs_flat_job, 2)}`,
    );
console.log("targets: job ÷ raw ≥ 0.90; job peak RSS < 128 MiB and about the same for both sizes");
const out = resolve(root, ".local/bench");
mkdirSync(out, { recursive: true });
writeFileSync(join(out, "bundle.json"), `${JSON.stringify({ at: new Date().toISOString(), node: process.version, rows }, null, 2)}\n`);
console.log(`(also written to ${join(out, "bundle.json")})`);
