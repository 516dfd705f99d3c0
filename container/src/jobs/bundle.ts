// The bundle job: each member, in order, through the ZIP layout into one S3 multipart upload
// (never to disk, a few parts in memory at most), then the manifest beside it. Videos and artwork
// stream from S3 STORED; text (NFO files, subtitles, a library build's MANIFEST.json, added last)
// is DEFLATEd in memory first, being small. Every member's CRC-32 is checked as it passes; its
// SHA-256 is computed unless the service already computed it from the very version read.
// Any failure, or SIGTERM, aborts the multipart upload.
import {
  type BundleJobRequest,
  type BundleJobResult,
  type BundleManifest,
  type BundleProgress,
  isTextItem,
  type JobItem,
} from "../../../src/features/bundles/contract.ts";
import { libraryManifestText } from "../../../src/lib/library-layout.ts";
import { deflateMember, planZip, type ZipEntry, type ZipMember } from "../../../src/lib/zip64.ts";
import type { JobServiceConfig } from "../config.ts";
import { crc32, sha256 } from "../hashing.ts";
import { MultipartWriter } from "../multipart-writer.ts";
import { withRetry } from "../retry.ts";

export type BundleItem = JobItem;
export type BundleParams = Omit<BundleJobRequest, "id" | "type">;
export type BundleResult = BundleJobResult;
export type Progress = BundleProgress;

const MiB = 1024 * 1024;
const MAX_PARTS = 10_000;

export function bundlePartSize(total: number, min: number): number {
  return Math.max(min, Math.ceil(total / MAX_PARTS / MiB) * MiB);
}

/**
 * Streams an object, resuming with a Range after a dropped connection. With the ETag recorded with
 * its checksums every read (resumes too) is If-Match: a replaced object fails with 412, never retried.
 */
async function* readObject(
  cfg: JobServiceConfig,
  key: string,
  size: number,
  signal: AbortSignal,
  etag: string | null,
): AsyncGenerator<Uint8Array> {
  let offset = 0;
  let failures = 0;
  while (offset < size) {
    try {
      const res = await withRetry(
        `GET ${key}`,
        async () => {
          const r = await cfg.s3.get(key, { range: { start: offset }, signal, ifMatch: etag });
          if (!r?.body) throw Object.assign(new Error(`source ${key} is missing`), { status: 404 });
          return r;
        },
        { signal },
      );
      const reader = (res.body as ReadableStream<Uint8Array>).getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        const take = value.length > size - offset ? value.subarray(0, size - offset) : value;
        offset += take.length;
        yield take;
        if (offset >= size) {
          await reader.cancel();
          break;
        }
      }
      if (offset < size) throw new Error(`source ${key} ended at ${offset} of ${size} bytes`);
    } catch (e) {
      const status = (e as { status?: number }).status;
      if (signal.aborted || status === 404 || status === 412 || ++failures > 5) throw e;
      await new Promise((r) => setTimeout(r, 200 * 2 ** failures));
    }
  }
}

interface Prepared {
  entry: ZipEntry;
  /** The source object of a member streamed from S3 (STORED); null for one held in `inline`. */
  sourceKey: string | null;
  /** A DEFLATEd member's compressed bytes, ready to write (dropped for an object's, see `deflated`). */
  inline: Uint8Array | null;
  deflated: boolean;
  /** The source's recorded ETag: its reads are If-Match. */
  etag: string | null;
  /** SHA-256 of a DEFLATEd member's uncompressed bytes; of a STORED one, the recorded one if any. */
  sha256: string | null;
  /** A STORED member whose recorded SHA-256 came from this very version (`hashedAtIngest`): not hashed again. */
  trustSha256: boolean;
}

const utf8 = new TextEncoder();

