// A season's ZIP planned in the Worker, byte for byte the archive the job would store for the same
// catalog, so it can be streamed at once with an exact length and any byte range: every member's
// size and CRC-32 (and for the library layout's MANIFEST.json its SHA-256) come from what ingest
// recorded, small text members are DEFLATEd here (the same fflate at the same level as the job),
// and STORED members are read from S3 as a range needs them (zip-pieces.ts).
//
// The plan (member table, sizes, CRCs, the small members' bytes) is kept per season under the
// catalog version, in the colo's cache and the isolate: HEAD, 304, 416 and ranges inside the
// headers are answered from it with no Postgres or S3 round trip.
import { fromBase64, toBase64 } from "../../lib/crypto/encoding";
import { libraryManifestText, type ManifestMember } from "../../lib/library-layout";
import { sha256Hex } from "../../lib/sha256";
import { archivePieces, type Piece } from "../../lib/zip-pieces";
import { deflateMember, planZip, type ZipEntry } from "../../lib/zip64";
import type { Database } from "../../platform/db";
import { type ObjectStore, S3Error } from "../../platform/s3";
import { underCatalogVersion, type VersionedCacheDeps } from "../catalog/catalog-version";
import { isTextItem, type ObjectItem } from "./contract";
import { type BundleLayout, planSeason, type SeasonPlan } from "./service";

export interface InstantArchive {
  size: number;
  pieces: Piece[];
  /** Strong, from the plan alone: the same catalog gives the same ETag in every isolate and deploy. */
  etag: string;
  lastModified: Date;
  /**
   * Each object the archive reads: the size recorded for it (a read that finds another fails) and
   * the ETag its checksums were computed from (reads are If-Match; null for rows from before it was kept).
   */
  sources: Map<string, { size: number; etag: string | null }>;
}

const utf8 = new TextEncoder();

/**
 * Whether a plan can be streamed without reading its videos first: at least one member, and every
 * object's CRC-32 recorded (and, for the library layout's MANIFEST.json, its SHA-256).
 */
export const instantPlannable = (plan: SeasonPlan): boolean =>
  plan.items.length > 0 && plan.items.every((i) => isTextItem(i) || (i.crc32 !== null && (plan.library === null || i.sha256 !== null)));

/** An archive as plain JSON, for the versioned cache: bytes as base64, the sources as pairs. */
interface KeptArchive {
  size: number;
  etag: string;
  lastModified: number;
  pieces: ({ start: number; b64: string } | { start: number; length: number; ref: string })[];
  sources: [string, { size: number; etag: string | null }][];
}

/**
 * The season's archive as of the current catalog version (see planArchive), planned once per colo
 * and version: a repeat, a HEAD, a range or a resume asks neither Postgres nor S3 for the plan.
 */
export async function instantArchive(
  deps: VersionedCacheDeps & { db: Database; s3: ObjectStore },
  titleId: string,
  season: number,
  layout: BundleLayout,
): Promise<InstantArchive | null> {
  const kept = await underCatalogVersion<KeptArchive | null>(deps, "instant-archive", [titleId, season, layout], async () => {
    const a = await planArchive(deps, titleId, season, layout);
    return (
      a && {
        size: a.size,
        etag: a.etag,
        lastModified: a.lastModified.getTime(),
        pieces: a.pieces.map((p) => ("bytes" in p ? { start: p.start, b64: toBase64(p.bytes) } : p)),
        sources: [...a.sources],
      }
    );
  });
  if (!kept) return null;
  return {
    size: kept.size,
    etag: kept.etag,
    lastModified: new Date(kept.lastModified),
    pieces: kept.pieces.map((p) => ("b64" in p ? { start: p.start, bytes: fromBase64(p.b64) } : p)),
    sources: new Map(kept.sources),
  };
}

/**
 * The season's archive, or null when it cannot be planned without reading its videos: a member
 * without a recorded CRC-32 (or, for the library layout, SHA-256), or no episode with a video.
 */
async function planArchive(
  deps: { db: Database; s3: ObjectStore },
  titleId: string,
  season: number,
  layout: BundleLayout,
): Promise<InstantArchive | null> {
  const plan = await planSeason(deps.db, titleId, season, layout);
  if (!instantPlannable(plan)) return null;
  const objects = plan.items.filter((i): i is ObjectItem => !isTextItem(i));

  const entries: ZipEntry[] = [];
  const inline = new Map<number, Uint8Array>();
  const refs = new Map<number, string>();
  const listed: ManifestMember[] = [];
  const deflated = (raw: Uint8Array, name: string, mtime: Date) => {
    const d = deflateMember(raw);
    inline.set(entries.length, d.bytes);
    entries.push({ name, size: d.size, compressedSize: d.compressedSize, crc32: d.crc32, mtime });
    listed.push({ name, size: d.size, crc32: d.crc32, sha256: sha256Hex(raw) });
  };
  for (const item of plan.items) {
    const mtime = new Date(item.mtime);
    if (isTextItem(item)) deflated(utf8.encode(item.text), item.name, mtime);
    else if (item.method === "deflate") {
      // Small text (subtitles, ≤ 8 MiB): read whole, as the job does.
      const res = await deps.s3.get(item.source_key, { ifMatch: item.etag }).catch((e: unknown) => {
        if (e instanceof S3Error && e.status === 412) return null; // replaced since it was checksummed
        throw e;
      });
      const raw = new Uint8Array((await res?.arrayBuffer()) ?? new ArrayBuffer(0));
      if (!res || raw.length !== item.size || (item.sha256 && sha256Hex(raw) !== item.sha256)) return null;
      deflated(raw, item.name, mtime);
    } else {
      refs.set(entries.length, item.source_key);
      entries.push({ name: item.name, size: item.size, crc32: item.crc32 as number, mtime });
      listed.push({ name: item.name, size: item.size, crc32: item.crc32 as number, sha256: item.sha256 ?? "" });
    }
  }
  if (plan.library) {
    const text = libraryManifestText({ name: plan.library.title, year: plan.library.year }, season, listed);
    deflated(utf8.encode(text), plan.library.name, new Date(plan.library.mtime));
  }
  const zip = planZip(entries);
  const pieces = archivePieces(zip, (i) => inline.get(i) ?? { ref: refs.get(i) as string });
  const fingerprint = JSON.stringify([
    zip.totalSize,
    entries.map((e) => [e.name, e.size, e.compressedSize ?? null, e.crc32, e.mtime.getTime()]),
    objects.map((x) => [x.source_key, x.etag]),
  ]);
  return {
    size: zip.totalSize,
    pieces,
    etag: `"${sha256Hex(fingerprint)}"`,
    lastModified: new Date(Math.max(...entries.map((e) => e.mtime.getTime()))),
    sources: new Map(objects.map((x) => [x.source_key, { size: x.size, etag: x.etag }])),
  };
}
