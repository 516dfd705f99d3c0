// An HLS tier asset owns a folder (hls/{title}/[episode/]{tier}p/): its playlists, init and media
// segments, keys, subtitles. Operators upload the folder file by file through presigned PUTs for
// paths relative to it, and list what S3 already has there to resume a stopped upload.
import { AppError } from "../../lib/errors";
import { keys, type StreamTier } from "../../lib/storage-keys";
import { type AppConfig, uploadEncryption } from "../../platform/env";
import { listPages, type ObjectStore } from "../../platform/s3";
import type { Asset } from "./service";

/** How many paths one call may presign. */
export const HLS_FILE_BATCH_MAX = 1000;
/** How many objects a listing reads at the most (a two-hour film in 2 s segments, three renditions, is ~11,000). */
const LIST_MAX = 20_000;

/** The type each kind of file in a ladder is uploaded with (and served as), by extension. */
export const HLS_CONTENT_TYPES: Readonly<Record<string, string>> = {
  m3u8: "application/vnd.apple.mpegurl",
  m4s: "video/iso.segment",
  mp4: "video/mp4",
  m4v: "video/mp4",
  m4a: "audio/mp4",
  cmfv: "video/mp4",
  cmfa: "audio/mp4",
  ts: "video/mp2t",
  aac: "audio/aac",
  vtt: "text/vtt",
  webvtt: "text/vtt",
  key: "application/octet-stream",
};

export const hlsContentType = (path: string): string | undefined => HLS_CONTENT_TYPES[path.slice(path.lastIndexOf(".") + 1).toLowerCase()];

/** The folder an HLS asset owns; anything else has none. */
export function hlsFolder(a: Asset): string {
  if (a.kind !== "HLS" || a.streamTier === null)
    throw new AppError("CONFLICT", `Asset ${a.id} is a ${a.kind} asset: only HLS tier assets own a folder of files.`);
  return keys.hlsPrefix(a.titleId, a.episodeId, a.streamTier as StreamTier);
}

export interface PresignedFile {
  path: string;
  contentType: string;
  url: string;
  headers: Record<string, string>;
  expiresAt: Date;
}

/** Presigned PUTs for `paths` (already checked by the contract) inside the asset's folder, each path once. */
export async function presignHlsFiles(
  deps: { s3: ObjectStore; config: AppConfig; now: Date },
  a: Asset,
  paths: string[],
): Promise<PresignedFile[]> {
  const folder = hlsFolder(a);
  const ttl = deps.config.UPLOAD_URL_TTL_SECONDS;
  const sse = uploadEncryption(deps.config);
  const expiresAt = new Date(deps.now.getTime() + ttl * 1000);
  return Promise.all(
    [...new Set(paths)].map(async (path) => {
      const contentType = hlsContentType(path) ?? "application/octet-stream";
      const put = await deps.s3.presignPut(`${folder}${path}`, { expiresIn: ttl, contentType, ...sse });
      return { path, contentType, url: put.url, headers: put.headers, expiresAt };
    }),
  );
}

export interface FolderFile {
  path: string;
  sizeBytes: number;
  etag: string;
}

/** What S3 holds in the asset's folder, by path; `truncated` when there is more than a listing reads. */
export async function listHlsFiles(s3: ObjectStore, a: Asset): Promise<{ files: FolderFile[]; truncated: boolean }> {
  const folder = hlsFolder(a);
  const files: FolderFile[] = [];
  let truncated = false;
  for await (const { objects, more } of listPages(s3, folder)) {
    for (const o of objects) files.push({ path: o.key.slice(folder.length), sizeBytes: o.size, etag: o.etag });
    if (more && files.length >= LIST_MAX) {
      truncated = true;
      break;
    }
  }
  return { files: files.sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0)), truncated };
}