/** An inline member: `raw` DEFLATEd up front (fflate, fixed level), so its sizes and CRC-32 are known. */
function inlineMember(name: string, raw: Uint8Array, mtime: Date, sourceKey: string | null): Prepared {
  const d = deflateMember(raw);
  return {
    entry: { name, size: d.size, compressedSize: d.compressedSize, crc32: d.crc32, mtime },
    sourceKey,
    inline: d.bytes,
    deflated: true,
    etag: null,
    sha256: sha256().update(raw).digest("hex"),
    trustSha256: false,
  };
}

/**
 * Whether a source's recorded SHA-256 was computed by the service from the version its ETag names.
 * The catalog records a CRC-32 only from its own hashing pass, which records the SHA-256 and the
 * ETag with it; an operator-given SHA-256 comes without a CRC-32. Such a source, read If-Match
 * that ETag, is those very bytes: its CRC-32 is still checked as it passes (the header promised
 * it), but a second SHA-256 pass only repeats the first (0.65 s of CPU per GiB here, bench:bundle).
 */
const hashedAtIngest = (item: { crc32: number | null; sha256: string | null; etag: string | null }) =>
  item.crc32 !== null && item.sha256 !== null && item.etag !== null;

/** A whole (small) object in memory, for a member DEFLATEd before it is written. */
async function readWhole(cfg: JobServiceConfig, key: string, size: number, signal: AbortSignal, etag: string | null): Promise<Uint8Array> {
  const buf = new Uint8Array(size);
  let at = 0;
  for await (const chunk of readObject(cfg, key, size, signal, etag)) {
    buf.set(chunk, at);
    at += chunk.length;
  }
  return buf;
}

/**
 * Everything a member needs before its local header is written: sizes and CRC-32 (measured with
 * one extra read when the catalog has none), and for text and subtitles their DEFLATEd bytes.
 */
async function prepare(cfg: JobServiceConfig, item: BundleItem, signal: AbortSignal): Promise<Prepared> {
  const mtime = new Date(item.mtime);
  if (isTextItem(item)) return inlineMember(item.name, utf8.encode(item.text), mtime, null);
  if (item.method === "deflate") {
    // Only its sizes and CRC are kept until it is written, when it is read and DEFLATEd again
    // (the same bytes: fixed level), so memory stays flat however many subtitles a season has.
    const m = inlineMember(item.name, await readWhole(cfg, item.source_key, item.size, signal, item.etag), mtime, item.source_key);
    if (item.sha256 && m.sha256 !== item.sha256) throw new Error(`${item.source_key} changed: its SHA-256 is not the one recorded`);
    return { ...m, inline: null, etag: item.etag };
  }
  const trustSha256 = hashedAtIngest(item);
  let c = item.crc32;
  if (c === null) {
    c = 0;
    for await (const chunk of readObject(cfg, item.source_key, item.size, signal, item.etag)) c = crc32(c, chunk);
  }
  return {
    entry: { name: item.name, size: item.size, crc32: c, mtime },
    sourceKey: item.source_key,
    inline: null,
    deflated: false,
    sha256: item.sha256,
    etag: item.etag,
    trustSha256,
  };
}

