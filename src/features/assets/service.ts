// Media assets: creation (key from ids, upload as one presigned PUT or as an S3 multipart
// upload), the multipart lifecycle, HEAD, checksum and finalize (docs/architecture.md: "An upload").
import { and, asc, eq, isNull } from "drizzle-orm";
import { mediaAssets } from "../../db/schema";
import { crc32Update } from "../../lib/crc32";
import { toHex } from "../../lib/crypto/encoding";
import { AppError } from "../../lib/errors";
import type { Logger } from "../../lib/logger";
import { isEmptyPatch } from "../../lib/patch";
import { keys, type StreamTier } from "../../lib/storage-keys";
import type { Database } from "../../platform/db";
import { dependencyError } from "../../platform/dependency";
import { type AppConfig, uploadEncryption } from "../../platform/env";
import { type ObjectStore, S3Error, type UploadedPart } from "../../platform/s3";
import { type AuditContext, audited } from "../audit/service";
import { isChecksumResult } from "../bundles/contract";
import { type JobRunner, RunnerUnavailable } from "../bundles/job-runner";
import { getEpisode, getTitle } from "../catalog/service";
import { inspectPlaylistChain, type LadderInfo } from "../delivery/hls";
import { deletePrefixes } from "./storage-cleanup";

export type Asset = typeof mediaAssets.$inferSelect;
export type AssetKind = Asset["kind"];
export const ASSET_KINDS = ["ORIGINAL", "DOWNLOAD", "VIDEO", "HLS", "AUDIO", "SUBTITLE", "ARTWORK"] as const;
/** Kinds a user can download as uploaded. */
export const DOWNLOADABLE_KINDS: AssetKind[] = ["ORIGINAL", "DOWNLOAD", "VIDEO"];

const MiB = 1024 * 1024;
/** S3's ceiling for one PUT; larger objects must go multipart. */
export const SINGLE_PUT_MAX_BYTES = 5 * 1024 * MiB;
export const MULTIPART_MIN_PART_BYTES = 5 * MiB;
export const MULTIPART_MAX_PARTS = 10_000;
export const PART_URL_BATCH_MAX = 1000;

/** The smallest whole-MiB part size (≥ 5 MiB) for which 10,000 parts hold the whole object. */
export function partSizeFor(sizeBytes: number): number {
  const needed = Math.ceil(sizeBytes / MULTIPART_MAX_PARTS);
  return Math.max(MULTIPART_MIN_PART_BYTES, Math.ceil(needed / MiB) * MiB);
}

/** WebVTT by its type, or by its name when it was registered without one: the only subtitles HLS carries. */
export function isWebVtt(a: Pick<Asset, "contentType" | "filename">): boolean {
  const type = a.contentType?.split(";")[0]?.trim().toLowerCase();
  if (type && type !== "application/octet-stream") return type === "text/vtt";
  return a.filename.toLowerCase().endsWith(".vtt");
}

export interface AssetMetadata {
  contentType?: string | null;
  container?: string | null;
  videoCodec?: string | null;
  audioCodec?: string | null;
  width?: number | null;
  height?: number | null;
  hdr?: Asset["hdr"];
  stereoscopic?: boolean;
  channels?: number | null;
  bitrateKbps?: number | null;
  averageBitrateKbps?: number | null;
  durationSeconds?: number | null;
  codecs?: string | null;
  frameRate?: number | null;
  language?: string | null;
  label?: string | null;
  streamTier?: StreamTier | null;
  isStreamable?: boolean;
  isDefault?: boolean;
  isForced?: boolean;
  lifecycle?: Asset["lifecycle"];
}

export interface CreateAssetInput extends AssetMetadata {
  kind: AssetKind;
  episodeId?: string | null;
  filename: string;
  sizeBytes: number;
  /** Folder under downloads/ for DOWNLOAD and VIDEO (e.g. "1080p", "source"). */
  quality?: string | undefined;
  uploadMethod?: "auto" | "single" | "multipart";
}

