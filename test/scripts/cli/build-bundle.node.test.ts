// `moviesnow build-bundle` run as a process: the archive passes unzip -t and Python's zipfile,
// its manifest matches the files, and it is byte for byte the container job's archive for the
// same entries (names, sizes, times). Bad input exits 2 or 1 and leaves no archive behind.
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  truncateSync,
  utimesSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import * as zlib from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { buildBundle } from "../../../scripts/cli/build-bundle.ts";
import { checkArchiveFile } from "../../../scripts/stack/archive-check.ts";
import { jobService } from "../../../scripts/stack/config.ts";
import { bundleManifestSchema } from "../../../src/features/bundles/contract.ts";
import { librarySeasonMembers } from "../../../src/lib/library-layout.ts";
import { pseudoBytes } from "../../support/bytes.ts";
import { jobClient, jobKeys } from "../../support/job-service.ts";
import { libraryEpisode } from "../../support/library.ts";
import { stackS3 } from "../../support/node-stack.ts";

const root = resolve(import.meta.dirname, "../../..");
const dir = mkdtempSync(join(tmpdir(), "mn-cli-bb-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const cli = (args: string[]) => spawnSync(process.execPath, [resolve(root, "bin/moviesnow.cjs"), ...args], { cwd: dir, encoding: "utf8" });
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

/** Runs a bundle job (`body` without its id) to its end and returns the archive it wrote. */
async function jobArchive(body: Record<string, unknown> & { zip_key: string }): Promise<Buffer> {
  const id = `cli-bb-${crypto.randomUUID()}`;
  const jobs = jobClient(jobService.url, jobService.secret);
  const posted = await jobs.post({ id, type: "bundle", ...body });
  expect(posted.status, await posted.clone().text()).toBe(202);
  let job = { state: "running", error: null as string | null };
  for (let i = 0; i < 200 && job.state === "running"; i++) {
    await new Promise((r) => setTimeout(r, 50));
    job = (await (await jobs.get(id)).json()) as typeof job;
  }
  expect(job.state, job.error ?? "").toBe("succeeded");
  return Buffer.from(await ((await stackS3().get(body.zip_key)) as Response).arrayBuffer());
}

/** `count` files of 3 MiB and a bit, named by `tag`, in `at`. */
async function setupFiles(at: string, tag: string, count: number): Promise<string[]> {
  const paths = Array.from({ length: count }, (_, n) => join(at, `${tag}-E0${n + 1}.mkv`));
  for (const [i, p] of paths.entries()) writeFileSync(p, pseudoBytes(3 * 1024 * 1024 + 5, 40 + i));
  // A later change must land in a later clock tick than the files' creation.
  await new Promise((r) => setTimeout(r, 50));
  return paths;
}

describe("moviesnow build-bundle", () => {
  const when = new Date("2026-04-05T06:07:08Z");
  const files = [
    { name: "S01E01 - Pilot.mkv", bytes: pseudoBytes(2 * 1024 * 1024 + 7, 21) },
    { name: "S01E02 - Épisode 東京.mkv", bytes: pseudoBytes(1024 * 1024, 22) },
    { name: "S01E03 - empty.mkv", bytes: Buffer.alloc(0) },
  ];

  it("writes an archive both tools accept, and a manifest of it", () => {
    for (const f of files) {
      writeFileSync(join(dir, f.name), f.bytes);
      utimesSync(join(dir, f.name), when, when);
    }
    const r = cli(["build-bundle", "--json", "--out", "S01.zip", ...files.map((f) => f.name)]);
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as {
      path: string;
      archive: { sha256: string; size: number };
      items: { name: string; sha256: string; crc32: number }[];
    };
    const zip = readFileSync(join(dir, "S01.zip"));
    expect(out.archive).toMatchObject({ sha256: sha(zip), size: zip.length });
    expect(out.items.map((i) => [i.name, i.sha256, i.crc32])).toEqual(files.map((f) => [f.name, sha(f.bytes), zlib.crc32(f.bytes)]));
    const manifest = JSON.parse(readFileSync(join(dir, "S01.manifest.json"), "utf8"));
    expect(manifest).toMatchObject({ archive: out.archive });
    // The job's manifest shape, declared once in the bundles contract.
    expect(bundleManifestSchema.safeParse(manifest).error).toBeUndefined();
    const check = checkArchiveFile(join(dir, "S01.zip"));
    expect(check.unzip, check.unzip.output).toMatchObject({ ok: true });
    expect(check.python, check.python.output).toMatchObject({ ok: true });
    expect(check.members.map((m) => m.sha256)).toEqual(files.map((f) => sha(f.bytes)));

    // Plain output: the SHA-256 line first, as sha256sum prints it.
    const plain = cli(["build-bundle", "--out", "again.zip", ...files.map((f) => f.name)]);
    expect(plain.status).toBe(0);
    expect(plain.stdout.split("\n")[0]).toBe(`${sha(zip)}  again.zip`);
  });

  it("is byte for byte the container job's archive for the same entries", async () => {
    const s3 = stackS3();
    const { sources: prefix, ...out } = jobKeys();
    for (const f of files) await s3.put(`${prefix}/${f.name}`, f.bytes);
    const theirs = await jobArchive({
      ...out,
      items: files.map((f) => ({
        source_key: `${prefix}/${f.name}`,
        name: f.name,
        size: f.bytes.length,
        crc32: null,
        mtime: when.toISOString(),
      })),
    });
    expect(sha(theirs)).toBe(sha(readFileSync(join(dir, "S01.zip"))));
  });

  it("with --title writes the library layout (folders, sidecar subtitles, poster, NFO files, MANIFEST.json), byte for byte the job's archive for the same files and metadata", async () => {
    const lib = join(dir, "library");
    mkdirSync(lib, { recursive: true });
    const inputs = {
      "S01E01 - Pilot.mkv": pseudoBytes(1024 * 1024 + 3, 61),
      "S01E01 - Pilot.en.default.srt": Buffer.from("1\n00:00:01,000 --> 00:00:02,000\nHello.\n\n".repeat(30)),
      "S01E01 - Pilot.fr.forced.vtt": Buffer.from("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nBonjour.\n"),
      "S01E02 - Storm.mkv": pseudoBytes(700_000, 62),
      "poster.jpg": pseudoBytes(5000, 63),
    };
    for (const [name, bytes] of Object.entries(inputs)) {
      writeFileSync(join(lib, name), bytes);
      utimesSync(join(lib, name), when, when);
    }
    const r = spawnSync(
      process.execPath,
      [
        resolve(root, "bin/moviesnow.cjs"),
        "build-bundle",
        "--json",
        "--out",
        "S01.zip",
        ...["--title", "The Keepers", "--year", "2024", "--season", "1", "--plot", "Storms.", "--genre", "drama", "--genre", "mystery"],
        ...[
          "--poster",
          "poster.jpg",
          "S01E02 - Storm.mkv",
          "S01E01 - Pilot.fr.forced.vtt",
          "S01E01 - Pilot.mkv",
          "S01E01 - Pilot.en.default.srt",
        ],
      ],
      { cwd: lib, encoding: "utf8" },
    );
    expect(r.status, r.stderr).toBe(0);
    const show = "The Keepers (2024)";
    const names = [
      `${show}/tvshow.nfo`,
      `${show}/poster.jpg`,
      `${show}/Season 01/The Keepers - S01E01 - Pilot.mkv`,
      `${show}/Season 01/The Keepers - S01E01 - Pilot.en.default.srt`,
      `${show}/Season 01/The Keepers - S01E01 - Pilot.fr.forced.vtt`,
      `${show}/Season 01/The Keepers - S01E01 - Pilot.nfo`,
      `${show}/Season 01/The Keepers - S01E02 - Storm.mkv`,
      `${show}/Season 01/The Keepers - S01E02 - Storm.nfo`,
      `${show}/MANIFEST.json`,
    ];
    const out = JSON.parse(r.stdout) as { archive: { layout: string; method: string }; items: { name: string; method: string }[] };
    expect(out.archive).toMatchObject({ layout: "library", method: "store+deflate" });
    expect(out.items.map((i) => i.name)).toEqual(names);
    const zipPath = join(lib, "S01.zip");
    const check = checkArchiveFile(zipPath);
    for (const tool of ["unzip", "python", "sevenZip", "bsdtar"] as const)
      expect(check[tool], check[tool].output).toMatchObject({ ok: true });
    expect(check.members.map((m) => m.name)).toEqual(names);
    const bySource = [
      inputs["poster.jpg"],
      inputs["S01E01 - Pilot.mkv"],
      inputs["S01E01 - Pilot.en.default.srt"],
      inputs["S01E01 - Pilot.fr.forced.vtt"],
      inputs["S01E02 - Storm.mkv"],
    ];
    expect([1, 2, 3, 4, 6].map((i) => check.members[i]?.sha256)).toEqual(bySource.map(sha));
    // MANIFEST.json, read back with unzip: every other member with the SHA-256 Python computed.
    const listed = JSON.parse(spawnSync("unzip", ["-p", zipPath, names.at(-1) as string], { encoding: "utf8" }).stdout) as {
      members: { name: string; sha256: string }[];
    };
    expect(listed.members.map((m) => [m.name, m.sha256])).toEqual(check.members.slice(0, -1).map((m) => [m.name, m.sha256]));

    // The job, given the same files (in S3) and the same metadata through the same layout module.
    const s3 = stackS3();
    const { sources: prefix, ...keysOut } = jobKeys();
    const keyOf = (name: string) => `${prefix}/${name}`;
    for (const [name, bytes] of Object.entries(inputs)) await s3.put(keyOf(name), bytes);
    const sub = (name: string, language: string, isDefault: boolean, isForced: boolean, format: "srt" | "vtt") => ({
      language,
      label: null,
      isDefault,
      isForced,
      format,
      ref: keyOf(name),
    });
    const episode = (n: number, name: string, subtitles: ReturnType<typeof sub>[]) => ({
      ...libraryEpisode(n, name),
      videoRef: keyOf(`S01E0${n} - ${name}.mkv`),
      subtitles,
    });
    const plan = librarySeasonMembers({
      show: { name: "The Keepers", year: 2024, overview: "Storms.", genres: ["drama", "mystery"] },
      season: 1,
      showPosterExt: "jpg",
      showPosterRef: keyOf("poster.jpg"),
      episodes: [
        episode(1, "Pilot", [
          sub("S01E01 - Pilot.fr.forced.vtt", "fr", false, true, "vtt"),
          sub("S01E01 - Pilot.en.default.srt", "en", true, false, "srt"),
        ]),
        episode(2, "Storm", []),
      ],
    });
    const mtime = when.toISOString();
    const sizeOf = (key: string) => (inputs as Record<string, Uint8Array>)[key.slice(prefix.length + 1)]?.length ?? 0;
    const theirs = await jobArchive({
      ...keysOut,
      items: plan.members.map((m) =>
        "text" in m
          ? { name: m.name, text: m.text, mtime }
          : { source_key: m.ref, name: m.name, size: sizeOf(m.ref), crc32: null, mtime, method: m.method },
      ),
      library: { name: plan.manifest, title: "The Keepers", year: 2024, mtime },
    });
    expect(sha(theirs)).toBe(sha(readFileSync(zipPath)));
  });

  it("answers usage errors with 2 and failures with 1, leaving no archive", () => {
    const before = readdirSync(dir).sort();
    expect(cli(["build-bundle", "E01.mkv"]).status).toBe(2); // no --out
    expect(cli(["build-bundle", "--out", "x.zip"]).status).toBe(2); // no files
    expect(cli(["build-bundle", "--bogus", "--out", "x.zip", "a"]).status).toBe(2);
    const missing = cli(["build-bundle", "--out", "x.zip", files[0]?.name ?? "", "nope.mkv"]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/nope\.mkv/);
    const dup = cli(["build-bundle", "--out", "x.zip", files[0]?.name ?? "", files[0]?.name ?? ""]);
    expect(dup.status).toBe(1);
    expect(dup.stderr).toMatch(/duplicate/);
    expect(readdirSync(dir).sort()).toEqual(before);
    expect(existsSync(join(dir, "x.zip"))).toBe(false);
    const help = cli(["build-bundle", "--help"]);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^moviesnow build-bundle --out/);
    expect(cli(["no-such-command"]).status).toBe(2);
  });

  describe("a file that changes while the archive is built", () => {
    const MiB = 1024 * 1024;
    const setup = (tag: string) => setupFiles(dir, tag, 2);
    const leftovers = (tag: string) => readdirSync(dir).filter((f) => f.startsWith(`${tag}.zip`));

    /** Builds `tag`'s two files, doing `change` to the second at the first progress report. */
    const buildChanging = async (tag: string, change: (file: string) => void) => {
      const [one, two] = (await setup(tag)) as [string, string];
      let changed = false;
      const build = buildBundle({
        out: join(dir, `${tag}.zip`),
        files: [one, two],
        onProgress: () => {
          if (changed) return;
          changed = true;
          change(two);
        },
      });
      return { build, two, changed: () => changed };
    };

    it("rewritten in place at the same size fails the build, naming it, and leaves no archive", async () => {
      const { build, two, changed } = await buildChanging("rewritten", (file) => {
        // In place, without O_TRUNC: the size never dips, so only the file's times tell.
        const fd = openSync(file, "r+");
        writeSync(fd, pseudoBytes(3 * MiB + 5, 77), 0, 3 * MiB + 5, 0);
        closeSync(fd);
      });
      await expect(build).rejects.toThrow(`${two} changed while being read`);
      expect(changed()).toBe(true);
      expect(leftovers("rewritten")).toEqual([]);
    });

    it("cut short fails the build, naming it, and leaves no archive", async () => {
      const { build, two } = await buildChanging("truncated", (file) => truncateSync(file, MiB));
      await expect(build).rejects.toThrow(new RegExp(`${two.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} (shrank|changed) while being read`));
      expect(leftovers("truncated")).toEqual([]);
    });
  });
  it("fails with a clear error, and no archive, when its digest worker dies", async () => {
    const [one] = (await setupFiles(dir, "oom", 1)) as [string];
    const started = performance.now();
    // A 1 MiB heap: the worker runs out of memory as it starts.
    const build = buildBundle({ out: join(dir, "oom.zip"), files: [one], workerLimits: { maxOldGenerationSizeMb: 1 } });
    await expect(build).rejects.toThrow(/digest worker/);
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(readdirSync(dir).filter((f) => f.startsWith("oom.zip"))).toEqual([]);
  });

  it("on Ctrl-C removes its partial archive and exits 130", async () => {
    const big = join(dir, "big.mkv");
    writeFileSync(big, "");
    truncateSync(big, 4 * 1024 ** 3); // sparse: seconds of hashing, no disk
    const child = spawn(process.execPath, [resolve(root, "bin/moviesnow.cjs"), "build-bundle", "--out", "big.zip", "big.mkv"], {
      cwd: dir,
    });
    let stderr = "";
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
    for (let i = 0; i < 400 && !readdirSync(dir).some((f) => f.startsWith("big.zip.partial-")); i++)
      await new Promise((r) => setTimeout(r, 25));
    expect(
      readdirSync(dir).some((f) => f.startsWith("big.zip.partial-")),
      "the build started",
    ).toBe(true);
    child.kill("SIGINT");
    expect(await exited, stderr).toBe(130);
    expect(stderr).toMatch(/interrupted \(SIGINT\)/);
    expect(readdirSync(dir).filter((f) => f.startsWith("big.zip"))).toEqual([]);
    rmSync(big);
  });
});
