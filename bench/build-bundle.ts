// bench/build-bundle: `moviesnow build-bundle` against the `archiver` package in STORE mode and
// against `zip -0`, on the same three local files (700 MiB each by default), with each run's
// peak RSS. The CLI runs as a built bundle under plain node, as an installed CLI would; every
// run is its own process. Medians of interleaved runs.
//   npm run bench:build-bundle [-- --mib 700 --files 3 --runs 3]
import { spawnSync } from "node:child_process";
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { buildNodeEntry } from "../scripts/build-container.ts";
import { arg, pseudoRandomBlock } from "./lib.ts";

const MiB = 1024 * 1024;
const mib = Number(arg("mib", "700"));
const count = Number(arg("files", "3"));
const runs = Number(arg("runs", "3"));
const root = resolve(import.meta.dirname, "..");
const peakRss = resolve(root, "bench/peak-rss.cjs");

// Inputs and outputs in tmpfs when there is one: this VM's disk writes swing from 400 MiB/s to
// 2 GiB/s run to run, which would measure the disk rather than the tools.
const scratch = existsSync("/dev/shm") ? "/dev/shm" : tmpdir();
const dir = mkdtempSync(join(scratch, "mn-bench-bb-"));
try {
  // Inputs: deterministic pseudo-random blocks, written once.
  const block = pseudoRandomBlock(8 * MiB, 0x2545f491);
  const files = Array.from({ length: count }, (_, i) => join(dir, `S01E0${i + 1}.mkv`));
  for (const [i, f] of files.entries()) {
    const fd = openSync(f, "w");
    for (let left = mib * MiB, n = 0; left > 0; n++) {
      const b = block.subarray(0, Math.min(block.length, left));
      b.writeUInt32LE(i * 100_000 + n, 0);
      writeSync(fd, b);
      left -= b.length;
    }
    closeSync(fd);
  }
  spawnSync("sync");
  const total = files.reduce((n, f) => n + statSync(f).size, 0);
  // This VM backs guest memory lazily: the first write to a page runs at ~300 MiB/s, later ones
  // at GiB/s. Touch three times the outputs' size first, so no tool pays that and another not.
  const warm = join(dir, "warm.bin");
  const zeros = Buffer.alloc(8 * MiB);
  const wfd = openSync(warm, "w");
  for (let left = 3 * total; left > 0; left -= zeros.length) writeSync(wfd, zeros);
  closeSync(wfd);
  rmSync(warm);
  const cli = await buildNodeEntry("scripts/cli.ts", ".local/bench/moviesnow.mjs");

  type Run = { seconds: number; rss: number; bytes: number };
  const timed = (cmd: string, args: string[], out: string): Run => {
    const t0 = performance.now();
    const r = spawnSync(cmd, args, { cwd: dir, encoding: "utf8" });
    const seconds = (performance.now() - t0) / 1000;
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed: ${r.stderr}`);
    const rss = Number(/peak_rss_bytes=(\d+)/.exec(r.stderr)?.[1] ?? 0);
    const bytes = statSync(join(dir, out)).size;
    rmSync(join(dir, out), { force: true });
    return { seconds, rss, bytes };
  };
  const tools: Record<string, () => Run | null> = {
    "moviesnow build-bundle": () =>
      timed(process.execPath, ["--require", peakRss, cli, "build-bundle", "--out", "ours.zip", ...files], "ours.zip"),
    "archiver (store)": () =>
      timed(process.execPath, ["--require", peakRss, resolve(root, "bench/archiver-store.mjs"), "archiver.zip", ...files], "archiver.zip"),
    "zip -0": () =>
      spawnSync("zip", ["-v"]).status === 0 ? timed("zip", ["-0", "-q", "-X", "-j", "zip0.zip", ...files], "zip0.zip") : null,
  };
  const results: Record<string, Run[]> = {};
  for (let i = 0; i < runs; i++)
    for (const [name, run] of Object.entries(tools)) {
      process.stderr.write(`[bench] ${name}, run ${i + 1}\n`);
      const r = run();
      if (r) results[name] = [...(results[name] ?? []), r];
    }
  const rate = (r: Run) => r.bytes / MiB / r.seconds;
  const median = (xs: Run[]) => [...xs].sort((a, b) => rate(a) - rate(b))[Math.floor(xs.length / 2)] as Run;
  const archiverRate = rate(median(results["archiver (store)"] ?? []));
  console.log(`\nbuild a season ZIP from ${count} × ${mib} MiB local files (node ${process.version}, median of ${runs})`);
  console.log("| tool | MiB/s | × archiver | peak RSS |");
  console.log("|---|---|---|---|");
  const rows = Object.entries(results).map(([name, rs]) => {
    const m = median(rs);
    const peak = Math.max(...rs.map((r) => r.rss)) / MiB;
    console.log(
      `| ${name} | ${rate(m).toFixed(0)} | ${(rate(m) / archiverRate).toFixed(2)} | ${peak ? `${peak.toFixed(1)} MiB` : "n/a"} |`,
    );
    return { tool: name, mib_s: rate(m), vs_archiver: rate(m) / archiverRate, peak_rss_mib: peak, runs_mib_s: rs.map(rate) };
  });
  console.log(`targets: build-bundle ≥ 2.5 × archiver, peak RSS ≤ 64 MiB (input ${(total / MiB).toFixed(0)} MiB)`);
  mkdirSync(resolve(root, ".local/bench"), { recursive: true });
  writeFileSync(resolve(root, ".local/bench/build-bundle.json"), `${JSON.stringify({ at: new Date().toISOString(), rows }, null, 2)}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
