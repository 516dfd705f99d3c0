// An archive served as pieces: put together, they are exactly the bytes build-bundle writes for the
// same members, and any range of them (headers, inside and across members, the ends) is that slice.
import { mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as zlib from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { buildBundle } from "../../scripts/cli/build-bundle.ts";
import { archivePieces, type Slice, slicePieces } from "../../src/lib/zip-pieces.ts";
import { deflateMember, planZip, type ZipEntry } from "../../src/lib/zip64.ts";
import { pseudoBytes } from "../support/bytes.ts";

const dir = mkdtempSync(join(tmpdir(), "mn-pieces-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("archive pieces", () => {
  const mtime = new Date("2026-02-03T04:05:06Z");
  const videos = [pseudoBytes(300_001, 1), pseudoBytes(0, 2), pseudoBytes(123_457, 3)];
  const text = new TextEncoder().encode("<episodedetails><title>Pilot</title></episodedetails>\n".repeat(20));

  it("put together, are byte for byte build-bundle's archive; every range is that slice of it", async () => {
    const files = videos.map((b, i) => {
      const f = join(dir, `v${i}.mkv`);
      writeFileSync(f, b);
      utimesSync(f, mtime, mtime);
      return f;
    });
    const out = join(dir, "s.zip");
    await buildBundle({
      out,
      members: [
        { file: files[0] as string, name: "Show/S01E01.mkv" },
        { text: new TextDecoder().decode(text), name: "Show/S01E01.nfo", mtime },
        { file: files[1] as string, name: "Show/S01E02.mkv" },
        { file: files[2] as string, name: "Show/S01E03.mkv" },
      ],
    });
    const expected = readFileSync(out);

    const d = deflateMember(text);
    const entries: ZipEntry[] = [
      { name: "Show/S01E01.mkv", size: videos[0]?.length ?? 0, crc32: zlib.crc32(videos[0] as Uint8Array), mtime },
      { name: "Show/S01E01.nfo", size: d.size, compressedSize: d.compressedSize, crc32: d.crc32, mtime },
      { name: "Show/S01E02.mkv", size: 0, crc32: 0, mtime },
      { name: "Show/S01E03.mkv", size: videos[2]?.length ?? 0, crc32: zlib.crc32(videos[2] as Uint8Array), mtime },
    ];
    const layout = planZip(entries);
    const objects = new Map(videos.map((b, i) => [`obj${i}`, b]));
    const sourceOf = [0, null, 1, 2];
    const pieces = archivePieces(layout, (i) => (sourceOf[i] === null ? d.bytes : { ref: `obj${sourceOf[i]}` }));
    const resolve = (slices: Slice[]) =>
      Buffer.concat(
        slices.map((s) => ("bytes" in s ? s.bytes : (objects.get(s.ref) as Uint8Array).subarray(s.offset, s.offset + s.length))),
      );

    expect(layout.totalSize).toBe(expected.length);
    expect(resolve(slicePieces(pieces, 0, layout.totalSize - 1)).equals(expected)).toBe(true);
    const n = expected.length;
    const m0 = layout.members[0];
    const m3 = layout.members[3];
    const ranges: [number, number][] = [
      [0, 0],
      [n - 1, n - 1],
      [0, 29], // the first local header
      [(m0?.dataOffset ?? 0) - 3, (m0?.dataOffset ?? 0) + 3], // across a header and its member
      [(m3?.dataOffset ?? 0) + 10, (m3?.dataOffset ?? 0) + 20], // inside a member
      [(m0?.dataOffset ?? 0) + 5, (m3?.dataOffset ?? 0) + 5], // across every member
      [layout.tailOffset - 1, n - 1], // the last member byte and the central directory
    ];
    // And random ones, reproducibly.
    let seed = 7;
    const rand = (k: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % k;
    };
    for (let i = 0; i < 200; i++) {
      const a = rand(n);
      ranges.push([a, a + rand(n - a)]);
    }
    for (const [a, b] of ranges) expect(resolve(slicePieces(pieces, a, b)).equals(expected.subarray(a, b + 1)), `${a}-${b}`).toBe(true);
  });

  it("refuses in-memory content whose length is not the planned one", () => {
    const layout = planZip([{ name: "a.nfo", size: 3, compressedSize: 5, crc32: 1, mtime }]);
    expect(() => archivePieces(layout, () => new Uint8Array(4))).toThrow(/4 bytes given, 5 planned/);
  });
});