export type UploadDescriptor =
  | { method: "single"; url: string; headers: Record<string, string>; expiresAt: string }
  | { method: "multipart"; uploadId: string; partSize: number; partCount: number };

function storageKeyFor(titleId: string, input: CreateAssetInput): string {
  const ep = input.episodeId ?? null;
  switch (input.kind) {
    case "ORIGINAL":
      return keys.original(titleId, ep, input.filename);
    case "DOWNLOAD":
    case "VIDEO":
      return keys.download(titleId, ep, input.quality ?? "source", input.filename);
    case "AUDIO":
      return keys.download(titleId, ep, input.quality ?? "audio", input.filename);
    case "HLS":
      if (!input.streamTier) throw fieldError("json.stream_tier", "HLS assets need a stream_tier (480, 720 or 1080)");
      return keys.hls(titleId, ep, input.streamTier, input.filename);
    case "SUBTITLE":
      return keys.subtitle(titleId, ep, input.filename);
    case "ARTWORK":
      return keys.artwork(titleId, input.filename);
  }
}

const fieldError = (path: string, message: string) =>
  new AppError("VALIDATION_FAILED", `${path}: ${message}`, { errors: [{ path, message }] });

function checkPolicy(kind: AssetKind, m: { streamTier?: number | null; isStreamable?: boolean; isForced?: boolean }): void {
  if (m.streamTier != null && kind !== "HLS") throw fieldError("json.stream_tier", "only HLS assets have a stream tier");
  if (m.isStreamable && kind !== "HLS") throw fieldError("json.is_streamable", "only HLS assets are streamable");
  if (m.isForced && kind !== "SUBTITLE") throw fieldError("json.is_forced", "only subtitles can be forced");
}

export async function createAsset(
  deps: { db: Database; s3: ObjectStore; config: AppConfig; now: Date },
  titleId: string,
  input: CreateAssetInput,
  audit: AuditContext,
): Promise<{ asset: Asset; upload: UploadDescriptor }> {
  const { db, s3, config } = deps;
  await getTitle(db, titleId);
  if (input.episodeId) {
    const ep = await getEpisode(db, input.episodeId);
    if (ep.titleId !== titleId) throw fieldError("json.episode_id", "episode belongs to another title");
  }
  checkPolicy(input.kind, input);
  let storageKey: string;
  try {
    storageKey = storageKeyFor(titleId, input);
  } catch (e) {
    if (e instanceof AppError) throw e;
    throw fieldError("json.filename", (e as Error).message);
  }
  const method = input.uploadMethod ?? "auto";
  const multipart = method === "multipart" || (method === "auto" && input.sizeBytes > SINGLE_PUT_MAX_BYTES);
  if (!multipart && input.sizeBytes > SINGLE_PUT_MAX_BYTES)
    throw fieldError("json.upload_method", "a single PUT holds at most 5 GiB; use multipart");
  const partSize = partSizeFor(input.sizeBytes);
  if (multipart && Math.ceil(input.sizeBytes / partSize) > MULTIPART_MAX_PARTS)
    throw fieldError("json.size_bytes", "too large for 10,000 parts");

  const [existing] = await db.select({ id: mediaAssets.id }).from(mediaAssets).where(eq(mediaAssets.storageKey, storageKey)).limit(1);
  if (existing) throw new AppError("CONFLICT", `An asset already uses ${storageKey} (asset ${existing.id}).`);

  const contentType = input.contentType ?? "application/octet-stream";
  const sse = uploadEncryption(config);
  const uploadId = multipart ? await s3.createMultipart(storageKey, { contentType, ...sse }) : null;
  const id = crypto.randomUUID();
  const { uploadMethod: _m, quality: _q, sizeBytes: _s, ...meta } = input;
  try {
    const write = db
      .insert(mediaAssets)
      .values({ ...meta, id, titleId, storageKey, contentType, sizeBytes: null, uploadState: "pending", multipartUploadId: uploadId })
      .returning();
    const rows = await audited(db, write, audit, "asset.create", ["media_asset", id], {
      title_id: titleId,
      kind: input.kind,
      storage_key: storageKey,
      declared_size: input.sizeBytes,
      upload: multipart ? "multipart" : "single",
    });
    const asset = rows[0] as Asset;
    if (uploadId)
      return { asset, upload: { method: "multipart", uploadId, partSize, partCount: Math.max(1, Math.ceil(input.sizeBytes / partSize)) } };
    const put = await s3.presignPut(storageKey, { expiresIn: config.UPLOAD_URL_TTL_SECONDS, contentType, ...sse });
    return {
      asset,
      upload: {
        method: "single",
        url: put.url,
        headers: put.headers,
        expiresAt: new Date(deps.now.getTime() + config.UPLOAD_URL_TTL_SECONDS * 1000).toISOString(),
      },
    };
  } catch (e) {
    if (uploadId) await s3.abortMultipart(storageKey, uploadId).catch(() => undefined);
    throw e;
  }
}

