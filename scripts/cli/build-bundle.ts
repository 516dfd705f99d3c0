// `moviesnow build-bundle`: a season ZIP from local files through the same layout module as the
// container job (src/lib/zip64.ts): STORE, ZIP64 when needed, deterministic, byte for byte the
// container's archive for the same entries (names, sizes, times).
//
// Every local header carries its member's CRC-32, so each file is read twice: a worker thread
// reads file i+1 for its CRC-32 and SHA-256 while this thread copies file i into the archive and
// hashes the archive, its writes overlapping the hashing. Buffers are reused (a few of 1 MiB), so
// memory does not grow with the files.
// The archive is written beside its final name and renamed into place only when complete.

import { createHash } from "node:crypto";
import { closeSync, fstatSync, openSync, readSync, renameSync, rmSync, statSync, write } from "node:fs";
import { basename } from "node:path";
import { Worker } from "node:worker_threads";
import * as zlib from "node:zlib";
import { localHeader, planZip, type ZipEntry } from "../../src/lib/zip64.ts";

const CHUNK = 1024 * 1024;
const WRITE_SLOTS = 3;

export interface BundleItem {
  name: string;
  source: string;
  size: number;
  crc32: number;
  sha256: string;
}

export interface BuiltBundle {
  path: string;
  size: number;
  sha256: string;
  zip64: boolean;
  items: BundleItem[];
}

export interface BuildBundleInput {
  out: string;
  files: string[];
  /** Names inside the archive (default: each file's base name). */
  names?: string[];
  /** Member times (default: each file's modification time). */
  mtimes?: Date[];
  onProgress?: (bytesDone: number, bytesTotal: number) => void;
}

type Digest = { index: number; crc32: number; sha256: string; size: number };

// The digest worker: CRC-32, SHA-256 and size of each file in order. Plain CommonJS run with
// eval, so it loads the same under tsx and from a bundled build.
const DIGEST_WORKER = `
const { parentPort, workerData } = require("node:worker_threads");
const { openSync, readSync, closeSync } = require("node:fs");
const { createHash } = require("node:crypto");
const zlib = require("node:zlib");
const buf = Buffer.allocUnsafe(workerData.chunk);
workerData.files.forEach((file, index) => {
  const fd = openSync(file, "r");
  const h = createHash("sha256");
  let crc = 0, size = 0, n;
  while ((n = readSync(fd, buf, 0, buf.length, null)) > 0) {
    const b = n === buf.length ? buf : buf.subarray(0, n);
    crc = zlib.crc32(b, crc);
    h.update(b);
    size += n;
  }
  closeSync(fd);
  parentPort.postMessage({ index, crc32: crc >>> 0, sha256: h.digest("hex"), size });
});
`;

export async function buildBundle(input: BuildBundleInput): Promise<BuiltBundle> {
  if (input.files.length === 0) throw new Error("build-bundle needs at least one file");
  const stats = input.files.map((f) => statSync(f));
  stats.forEach((s, i) => {
    if (!s.isFile()) throw new Error(`${input.files[i]} is not a file`);
  });
  const entries: ZipEntry[] = input.files.map((f, i) => ({
    name: input.names?.[i] ?? basename(f),
    size: stats[i]?.size ?? 0,
    crc32: 0, // known once digested; header lengths and offsets do not depend on it
    mtime: input.mtimes?.[i] ?? (stats[i] as { mtime: Date }).mtime,
  }));
  planZip(entries); // validates names and sizes before any work

  // Digests arrive in file order from the worker thread.
  const digests: (Digest | undefined)[] = [];
  const waiting = new Map<number, (d: Digest) => void>();
  const worker = new Worker(DIGEST_WORKER, { eval: true, workerData: { files: input.files, chunk: CHUNK } });
  let failure: Error | null = null;
  const failed = new Promise<never>((_, reject) => {
    worker.on("error", (e) => {
      failure = e;
      reject(e);
    });
  });
  failed.catch(() => undefined);
  worker.on("message", (d: Digest) => {
    digests[d.index] = d;
    waiting.get(d.index)?.(d);
  });
  const digestOf = (i: number): Promise<Digest> =>
    digests[i] ? Promise.resolve(digests[i] as Digest) : Promise.race([new Promise<Digest>((r) => waiting.set(i, r)), failed]);

  const partial = `${input.out}.partial-${process.pid}`;
  const fd = openSync(partial, "w");
  try {
    const archive = createHash("sha256");
    // Writes go to the thread pool at explicit offsets while this thread hashes the next block;
    // a block's buffer is reused only once its write has finished.
    const ring = Array.from({ length: WRITE_SLOTS }, () => ({ buf: Buffer.allocUnsafe(CHUNK), pending: Promise.resolve() }));
    let slot = 0;
    let pos = 0;
    const writeAt = (b: Uint8Array, at: number) =>
      new Promise<void>((resolve, reject) => {
        const step = (off: number) =>
          write(fd, b, off, b.length - off, at + off, (err, n) => {
            if (err) reject(err);
            else if (off + n < b.length) step(off + n);
            else resolve();
          });
        step(0);
      });
    const emitHeader = (b: Uint8Array) => {
      archive.update(b);
      const at = pos;
      pos += b.length;
      const s = ring[slot++ % WRITE_SLOTS] as (typeof ring)[number];
      s.pending = s.pending.then(() => writeAt(b, at));
    };
    const total = entries.reduce((n, e) => n + e.size, 0);
    let done = 0;
    const items: BundleItem[] = [];
    for (const [i, e] of entries.entries()) {
      const d = await digestOf(i);
      if (d.size !== e.size) throw new Error(`${input.files[i]} changed size while being read`);
      e.crc32 = d.crc32;
      emitHeader(localHeader(e));
      const src = openSync(input.files[i] as string, "r");
      let crc = 0;
      try {
        for (;;) {
          const s = ring[slot++ % WRITE_SLOTS] as (typeof ring)[number];
          await s.pending;
          const n = readSync(src, s.buf, 0, CHUNK, null);
          if (n === 0) break;
          const b = n === CHUNK ? s.buf : s.buf.subarray(0, n);
          crc = zlib.crc32(b, crc);
          archive.update(b);
          s.pending = writeAt(b, pos);
          pos += n;
          done += n;
          input.onProgress?.(done, total);
        }
      } finally {
        closeSync(src);
      }
      if (crc >>> 0 !== d.crc32) throw new Error(`${input.files[i]} changed while being read`);
      items.push({ name: e.name, source: input.files[i] as string, size: e.size, crc32: d.crc32, sha256: d.sha256 });
    }
    const layout = planZip(entries);
    emitHeader(layout.tail);
    await Promise.all(ring.map((r) => r.pending));
    if (fstatSync(fd).size !== layout.totalSize) throw new Error(`wrote ${fstatSync(fd).size} bytes, expected ${layout.totalSize}`);
    closeSync(fd);
    renameSync(partial, input.out);
    return { path: input.out, size: layout.totalSize, sha256: archive.digest("hex"), zip64: layout.zip64, items };
  } catch (e) {
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
    rmSync(partial, { force: true });
    throw failure ?? e;
  } finally {
    await worker.terminate();
  }
}

/** The manifest written beside the archive: the container job's shape. */
export function bundleManifest(b: BuiltBundle) {
  return {
    archive: { key: basename(b.path), size: b.size, sha256: b.sha256, format: b.zip64 ? "zip64" : "zip", method: "store" },
    items: b.items.map((i) => ({ name: i.name, size: i.size, sha256: i.sha256, crc32: i.crc32, source_key: i.source })),
  };
}
