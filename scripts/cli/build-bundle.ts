// `moviesnow build-bundle`: a season ZIP from local files through the same layout module as the
// container job (src/lib/zip64.ts): STORE, ZIP64 when needed, deterministic, byte for byte the
// container's archive for the same entries (names, sizes, times).
//
// The work is SHA-256-bound (one stream over the archive, one per member), on two threads that
// share memory and never wait on the event loop:
// - Every local header carries its member's CRC-32, so each file is checksummed in a first pass
//   ahead of the archive, in chunks that either thread claims whenever it would otherwise
//   wait; the chunks' CRCs are combined (crc32Combine) once a file's are all in.
// - This thread then reads each chunk once into a small shared ring and feeds it to the archive's
//   SHA-256; the worker feeds the same bytes to the member's SHA-256 and writes them at their
//   offset. A file whose status changed between the passes fails the build.
// Memory stays a few MiB whatever the files' size. The archive is written beside its final name
// and renamed into place only when complete.

import { createHash } from "node:crypto";
import { type BigIntStats, closeSync, fstatSync, openSync, readFileSync, readSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
import { basename } from "node:path";
import { type ResourceLimits, Worker } from "node:worker_threads";
import * as zlib from "node:zlib";
import type { BundleManifest } from "../../src/features/bundles/contract.ts";
import { crc32Combine, crc32ShiftOperator } from "../../src/lib/crc32.ts";
import { libraryManifestText } from "../../src/lib/library-layout.ts";
import { safeMemberName } from "../../src/lib/member-names.ts";
import { deflateMember, localHeader, planZip, type ZipEntry, type ZipMember } from "../../src/lib/zip64.ts";

// 256 KiB chunks run as fast as 1 MiB ones here and keep the peak RSS about 3 MiB lower.
const CHUNK = 256 * 1024;
const SLOTS = 4;
const YIELD_EVERY = 64; // chunks (16 MiB) between turns of the event loop

// Shared control words (Int32Array over a SharedArrayBuffer).
const PUBLISHED = 0; // chunks this thread has put in the ring
const CONSUMED = 1; // chunks the worker has hashed (their ring slots are free again)
const NEXT_CRC = 2; // next chunk to claim for the CRC pass
const FAILED = 3; // the worker failed: its message is in `errorText`
const WORKER_DONE = 4; // the worker has written every member's SHA-256
const CRC_DONE = 8; // + file index: chunks of that file checksummed

export interface BundleItem {
  name: string;
  /** The file it was read from; null for text made by the build. */
  source: string | null;
  size: number;
  crc32: number;
  sha256: string;
  method: "store" | "deflate";
}

export interface BuiltBundle {
  path: string;
  size: number;
  sha256: string;
  zip64: boolean;
  layout: "flat" | "library";
  items: BundleItem[];
}

/**
 * One member: a file STORED as it is (streamed, whatever its size), a small file DEFLATEd
 * (subtitles), or text made by the caller (NFO files), DEFLATEd.
 */
export type BuildMember =
  | { file: string; name?: string; mtime?: Date; method?: "store" | "deflate" }
  | { text: string; name: string; mtime: Date };

export interface BuildBundleInput {
  out: string;
  /** The members in archive order; or `files` (with `names` and `mtimes`), each STORED. */
  members?: BuildMember[];
  files?: string[];
  /** Names inside the archive (default: each file's base name). */
  names?: string[];
  /** Member times (default: each file's modification time). */
  mtimes?: Date[];
  /** A library build: MANIFEST.json (every other member's size, CRC-32 and SHA-256) goes last. */
  library?: { manifest: string; title: string; year: number | null; season: number; mtime: Date };
  onProgress?: (bytesDone: number, bytesTotal: number) => void;
  /** Overrides the digest worker's resource limits (tests use it to make the worker fail). */
  workerLimits?: ResourceLimits;
}

interface Shared {
  ctrl: SharedArrayBuffer;
  parts: SharedArrayBuffer; // CRC-32 of each chunk
  ring: SharedArrayBuffer;
  digests: SharedArrayBuffer; // each member's SHA-256, 32 bytes each
  errorText: SharedArrayBuffer;
  fds: number[];
  out: number;
  dataOffsets: number[]; // where each member's bytes go in the archive
  sizes: number[];
  first: number[]; // first chunk of each file; first[n] = all chunks
  chunk: number;
  slots: number;
}

// The worker: plain CommonJS run with eval, so it loads the same under tsx and from a bundled
// build. `crcStep` is the same few lines as this thread's (it cannot import them).
const WORKER = `
const { workerData: w } = require("node:worker_threads");
const { readSync, writeSync } = require("node:fs");
const { createHash } = require("node:crypto");
const zlib = require("node:zlib");
const [PUBLISHED, CONSUMED, NEXT_CRC, FAILED, WORKER_DONE, CRC_DONE] = [0, 1, 2, 3, 4, 8];
const ctrl = new Int32Array(w.ctrl), parts = new Int32Array(w.parts);
const ring = Buffer.from(w.ring), digests = Buffer.from(w.digests);
const n = w.sizes.length, total = w.first[n];
const fileOf = new Int32Array(total);
for (let f = 0; f < n; f++) fileOf.fill(f, w.first[f], w.first[f + 1]);
const span = (k) => { const f = fileOf[k], at = (k - w.first[f]) * w.chunk; return [f, at, Math.min(w.chunk, w.sizes[f] - at)]; };
const buf = Buffer.allocUnsafe(w.chunk);
const crcStep = (k) => {
  const [f, at, len] = span(k);
  for (let got = 0; got < len; ) {
    const r = readSync(w.fds[f], buf, got, len - got, at + got);
    if (r === 0) throw new Error("file " + f + " shrank while being read");
    got += r;
  }
  parts[k] = zlib.crc32(buf.subarray(0, len));
  Atomics.add(ctrl, CRC_DONE + f, 1);
  Atomics.notify(ctrl, CRC_DONE + f);
};
try {
  let next = 0, member = -1, hash = null;
  const advanceTo = (f) => {
    for (; member < f; member++) {
      if (hash) hash.digest().copy(digests, member * 32);
      hash = createHash("sha256");
    }
  };
  while (!Atomics.load(ctrl, FAILED)) {
    const published = Atomics.load(ctrl, PUBLISHED);
    if (next < published) {
      const [f, at, len] = span(next);
      advanceTo(f);
      const bytes = ring.subarray((next % w.slots) * w.chunk, (next % w.slots) * w.chunk + len);
      hash.update(bytes);
      for (let off = 0; off < len; ) off += writeSync(w.out, bytes, off, len - off, w.dataOffsets[f] + at + off);
      Atomics.store(ctrl, CONSUMED, ++next);
      Atomics.notify(ctrl, CONSUMED);
      continue;
    }
    if (Atomics.load(ctrl, NEXT_CRC) < total) {
      const k = Atomics.add(ctrl, NEXT_CRC, 1);
      if (k < total) crcStep(k);
      continue;
    }
    if (next >= total) break;
    Atomics.wait(ctrl, PUBLISHED, published, 1000);
  }
  advanceTo(n);
  Atomics.store(ctrl, WORKER_DONE, 1);
  Atomics.notify(ctrl, WORKER_DONE);
} catch (e) {
  Buffer.from(w.errorText).write(String(e && e.message || e));
  Atomics.store(ctrl, FAILED, 1);
  Atomics.notify(ctrl, PUBLISHED);
  Atomics.notify(ctrl, CONSUMED);
  Atomics.notify(ctrl, WORKER_DONE);
  for (let f = 0; f < n; f++) Atomics.notify(ctrl, CRC_DONE + f);
}
`;

const readFully = (fd: number, into: Uint8Array, len: number, at: number, file: string) => {
  for (let got = 0; got < len; ) {
    const r = readSync(fd, into, got, len - got, at + got);
    if (r === 0) throw new Error(`${file} shrank while being read`);
    got += r;
  }
};

const writeAt = (fd: number, bytes: Uint8Array, at: number) => {
  for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off, bytes.length - off, at + off);
};