export async function getAsset(db: Database, id: string): Promise<Asset> {
  const [a] = /^[0-9a-f-]{36}$/i.test(id) ? await db.select().from(mediaAssets).where(eq(mediaAssets.id, id)).limit(1) : [];
  if (!a) throw new AppError("NOT_FOUND", `No media asset with id ${id}.`);
  return a;
}

export async function listAssets(db: Database, titleId: string, episodeId?: string | null) {
  const where =
    episodeId === undefined
      ? eq(mediaAssets.titleId, titleId)
      : episodeId === null
        ? and(eq(mediaAssets.titleId, titleId), isNull(mediaAssets.episodeId))
        : eq(mediaAssets.episodeId, episodeId);
  return db.select().from(mediaAssets).where(where).orderBy(asc(mediaAssets.kind), asc(mediaAssets.filename));
}

/** Sets columns of one asset and writes its audit row in the same database batch; the updated row. */
async function setAsset(
  db: Database,
  id: string,
  set: Partial<typeof mediaAssets.$inferInsert>,
  audit: AuditContext,
  action: string,
  details: Record<string, unknown>,
): Promise<Asset> {
  const write = db.update(mediaAssets).set(set).where(eq(mediaAssets.id, id)).returning();
  const rows = await audited(db, write, audit, action, ["media_asset", id], details);
  return rows[0] as Asset;
}

export async function updateAsset(db: Database, id: string, patch: AssetMetadata, audit: AuditContext): Promise<Asset> {
  const a = await getAsset(db, id);
  if (isEmptyPatch(patch)) return a;
  checkPolicy(a.kind, { ...a, ...patch });
  if (patch.streamTier !== undefined && patch.streamTier !== a.streamTier) {
    throw fieldError("json.stream_tier", "the tier is part of the storage key; create a new asset for another tier");
  }
  return setAsset(db, id, patch, audit, "asset.update", { fields: Object.keys(patch) });
}

export async function deleteAsset(deps: { db: Database; s3: ObjectStore; logger: Logger }, id: string, audit: AuditContext): Promise<void> {
  const a = await getAsset(deps.db, id);
  const write = deps.db.delete(mediaAssets).where(eq(mediaAssets.id, id));
  await audited(deps.db, write, audit, "asset.delete", ["media_asset", id], {
    storage_key: a.storageKey,
  });
  // After the row is gone: best effort, the object is unreachable through the API either way.
  if (a.multipartUploadId) await deps.s3.abortMultipart(a.storageKey, a.multipartUploadId).catch(() => undefined);
  await deps.s3.delete(a.storageKey).catch(() => undefined);
  // A stream tier owns its whole folder (sub-playlists, segments, keys): they go with it.
  if (a.kind === "HLS" && a.streamTier !== null) {
    const folder = keys.hlsPrefix(a.titleId, a.episodeId, a.streamTier as StreamTier);
    if (a.storageKey.startsWith(folder)) await deletePrefixes(deps.s3, [folder], deps.logger);
  }
}

