// The bundle job: each source object, in order, streamed through the ZIP layout into one S3
// multipart upload (never to disk, a few parts in memory at most), then the manifest beside it.
// Any failure, or SIGTERM, aborts the multipart upload.
import type { BundleJobRequest, BundleJobResult, BundleManifest, BundleProgress, JobItem } from "../../../src/features/bundles/contract.ts";
import { planZip, type ZipEntry } from "../../../src/lib/zip64.ts";
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

/** Streams an object from `start`, resuming with a Range after a dropped connection. */
async function* readObject(cfg: JobServiceConfig, key: string, size: number, signal: AbortSignal): AsyncGenerator<Uint8Array> {
  let offset = 0;
  let failures = 0;
  while (offset < size) {
    try {
      const res = await withRetry(
        `GET ${key}`,
        async () => {
          const r = await cfg.s3.get(key, { range: { start: offset }, signal });
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
      if (signal.aborted || (e as { status?: number }).status === 404 || ++failures > 5) throw e;
      await new Promise((r) => setTimeout(r, 200 * 2 ** failures));
    }
  }
}

export async function runBundle(
  cfg: JobServiceConfig,
  p: BundleParams,
  progress: (p: Progress) => void,
  signal: AbortSignal,
): Promise<BundleResult> {
  const total = p.items.reduce((n, i) => n + i.size, 0);
  const prog: Progress = { bytes_done: 0, bytes_total: total, items_done: 0, items_total: p.items.length, phase: "measuring" };

  // CRC-32 goes in each local header, so it must be known before the member is written.
  const entries: ZipEntry[] = [];
  for (const it of p.items) {
    let c = it.crc32;
    if (c === null) {
      c = 0;
      for await (const chunk of readObject(cfg, it.source_key, it.size, signal)) c = crc32(c, chunk);
    }
    entries.push({ name: it.name, size: it.size, crc32: c, mtime: new Date(it.mtime) });
  }
  const layout = planZip(entries);
  prog.bytes_total = layout.totalSize;
  prog.phase = "writing";
  progress(prog);

  const partSize = bundlePartSize(layout.totalSize, cfg.minPartSize);
  const uploadId = await withRetry("create upload", () =>
    cfg.s3.createMultipart(p.zip_key, { contentType: "application/zip", ...(cfg.sse ? { sse: cfg.sse } : {}) }),
  );
  const out = new MultipartWriter(cfg.s3, p.zip_key, uploadId, partSize, cfg.partConcurrency, signal);
  const archive = sha256();
  const items: BundleResult["items"] = [];
  try {
    const emit = async (b: Uint8Array) => {
      archive.update(b);
      await out.write(b);
      prog.bytes_done += b.length;
    };
    for (const [i, m] of layout.members.entries()) {
      const src = p.items[i] as BundleItem;
      await emit(m.localHeader);
      const itemHash = sha256();
      let c = 0;
      for await (const chunk of readObject(cfg, src.source_key, m.size, signal)) {
        if (signal.aborted) throw new Error("job cancelled");
        itemHash.update(chunk);
        c = crc32(c, chunk);
        await emit(chunk);
        progress(prog);
      }
      // The header already promised this CRC: a source that changed since must not slip in.
      if (c >>> 0 !== m.crc32 >>> 0) throw new Error(`${src.source_key} changed: CRC-32 ${c >>> 0} ≠ ${m.crc32 >>> 0} recorded`);
      items.push({ name: m.name, size: m.size, sha256: itemHash.digest("hex"), crc32: m.crc32, source_key: src.source_key });
      prog.items_done += 1;
      progress(prog);
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
  const manifest: BundleManifest = {
    title_id: p.title_id,
    season_number: p.season_number,
    archive: { key: p.zip_key, size: result.size, sha256: result.sha256, format: layout.zip64 ? "zip64" : "zip", method: "store" },
    items,
  };
  await withRetry("put manifest", () => cfg.s3.put(p.manifest_key, JSON.stringify(manifest, null, 2), { contentType: "application/json" }));
  return result;
}