export async function runBundle(
  cfg: JobServiceConfig,
  p: BundleParams,
  progress: (p: Progress) => void,
  signal: AbortSignal,
): Promise<BundleResult> {
  const total = p.items.reduce((n, i) => n + (isTextItem(i) ? i.text.length : i.size), 0);
  const prog: Progress = { bytes_done: 0, bytes_total: total, items_done: 0, items_total: p.items.length, phase: "measuring" };

  // CRC-32 and sizes go in each local header, so they must be known before the member is written.
  const prepared: Prepared[] = [];
  for (const it of p.items) prepared.push(await prepare(cfg, it, signal));
  // The members' offsets; a library build's MANIFEST.json comes after them, before the tail.
  const body = planZip(prepared.map((x) => x.entry));
  prog.bytes_total = body.totalSize;
  prog.phase = "writing";
  progress(prog);

  // MANIFEST.json is small: sizing parts by the rest is enough.
  const partSize = bundlePartSize(body.totalSize, cfg.minPartSize);
  const uploadId = await withRetry("create upload", () =>
    cfg.s3.createMultipart(p.zip_key, { contentType: "application/zip", ...(cfg.sse ? { sse: cfg.sse } : {}) }),
  );
  const out = new MultipartWriter(cfg.s3, p.zip_key, uploadId, partSize, cfg.partConcurrency, signal);
  const archive = sha256();
  const items: BundleResult["items"] = [];
  let layout = body;
  try {
    const emit = async (b: Uint8Array) => {
      archive.update(b);
      await out.write(b);
      prog.bytes_done += b.length;
    };
    const record = (x: Prepared, sha: string) =>
      items.push({
        name: x.entry.name,
        size: x.entry.size,
        sha256: sha,
        crc32: x.entry.crc32,
        source_key: x.sourceKey,
        method: x.deflated ? "deflate" : "store",
      });
    for (const [i, m] of body.members.entries()) {
      const x = prepared[i] as Prepared;
      await emit(m.localHeader);
      if (x.deflated) {
        let bytes = x.inline;
        if (!bytes) {
          const again = deflateMember(await readWhole(cfg, x.sourceKey as string, m.size, signal, x.etag));
          if (again.crc32 !== m.crc32 || again.compressedSize !== m.compressedSize)
            throw new Error(`${x.sourceKey} changed while the bundle was built`);
          bytes = again.bytes;
        }
        await emit(bytes);
        record(x, x.sha256 as string);
      } else {
        const key = x.sourceKey as string;
        const itemHash = x.trustSha256 ? null : sha256();
        let c = 0;
        for await (const chunk of readObject(cfg, key, m.size, signal, x.etag)) {
          if (signal.aborted) throw new Error("job cancelled");
          itemHash?.update(chunk);
          c = crc32(c, chunk);
          await emit(chunk);
          progress(prog);
        }
        // The header already promised this CRC: a source that changed since must not slip in.
        if (c >>> 0 !== m.crc32 >>> 0) throw new Error(`${key} changed: CRC-32 ${c >>> 0} ≠ ${m.crc32 >>> 0} recorded`);
        const digest = itemHash ? itemHash.digest("hex") : (x.sha256 as string);
        if (x.sha256 && digest !== x.sha256) throw new Error(`${key} changed: its SHA-256 is not the one recorded`);
        record(x, digest);
      }
      prog.items_done += 1;
      progress(prog);
    }
    if (p.library) {
      const text = libraryManifestText({ name: p.library.title, year: p.library.year }, p.season_number, items);
      const manifest = inlineMember(p.library.name, utf8.encode(text), new Date(p.library.mtime), null);
      layout = planZip([...prepared, manifest].map((x) => x.entry));
      await emit((layout.members.at(-1) as ZipMember).localHeader);
      await emit(manifest.inline as Uint8Array);
      record(manifest, manifest.sha256 as string);
    }
    await emit(layout.tail);
    prog.phase = "finishing";
    progress(prog);
    await out.complete();
  } catch (e) {
    await out.abort();
    throw e;
  }

  const head = await withRetry("head archive", () => cfg.s3.head(p.zip_key));
  if (head?.size !== layout.totalSize) throw new Error(`archive is ${head?.size} bytes, expected ${layout.totalSize}`);
  const result: BundleResult = {
    zip_key: p.zip_key,
    manifest_key: p.manifest_key,
    size: layout.totalSize,
    sha256: archive.digest("hex"),
    item_count: items.length,
    items,
  };
  const deflated = items.some((i) => i.method === "deflate");
  const manifest: BundleManifest = {
    title_id: p.title_id,
    season_number: p.season_number,
    archive: {
      key: p.zip_key,
      size: result.size,
      sha256: result.sha256,
      format: layout.zip64 ? "zip64" : "zip",
      method: deflated ? "store+deflate" : "store",
      layout: p.library ? "library" : "flat",
    },
    items,
  };
  await withRetry("put manifest", () => cfg.s3.put(p.manifest_key, JSON.stringify(manifest, null, 2), { contentType: "application/json" }));
  return result;
}