// ---------------------------------------------------------------- multipart

function requireMultipart(a: Asset): string {
  if (!a.multipartUploadId) throw new AppError("CONFLICT", "This asset has no multipart upload in progress.");
  return a.multipartUploadId;
}

export async function presignParts(deps: { db: Database; s3: ObjectStore; config: AppConfig }, id: string, partNumbers: number[]) {
  const a = await getAsset(deps.db, id);
  const uploadId = requireMultipart(a);
  return Promise.all(
    partNumbers.map(async (n) => ({
      partNumber: n,
      url: await deps.s3.presignUploadPart(a.storageKey, uploadId, n, deps.config.UPLOAD_URL_TTL_SECONDS),
    })),
  );
}

export async function listUploadedParts(deps: { db: Database; s3: ObjectStore }, id: string): Promise<UploadedPart[]> {
  const a = await getAsset(deps.db, id);
  return deps.s3.listParts(a.storageKey, requireMultipart(a));
}

export async function completeMultipart(
  deps: { db: Database; s3: ObjectStore },
  id: string,
  parts: UploadedPart[],
  audit: AuditContext,
): Promise<Asset> {
  const a = await getAsset(deps.db, id);
  const uploadId = requireMultipart(a);
  const numbers = parts.map((p) => p.partNumber);
  if (new Set(numbers).size !== numbers.length) throw fieldError("json.parts", "part numbers must be unique");
  try {
    await deps.s3.completeMultipart(a.storageKey, uploadId, parts);
  } catch (e) {
    const code = (e as { s3Code?: string }).s3Code;
    if (code === "InvalidPart" || code === "InvalidPartOrder" || code === "EntityTooSmall") {
      throw new AppError("UNPROCESSABLE", `S3 refused the parts: ${(e as Error).message}`);
    }
    throw e;
  }
  const head = await deps.s3.head(a.storageKey);
  const size = head?.size ?? null;
  const set = { multipartUploadId: null, uploadState: "uploaded" as const, sizeBytes: size };
  return setAsset(deps.db, id, set, audit, "asset.upload_complete", { parts: parts.length, size_bytes: size });
}

export async function abortMultipart(deps: { db: Database; s3: ObjectStore }, id: string, audit: AuditContext): Promise<void> {
  const a = await getAsset(deps.db, id);
  const uploadId = requireMultipart(a);
  await deps.s3.abortMultipart(a.storageKey, uploadId);
  const write = deps.db.update(mediaAssets).set({ multipartUploadId: null }).where(eq(mediaAssets.id, id));
  await audited(deps.db, write, audit, "asset.upload_abort", ["media_asset", id]);
}

// ---------------------------------------------------------------- head, checksum, finalize

export async function headAsset(deps: { db: Database; s3: ObjectStore }, id: string, audit: AuditContext): Promise<Asset> {
  const a = await getAsset(deps.db, id);
  const head = await deps.s3.head(a.storageKey);
  if (!head) throw new AppError("NOT_FOUND", `Nothing has been uploaded to ${a.storageKey} yet.`);
  const set = {
    sizeBytes: head.size,
    contentType: head.contentType ?? a.contentType,
    uploadState: a.uploadState === "pending" ? ("uploaded" as const) : a.uploadState,
  };
  return setAsset(deps.db, id, set, audit, "asset.head", { size_bytes: head.size, content_type: head.contentType });
}

/** SHA-256 and CRC-32 of an object (the version `etag`, when given) in one streaming pass. */
export async function digestObject(
  s3: ObjectStore,
  key: string,
  etag?: string | null,
): Promise<{ sha256: string; crc32: number; size: number }> {
  const res = await s3.get(key, { ifMatch: etag }).catch((e: unknown) => {
    if (e instanceof S3Error && e.status === 412)
      throw new AppError("CONFLICT", `${key} was replaced while it was being hashed; try again.`);
    throw e;
  });
  if (!res?.body) throw new AppError("NOT_FOUND", `Nothing has been uploaded to ${key} yet.`);
  const digest = new crypto.DigestStream("SHA-256");
  const writer = digest.getWriter();
  let crc = 0;
  let size = 0;
  const reader = res.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      crc = crc32Update(crc, value);
      size += value.length;
      await writer.write(value);
    }
  } catch (e) {
    throw dependencyError("S3", e); // the connection dropped mid-body
  }
  await writer.close();
  return { sha256: toHex(new Uint8Array(await digest.digest)), crc32: crc, size };
}

