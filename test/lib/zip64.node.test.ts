// The ZIP layout checked by real tools: Info-ZIP's `unzip -t` and Python's zipfile, including a
// sparse archive over 4 GiB (ZIP64 sizes and offsets).
import { spawnSync } from "node:child_process";
import { closeSync, ftruncateSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as zlib from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { planZip, type ZipEntry } from "../../src/lib/zip64.ts";

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