/** A DEFLATEd member, made before the archive is: bytes, sizes, CRC-32 and SHA-256. */
interface InlineMember {
  entry: ZipEntry;
  bytes: Uint8Array;
  sha256: string;
  source: string | null;
}

function inline(name: string, raw: Uint8Array, mtime: Date, source: string | null): InlineMember {
  const d = deflateMember(raw);
  return {
    entry: { name: safeMemberName(name), size: d.size, compressedSize: d.compressedSize, crc32: d.crc32, mtime },
    bytes: d.bytes,
    sha256: createHash("sha256").update(raw).digest("hex"),
    source,
  };
}

export async function buildBundle(input: BuildBundleInput): Promise<BuiltBundle> {
  const members: BuildMember[] =
    input.members ?? (input.files ?? []).map((file, i) => ({ file, name: input.names?.[i], mtime: input.mtimes?.[i] }));
  if (members.length === 0) throw new Error("build-bundle needs at least one file");
  // STORED files go through the two threads (indexed f = 0…n-1 among them); the rest is in memory.
  const paths: string[] = [];
  const asGiven: { name?: string; mtime?: Date }[] = [];
  const fds: number[] = [];
  const partial = `${input.out}.partial-${process.pid}`;
  let out = -1;
  let worker: Worker | null = null;
  let stopped: Error | null = null;
  // Ctrl-C or a TERM: stop at the next turn, remove the partial archive, exit 128 + signal.
  const onSignal = (signal: NodeJS.Signals) => {
    stopped ??= Object.assign(new Error(`interrupted (${signal})`), { exitCode: signal === "SIGINT" ? 130 : 143 });
  };
  process.on("SIGINT", onSignal).on("SIGTERM", onSignal);
  try {
    // Each member in archive order: a stored file's index among the stored files, or its bytes.
    const order: ({ f: number } | InlineMember)[] = members.map((m) => {
      if ("text" in m) return inline(m.name, new TextEncoder().encode(m.text), m.mtime, null);
      if (m.method === "deflate") {
        const raw = readFileSync(m.file);
        return inline(m.name ?? basename(m.file), raw, m.mtime ?? statSync(m.file).mtime, m.file);
      }
      paths.push(m.file);
      asGiven.push(m);
      fds.push(openSync(m.file, "r"));
      return { f: paths.length - 1 };
    });
    // Each file's status as opened: its entry now, and what it must still be at the end.
    const opened = fds.map((fd) => fstatSync(fd, { bigint: true }));
    const stored: ZipEntry[] = opened.map((st, f) => {
      if (!st.isFile()) throw new Error(`${paths[f]} is not a file`);
      const m = asGiven[f] as { name?: string; mtime?: Date };
      return {
        name: safeMemberName(m.name ?? basename(paths[f] as string)),
        size: Number(st.size),
        crc32: 0, // known after the first pass; header lengths and offsets do not depend on it
        mtime: m.mtime ?? st.mtime,
      };
    });
    const entries: ZipEntry[] = order.map((o) => ("f" in o ? (stored[o.f] as ZipEntry) : o.entry));
    const memberOf = order.flatMap((o, i) => ("f" in o ? [i] : [])); // stored file f → its member index
    const plan = planZip(entries); // validates names and sizes before any work; offsets do not depend on CRCs
    const n = stored.length;
    const first = [0];
    for (const e of stored) first.push((first.at(-1) as number) + Math.ceil(e.size / CHUNK));
    const total = first[n] as number;
    // Chunk k: its file, where it starts in that file, and its length.
    const span = (k: number) => {
      let f = 0;
      while ((first[f + 1] as number) <= k) f++;
      const at = (k - (first[f] as number)) * CHUNK;
      return { f, at, len: Math.min(CHUNK, (stored[f] as ZipEntry).size - at) };
    };
    out = openSync(partial, "w");
    const shared: Shared = {
      ctrl: new SharedArrayBuffer(4 * (CRC_DONE + n)),
      parts: new SharedArrayBuffer(4 * Math.max(total, 1)),
      ring: new SharedArrayBuffer(SLOTS * CHUNK),
      digests: new SharedArrayBuffer(32 * n),
      errorText: new SharedArrayBuffer(1024),
      fds,
      out,
      dataOffsets: memberOf.map((i) => (plan.members[i] as ZipMember).dataOffset),
      sizes: stored.map((e) => e.size),
      first,
      chunk: CHUNK,
      slots: SLOTS,
    };
    const ctrl = new Int32Array(shared.ctrl);
    const parts = new Int32Array(shared.parts);
    const ring = Buffer.from(shared.ring);
    // The worker allocates almost nothing, so a small heap; and it needs none of this process's
    // node flags (a loader such as tsx's would cost it tens of MiB).
    worker = new Worker(WORKER, {
      eval: true,
      workerData: shared,
      execArgv: [],
      resourceLimits: { maxYoungGenerationSizeMb: 1, maxOldGenerationSizeMb: 16, stackSizeMb: 1, ...input.workerLimits },
    });
    // This thread works synchronously, so the worker's death and signals reach it only when it
    // gives the event loop a turn: every YIELD_EVERY chunks, and whenever a wait times out.
    worker.on("error", (e) => {
      stopped ??= new Error(`the digest worker failed: ${e.message}`);
    });
    worker.on("exit", (code) => {
      if (!Atomics.load(ctrl, WORKER_DONE)) stopped ??= new Error(`the digest worker stopped (exit code ${code})`);
    });
    const check = () => {
      if (Atomics.load(ctrl, FAILED)) {
        const text = Buffer.from(shared.errorText).toString("utf8").replace(/\0+$/, "");
        // The worker names files by index; name them by path.
        throw new Error(text.replace(/^file (\d+)/, (_, i: string) => paths[Number(i)] ?? `file ${i}`));
      }
      if (stopped) throw stopped;
    };
    const turn = async () => {
      await new Promise((r) => setImmediate(r));
      check();
    };
    const buf = Buffer.allocUnsafe(CHUNK);
    // One chunk of the CRC pass, if any is left; otherwise wait (briefly) for `word` to move on.
    // Resolves at once unless the wait timed out, which gives the event loop its turn.
    const helpOrWait = (word: number, seen: number): Promise<void> | undefined => {
      if (Atomics.load(ctrl, NEXT_CRC) < total) {
        const k = Atomics.add(ctrl, NEXT_CRC, 1);
        if (k < total) {
          const { f, at, len } = span(k);
          readFully(fds[f] as number, buf, len, at, paths[f] as string);
          parts[k] = zlib.crc32(buf.subarray(0, len));
          Atomics.add(ctrl, CRC_DONE + f, 1);
          Atomics.notify(ctrl, CRC_DONE + f);
          return;
        }
      }
      check();
      return Atomics.wait(ctrl, word, seen, 50) === "timed-out" ? turn() : undefined;
    };
    const fullChunkOp = crc32ShiftOperator(CHUNK);
    const crcOf = async (f: number): Promise<number> => {
      const chunks = (first[f + 1] as number) - (first[f] as number);
      for (let seen = Atomics.load(ctrl, CRC_DONE + f); seen < chunks; seen = Atomics.load(ctrl, CRC_DONE + f)) {
        const turned = helpOrWait(CRC_DONE + f, seen);
        if (turned) await turned;
      }
      let crc = 0;
      for (let k = first[f] as number; k < (first[f + 1] as number); k++) {
        const { len } = span(k);
        crc = crc32Combine(crc, (parts[k] as number) >>> 0, len, len === CHUNK ? fullChunkOp : undefined);
      }
      return crc;
    };

    const archive = createHash("sha256");
    const bytesTotal = entries.reduce((s, e) => s + e.size, 0);
    let done = 0;
    for (const [i, o] of order.entries()) {
      const at0 = (plan.members[i] as ZipMember).headerOffset;
      if (!("f" in o)) {
        const header = localHeader(o.entry);
        archive.update(header).update(o.bytes);
        writeAt(out, header, at0);
        writeAt(out, o.bytes, at0 + header.length);
        done += o.entry.size;
        input.onProgress?.(done, bytesTotal);
        continue;
      }
      const f = o.f;
      const e = stored[f] as ZipEntry;
      e.crc32 = await crcOf(f);
      const header = localHeader(e);
      archive.update(header);
      writeAt(out, header, at0);
      for (let k = first[f] as number; k < (first[f + 1] as number); k++) {
        for (let c = Atomics.load(ctrl, CONSUMED); k - c >= SLOTS; c = Atomics.load(ctrl, CONSUMED)) {
          const turned = helpOrWait(CONSUMED, c);
          if (turned) await turned; // `await undefined` would still cost a microtask per chunk
        }
        if (k % YIELD_EVERY === 0) await turn();
        const { at, len } = span(k);
        const slot = ring.subarray((k % SLOTS) * CHUNK, (k % SLOTS) * CHUNK + len);
        readFully(fds[f] as number, slot, len, at, paths[f] as string);
        archive.update(slot);
        Atomics.store(ctrl, PUBLISHED, k + 1);
        Atomics.notify(ctrl, PUBLISHED);
        done += len;
        input.onProgress?.(done, bytesTotal);
      }
    }
    while (!Atomics.load(ctrl, WORKER_DONE)) {
      check();
      if (Atomics.wait(ctrl, WORKER_DONE, 0, 50) === "timed-out") await turn();
    }
    check();
    const digests = Buffer.from(shared.digests);
    const items: BundleItem[] = order.map((o, i) => {
      const e = entries[i] as ZipEntry;
      const common = { name: e.name, size: e.size, crc32: e.crc32 };
      return "f" in o
        ? { ...common, source: paths[o.f] as string, sha256: digests.subarray(o.f * 32, o.f * 32 + 32).toString("hex"), method: "store" }
        : { ...common, source: o.source, sha256: o.sha256, method: "deflate" };
    });
    // MANIFEST.json lists every member's SHA-256, known only now: it goes last, before the tail.
    let layout = planZip(entries); // the CRCs are in the entries now
    if (input.library) {
      const lib = input.library;
      const text = libraryManifestText({ name: lib.title, year: lib.year }, lib.season, items);
      const manifest = inline(lib.manifest, new TextEncoder().encode(text), lib.mtime, null);
      layout = planZip([...entries, manifest.entry]);
      const at0 = (layout.members.at(-1) as ZipMember).headerOffset;
      const header = localHeader(manifest.entry);
      archive.update(header).update(manifest.bytes);
      writeAt(out, header, at0);
      writeAt(out, manifest.bytes, at0 + header.length);
      items.push({
        name: manifest.entry.name,
        size: manifest.entry.size,
        crc32: manifest.entry.crc32,
        source: null,
        sha256: manifest.sha256,
        method: "deflate",
      });
    }
    archive.update(layout.tail);
    writeAt(out, layout.tail, layout.tailOffset);
    // A write to a file between its two passes would leave a header CRC that does not match the
    // bytes archived; as GNU tar does, any change to its status since it was opened fails the build.
    fds.forEach((fd, i) => {
      const [was, now] = [opened[i] as BigIntStats, fstatSync(fd, { bigint: true })];
      if (now.size !== was.size || now.mtimeNs !== was.mtimeNs || now.ctimeNs !== was.ctimeNs)
        throw new Error(`${paths[i]} changed while being read`);
    });
    if (fstatSync(out).size !== layout.totalSize) throw new Error(`wrote ${fstatSync(out).size} bytes, expected ${layout.totalSize}`);
    closeSync(out);
    out = -1;
    renameSync(partial, input.out);
    return {
      path: input.out,
      size: layout.totalSize,
      sha256: archive.digest("hex"),
      zip64: layout.zip64,
      layout: input.library ? "library" : "flat",
      items,
    };
  } catch (e) {
    if (out >= 0) closeSync(out);
    rmSync(partial, { force: true });
    throw e;
  } finally {
    process.off("SIGINT", onSignal).off("SIGTERM", onSignal);
    await worker?.terminate();
    for (const fd of fds) closeSync(fd);
  }
}

/** The manifest written beside the archive: the container job's shape (one declaration, in the contract). */
export function bundleManifest(b: BuiltBundle): BundleManifest {
  return {
    archive: {
      key: basename(b.path),
      size: b.size,
      sha256: b.sha256,
      format: b.zip64 ? "zip64" : "zip",
      method: b.items.some((i) => i.method === "deflate") ? "store+deflate" : "store",
      layout: b.layout,
    },
    items: b.items.map((i) => ({ name: i.name, size: i.size, sha256: i.sha256, crc32: i.crc32, source_key: i.source, method: i.method })),
  };
}