export type ChecksumOutcome =
  | { state: "stored"; asset: Asset; computed: boolean }
  /** Too large for the Worker: the job service is hashing it; ask again to store the result. */
  | { state: "running"; jobId: string; progress: { bytes_done: number; bytes_total: number } | null; lastError: string | null };

/** The checksum job of one object version: a new upload (new ETag) gets a new job. */
export function checksumJobId(assetId: string, etag: string | null, size: number): string {
  const tag = (etag ?? "").replace(/[^\w]/g, "").slice(0, 64) || "none";
  return `checksum-${assetId}-${tag}-${size}`;
}

export async function checksumAsset(
  deps: { db: Database; s3: ObjectStore; config: AppConfig; jobs: JobRunner },
  id: string,
  given: { sha256?: string | undefined },
  audit: AuditContext,
): Promise<ChecksumOutcome> {
  const a = await getAsset(deps.db, id);
  const head = await deps.s3.head(a.storageKey);
  if (!head) throw new AppError("NOT_FOUND", `Nothing has been uploaded to ${a.storageKey} yet.`);
  let sha256: string;
  let crc32: number | null = null;
  let computed = false;
  if (head.size <= deps.config.CHECKSUM_INLINE_MAX_BYTES) {
    const d = await digestObject(deps.s3, a.storageKey, head.etag);
    if (given.sha256 && given.sha256 !== d.sha256) {
      throw new AppError("CONFLICT", `The given sha256 does not match the object's (${d.sha256}).`);
    }
    sha256 = d.sha256;
    crc32 = d.crc32;
    computed = true;
  } else if (given.sha256) {
    // The operator's own checksum of a large file (e.g. from the CLI), trusted as given.
    sha256 = given.sha256;
  } else {
    const job = await runChecksumJob(deps.jobs, checksumJobId(a.id, head.etag, head.size), a.storageKey, head.etag);
    if (job.state !== "done") return { state: "running", jobId: job.id, progress: job.progress, lastError: job.lastError };
    if (job.size !== head.size)
      throw new AppError("CONFLICT", `The object changed while it was being hashed (${job.size} ≠ ${head.size} bytes).`);
    sha256 = job.sha256;
    crc32 = job.crc32;
    computed = true;
  }
  if (a.sha256 && a.sha256 !== sha256) throw new AppError("CONFLICT", `The asset already has sha256 ${a.sha256}, which differs.`);
  // The checksums belong to this version of the object: its ETag is kept with them.
  const set = { sha256, crc32, sizeBytes: head.size, objectEtag: head.etag };
  const stored = await setAsset(deps.db, id, set, audit, "asset.checksum", { sha256, crc32, computed, object_etag: head.etag });
  return { state: "stored", asset: stored, computed };
}

type ChecksumJobState =
  | { state: "done"; sha256: string; crc32: number; size: number }
  | { state: "running"; id: string; progress: { bytes_done: number; bytes_total: number } | null; lastError: string | null };

