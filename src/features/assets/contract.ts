// Wire shapes of media assets: the asset as admins see it, the public download entry, and the
// metadata fields an admin may set when registering or patching one.
import * as z from "zod";
import { fromWire, toWire } from "../../lib/wire";
import { type FolderFile, HLS_CONTENT_TYPES, HLS_FILE_BATCH_MAX, hlsContentType, type PresignedFile } from "./hls-folder";
import type { Asset, AssetMetadata } from "./service";

export const sha256 = z.string().regex(/^[0-9a-f]{64}$/, "64 lowercase hex digits");
export const contentType = z
  .string()
  .regex(/^[\w.+-]+\/[\w.+-]+(;\s*[\w-]+=[\w."-]+)*$/, "a MIME type such as video/mp4")
  .max(200);

export const metadataFields = {
  content_type: contentType.optional(),
  container: z.string().max(40).nullable().optional(),
  video_codec: z.string().max(40).nullable().optional(),
  audio_codec: z.string().max(40).nullable().optional(),
  width: z.number().int().min(1).max(32_768).nullable().optional(),
  height: z.number().int().min(1).max(32_768).nullable().optional(),
  hdr: z.enum(["none", "hdr10", "hdr10plus", "dolby_vision", "hlg"]).optional(),
  stereoscopic: z.boolean().optional(),
  channels: z.number().int().min(1).max(64).nullable().optional(),
  bitrate_kbps: z.number().int().min(1).max(1_000_000).nullable().optional(),
  average_bitrate_kbps: z.number().int().min(1).max(1_000_000).nullable().optional(),
  duration_seconds: z.number().min(0).max(1_000_000).nullable().optional(),
  codecs: z
    .string()
    .regex(/^[A-Za-z0-9.+-]+(,[A-Za-z0-9.+-]+)*$/, "RFC 6381 codecs such as avc1.640028,mp4a.40.2")
    .max(200)
    .nullable()
    .optional(),
  frame_rate: z.number().gt(0).max(1000).nullable().optional(),
  language: z
    .string()
    .regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, "a language tag such as en or pt-BR")
    .nullable()
    .optional(),
  label: z.string().max(100).nullable().optional(),
  stream_tier: z
    .union([z.literal(480), z.literal(720), z.literal(1080)])
    .nullable()
    .optional(),
  is_streamable: z.boolean().optional(),
  is_default: z.boolean().optional(),
  is_forced: z.boolean().optional(),
  lifecycle: z.enum(["standard", "archive"]).optional(),
};
const METADATA_KEYS = Object.keys(metadataFields) as (keyof typeof metadataFields)[];
type MetadataBody = { [K in keyof typeof metadataFields]?: z.infer<(typeof metadataFields)[K]> };
/** The columns a create or patch body sets: its metadata fields that are present. */
export const metadataFromBody = (b: MetadataBody): AssetMetadata =>
  fromWire(Object.fromEntries(METADATA_KEYS.map((k) => [k, b[k]])) as MetadataBody);

export const assetSchema = z
  .object({
    id: z.uuid(),
    title_id: z.uuid(),
    episode_id: z.uuid().nullable(),
    kind: z.enum(["ORIGINAL", "DOWNLOAD", "VIDEO", "HLS", "AUDIO", "SUBTITLE", "ARTWORK"]),
    storage_key: z.string(),
    filename: z.string(),
    content_type: z.string().nullable(),
    size_bytes: z.number().int().nullable(),
    sha256: z.string().nullable(),
    crc32: z.number().int().nullable(),
    object_etag: z
      .string()
      .nullable()
      .describe("The S3 ETag of the object version sha256 and crc32 were computed from; season ZIPs read it with If-Match"),
    container: z.string().nullable(),
    video_codec: z.string().nullable(),
    audio_codec: z.string().nullable(),
    width: z.number().int().nullable(),
    height: z.number().int().nullable(),
    hdr: z.enum(["none", "hdr10", "hdr10plus", "dolby_vision", "hlg"]),
    stereoscopic: z.boolean(),
    channels: z.number().int().nullable(),
    bitrate_kbps: z.number().int().nullable(),
    average_bitrate_kbps: z.number().int().nullable(),
    duration_seconds: z.number().nullable(),
    codecs: z.string().nullable(),
    frame_rate: z.number().nullable(),
    language: z.string().nullable(),
    label: z.string().nullable(),
    stream_tier: z.number().int().nullable(),
    hls_segment_count: z.number().int().nullable().describe("HLS tiers: media segments in the playlist chain, recorded at finalize"),
    hls_target_duration: z.number().int().nullable().describe("HLS tiers: the playlist's EXT-X-TARGETDURATION, recorded at finalize"),
    hls_media_path: z
      .string()
      .nullable()
      .describe("HLS tiers: the media playlist players are sent to, relative to the tier's folder (\"\" for the tier's own file)"),
    is_streamable: z.boolean(),
    is_default: z.boolean(),
    is_forced: z.boolean(),
    upload_state: z.enum(["pending", "uploaded", "finalized"]),
    multipart_upload_id: z.string().nullable(),
    lifecycle: z.enum(["standard", "archive"]),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .meta({ id: "MediaAsset" });
export const assetJson = (a: Asset): z.infer<typeof assetSchema> => toWire(assetSchema, a);

/** Public download entry: what a client needs to choose a file and ask for its URL. */
export const downloadSchema = z
  .object({
    asset_id: z.uuid(),
    episode_id: z.uuid().nullable(),
    kind: z.enum(["ORIGINAL", "DOWNLOAD", "VIDEO"]),
    storage_key: z.string(),
    filename: z.string(),
    content_type: z.string().nullable(),
    size_bytes: z.number().int().nullable(),
    sha256: z.string().nullable(),
    container: z.string().nullable(),
    video_codec: z.string().nullable(),
    audio_codec: z.string().nullable(),
    width: z.number().int().nullable(),
    height: z.number().int().nullable(),
    hdr: z.string(),
    channels: z.number().int().nullable(),
    language: z.string().nullable(),
    label: z.string().nullable(),
  })
  .meta({
    id: "Download",
    examples: [
      {
        asset_id: "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0",
        episode_id: "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
        kind: "ORIGINAL",
        storage_key: "originals/6b0c1f7e-2a4d-4c8e-9f3b-1d2e3f4a5b6c/9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d/The Long Night S01E01.mkv",
        filename: "The Long Night S01E01.mkv",
        content_type: "video/x-matroska",
        size_bytes: 2147483648,
        sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        container: "mkv",
        video_codec: "hevc",
        audio_codec: "eac3",
        width: 3840,
        height: 2160,
        hdr: "hdr10",
        channels: 6,
        language: "en",
        label: null,
      },
    ],
  });
export const downloadJson = (a: Asset): z.infer<typeof downloadSchema> =>
  toWire(downloadSchema, a, { asset_id: a.id, kind: a.kind as "ORIGINAL" | "DOWNLOAD" | "VIDEO" });

/**
 * A path inside an HLS tier's folder: relative, "/"-separated segments of letters, digits, ".",
 * "_" and "-" (never "." or ".."), at most 200 characters, with an extension a ladder uses.
 */
export const hlsFilePath = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/, "a relative path: segments of letters, digits, '.', '_' and '-' joined by '/'")
  .refine((p) => p.split("/").every((s) => s !== "." && s !== ".."), "no '.' or '..' segments")
  .refine((p) => hlsContentType(p) !== undefined, `an extension a ladder uses (${Object.keys(HLS_CONTENT_TYPES).join(", ")})`);

export const presignHlsFilesBody = z
  .object({ paths: z.array(hlsFilePath).min(1).max(HLS_FILE_BATCH_MAX).describe("Paths relative to the tier's folder") })
  .strict()
  .meta({ id: "PresignHlsFiles" });

export const hlsFileUploadSchema = z
  .object({
    path: z.string(),
    content_type: z.string(),
    url: z.string(),
    headers: z.record(z.string(), z.string()).describe("Send exactly these headers with the PUT"),
    expires_at: z.string(),
  })
  .meta({ id: "HlsFileUpload" });
export const hlsFileUploadJson = (f: PresignedFile): z.infer<typeof hlsFileUploadSchema> => toWire(hlsFileUploadSchema, f);

export const hlsFileSchema = z.object({ path: z.string(), size_bytes: z.number().int(), etag: z.string() }).meta({ id: "HlsFile" });
export const hlsFileJson = (f: FolderFile): z.infer<typeof hlsFileSchema> => toWire(hlsFileSchema, f);
