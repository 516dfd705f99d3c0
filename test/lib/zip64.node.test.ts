// The ZIP layout checked by real tools: Info-ZIP's `unzip -t` and Python's zipfile, including a
// sparse archive over 4 GiB (ZIP64 sizes and offsets).
import { spawnSync } from "node:child_process";
import { closeSync, ftruncateSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as zlib from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { deflateMember, planZip, type ZipEntry } from "../../src/lib/zip64.ts";

const dir = mkdtempSync(join(tmpdir(), "mn-zip-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function checkWithTools(file: string): void {
  const unzip = spawnSync("unzip", ["-tq", file], { encoding: "utf8" });
  expect(unzip.status, unzip.stdout + unzip.stderr).toBe(0);
  const py = spawnSync(
    "python3",
    ["-c", "import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1])\nbad = z.testzip()\nprint(bad)\nsys.exit(0 if bad is None else 1)", file],
    { encoding: "utf8" },
  );
  expect(py.status, py.stdout + py.stderr).toBe(0);
}

const zeroCrc = (size: number) => {
  const chunk = Buffer.alloc(64 * 1024 * 1024);
  let c = 0;
  let left = size;
  while (left > 0) {
    const n = Math.min(left, chunk.length);
    c = zlib.crc32(n === chunk.length ? chunk : chunk.subarray(0, n), c);
    left -= n;
  }
  return c;
};

function writeArchive(file: string, entries: ZipEntry[], data: (i: number) => Buffer | null) {
  const layout = planZip(entries);
  const fd = openSync(file, "w");
  try {
    for (const [i, m] of layout.members.entries()) {
      writeSync(fd, m.localHeader, 0, m.localHeader.length, m.headerOffset);
      const d = data(i);
      if (d) writeSync(fd, d, 0, d.length, m.dataOffset);
    }
    writeSync(fd, layout.tail, 0, layout.tail.length, layout.tailOffset);
    ftruncateSync(fd, layout.totalSize);
  } finally {
    closeSync(fd);
  }
  return layout;
}

describe("ZIP layout", () => {
  it("DEFLATEs text members between stored ones: every extractor inflates them to the original bytes, the same bytes each time", () => {
    const video = Buffer.from("not really a video ".repeat(100));
    const nfo = Buffer.from(
      `<?xml version="1.0" encoding="UTF-8"?>\n<episodedetails>\n${"  <plot>Fog rolls in.</plot>\n".repeat(40)}</episodedetails>\n`,
    );
    const vtt = Buffer.from("WEBVTT\n\n00:00:00.000 --> 00:00:02.000\nBonjour ✓\n");
    const deflated = [nfo, vtt].map((b) => deflateMember(b));
    // Real compression, raw DEFLATE as zlib reads it.
    expect(deflated[0]?.compressedSize).toBeLessThan(nfo.length / 4);
    expect(zlib.inflateRawSync(deflated[0]?.bytes ?? new Uint8Array()).equals(nfo)).toBe(true);
    const mtime = new Date("2026-03-01T12:00:00Z");
    const entries: ZipEntry[] = [
      { name: "Show (2024)/Season 01/Show - S01E01.mkv", size: video.length, crc32: zlib.crc32(video), mtime },
      { name: "Show (2024)/Season 01/Show - S01E01.nfo", ...deflated[0], mtime } as ZipEntry,
      { name: "Show (2024)/Season 01/Show - S01E01.fr.vtt", ...deflated[1], mtime } as ZipEntry,
    ];
    const data = [video, Buffer.from(deflated[0]?.bytes ?? []), Buffer.from(deflated[1]?.bytes ?? [])];
    const a = join(dir, "deflate-a.zip");
    const b = join(dir, "deflate-b.zip");
    writeArchive(a, entries, (i) => data[i] ?? null);
    writeArchive(b, entries, (i) => data[i] ?? null);
    checkWithTools(a);
    for (const [tool, args] of [
      ["7zz", ["t", a]],
      ["bsdtar", ["-tf", a]],
    ] as const) {
      const r = spawnSync(tool, args, { encoding: "utf8" });
      expect(r.status, `${tool}: ${r.stdout}${r.stderr}`).toBe(0);
    }
    const read = spawnSync(
      "python3",
      [
        "-c",
        "import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1])\nfor i in z.infolist(): sys.stdout.write(f'{i.compress_type} {z.read(i).hex()}\\n')",
        a,
      ],
      { encoding: "utf8" },
    );
    expect(read.status, read.stderr).toBe(0);
    expect(read.stdout.trim().split("\n")).toEqual([`0 ${video.toString("hex")}`, `8 ${nfo.toString("hex")}`, `8 ${vtt.toString("hex")}`]);
    expect(spawnSync("cmp", [a, b]).status).toBe(0);
  });

  it("small archives with UTF-8 names pass both tools, byte for byte the same each time", () => {
    const bodies = ["first", "", "日本語の内容 ✓"].map((s) => Buffer.from(s));
    const entries: ZipEntry[] = bodies.map((b, i) => ({
      name: ["S01E01 - Pilot.mkv", "S01E02 empty.txt", "S01E03 - Épisode 東京.mkv"][i] as string,
      size: b.length,
      crc32: zlib.crc32(b),
      mtime: new Date(Date.UTC(2026, 10, 22, 10, 20, 31)),
    }));
    const f = join(dir, "small.zip");
    const layout = writeArchive(f, entries, (i) => bodies[i] as Buffer);
    expect(layout.zip64).toBe(false);
    checkWithTools(f);
    const names = spawnSync(
      "python3",
      ["-c", "import sys,zipfile;print('\\n'.join(i.filename for i in zipfile.ZipFile(sys.argv[1]).infolist()))", f],
      { encoding: "utf8" },
    );
    expect(names.stdout.trim().split("\n")).toEqual(entries.map((e) => e.name));
    const again = planZip(entries);
    expect(Buffer.from(again.tail)).toEqual(Buffer.from(layout.tail));
    expect(again.members.map((m) => Buffer.from(m.localHeader))).toEqual(layout.members.map((m) => Buffer.from(m.localHeader)));
    expect(layout.members[1]?.dataOffset).toBe((layout.members[0]?.dataOffset ?? 0) + 5 + (layout.members[1]?.localHeader.length ?? 0));
  });

  it("a sparse archive over 4 GiB (ZIP64 size and offset) passes both tools", () => {
    const big = 2 ** 32 + 16;
    const tailBytes = Buffer.from("after the four gigabytes");
    const entries: ZipEntry[] = [
      { name: "S01E01.mkv", size: big, crc32: zeroCrc(big), mtime: new Date("2026-01-02T03:04:06Z") },
      { name: "S01E02.mkv", size: tailBytes.length, crc32: zlib.crc32(tailBytes), mtime: new Date("2026-01-02T03:04:06Z") },
    ];
    const f = join(dir, "big.zip");
    const layout = writeArchive(f, entries, (i) => (i === 1 ? tailBytes : null));
    expect(layout.zip64).toBe(true);
    expect(layout.members[1]?.headerOffset).toBeGreaterThan(2 ** 32);
    expect(layout.totalSize).toBeGreaterThan(2 ** 32);
    checkWithTools(f);
  }, 180_000);

  it("refuses names that would escape or collide", () => {
    const e = (name: string) => ({ name, size: 0, crc32: 0, mtime: new Date() });
    expect(() => planZip([e("../x")])).toThrow();
    expect(() => planZip([e("/abs")])).toThrow();
    expect(() => planZip([e("a"), e("a")])).toThrow();
  });
});