/** Follows (or starts, or restarts after a failure) the checksum job of one object version. */
async function runChecksumJob(jobs: JobRunner, jobId: string, key: string, etag: string | null): Promise<ChecksumJobState> {
  try {
    let job = await jobs.status(jobId);
    let lastError: string | null = null;
    if (job && (job.state === "failed" || job.state === "cancelled")) {
      lastError = job.error;
      job = null;
    }
    job ??= await jobs.start({ id: jobId, type: "checksum", key, if_match: etag });
    if (job.state === "succeeded" && isChecksumResult(job.result))
      return { state: "done", sha256: job.result.sha256, crc32: job.result.crc32, size: job.result.size };
    if (job.state === "failed") lastError = job.error;
    return { state: "running", id: jobId, progress: job.progress, lastError };
  } catch (e) {
    if (e instanceof RunnerUnavailable)
      throw new AppError("DEPENDENCY_UNAVAILABLE", `The checksum job service is unavailable: ${e.message}`);
    throw e;
  }
}

export async function finalizeAsset(
  deps: { db: Database; s3: ObjectStore },
  id: string,
  input: { sizeBytes: number; contentType: string; sha256: string },
  audit: AuditContext,
): Promise<Asset> {
  const a = await getAsset(deps.db, id);
  const head = await deps.s3.head(a.storageKey);
  if (!head) throw new AppError("CONFLICT", `Nothing has been uploaded to ${a.storageKey}; upload before finalizing.`);
  const contradictions: string[] = [];
  if (head.size !== input.sizeBytes) contradictions.push(`size_bytes ${input.sizeBytes} ≠ ${head.size} in S3`);
  if (head.contentType && head.contentType !== input.contentType)
    contradictions.push(`content_type ${input.contentType} ≠ ${head.contentType} in S3`);
  if (a.sha256 && a.sha256 !== input.sha256) contradictions.push(`sha256 differs from the stored ${a.sha256}`);
  if (a.sizeBytes !== null && a.sizeBytes !== input.sizeBytes) contradictions.push(`size_bytes differs from the stored ${a.sizeBytes}`);
  if (a.multipartUploadId) contradictions.push("the multipart upload is not complete");
  if (a.objectEtag && head.etag && a.objectEtag !== head.etag)
    contradictions.push(`the object was replaced since it was checksummed (ETag ${head.etag} ≠ ${a.objectEtag}); checksum it again`);
  if (contradictions.length)
    throw new AppError("CONFLICT", `Finalize contradicts what is known: ${contradictions.join("; ")}.`, { contradictions });
  // A stream tier is served only when every file its playlists name is uploaded and inside its folder:
  // checked before it is final, and what the chain says about the ladder is recorded with it.
  let ladder: Partial<typeof mediaAssets.$inferInsert> = {};
  if (a.kind === "HLS") {
    const report = await inspectPlaylistChain(deps.s3, a.storageKey);
    if (report.problems.length)
      throw new AppError("CONFLICT", `The playlist chain can't be served: ${report.problems.join("; ")}.`, { problems: report.problems });
    if (report.ladder) ladder = ladderColumns(report.ladder);
  }
  if (a.uploadState === "finalized") return a; // the same finalize again: nothing to change
  const set = {
    ...ladder,
    sizeBytes: input.sizeBytes,
    contentType: input.contentType,
    sha256: input.sha256,
    objectEtag: a.objectEtag ?? head.etag,
    uploadState: "finalized" as const,
  };
  return setAsset(deps.db, id, set, audit, "asset.finalize", { size_bytes: input.sizeBytes, sha256: input.sha256 });
}

/** The columns a finalized ladder sets: what its playlists say wins over what was registered; what they don't say is kept. */
function ladderColumns(l: LadderInfo): Partial<typeof mediaAssets.$inferInsert> {
  const kbps = (bps: number | null) => (bps === null ? undefined : Math.max(1, Math.ceil(bps / 1000)));
  const known = <T>(v: T | null) => v ?? undefined;
  return {
    hlsMediaPath: l.mediaPath,
    hlsSegmentCount: l.segmentCount,
    hlsTargetDuration: l.targetDuration,
    durationSeconds: l.durationSeconds,
    bitrateKbps: kbps(l.bandwidth),
    averageBitrateKbps: kbps(l.averageBandwidth),
    codecs: known(l.codecs),
    width: known(l.width),
    height: known(l.height),
    frameRate: known(l.frameRate),
  };
}
