import { sql } from "drizzle-orm";
import { bigint, boolean, check, doublePrecision, index, integer, pgTable, smallint, text, uuid } from "drizzle-orm/pg-core";
import { idColumn, timestamps } from "./columns";
import { assetKind, assetLifecycle, hdrFormat, uploadState } from "./enums";
import { episodes } from "./episodes";
import { titleIdColumn } from "./title-id";

export const mediaAssets = pgTable(
  "media_assets",
  {
    id: idColumn(),
    titleId: titleIdColumn(),
    episodeId: uuid("episode_id").references(() => episodes.id, { onDelete: "cascade" }),
    kind: assetKind("kind").notNull(),
    storageKey: text("storage_key").notNull().unique(),
    filename: text("filename").notNull(),
    contentType: text("content_type"),
    sizeBytes: bigint("size_bytes", { mode: "number" }),
    sha256: text("sha256"),
    crc32: bigint("crc32", { mode: "number" }),
    // The S3 ETag of the object version the recorded checksums were computed from: reads that rely on
    // them (season ZIPs) send it as If-Match, so a replaced object fails the read instead of giving other bytes.
    objectEtag: text("object_etag"),
    container: text("container"),
    videoCodec: text("video_codec"),
    audioCodec: text("audio_codec"),
    width: integer("width"),
    height: integer("height"),
    hdr: hdrFormat("hdr").notNull().default("none"),
    stereoscopic: boolean("stereoscopic").notNull().default(false),
    channels: smallint("channels"),
    bitrateKbps: integer("bitrate_kbps"),
    // What a player is told before it fetches a byte: duration, average bit rate, RFC 6381 codecs
    // (HLS CODECS, e.g. avc1.640028,mp4a.40.2), frame rate. Probed by the CLI, or learnt at finalize.
    durationSeconds: doublePrecision("duration_seconds"),
    averageBitrateKbps: integer("average_bitrate_kbps"),
    codecs: text("codecs"),
    frameRate: doublePrecision("frame_rate"),
    // An HLS tier's ladder as its playlist describes it, recorded at finalize.
    hlsSegmentCount: integer("hls_segment_count"),
    hlsTargetDuration: smallint("hls_target_duration"),
    // The media playlist players are sent to, relative to the tier's folder ("" when the tier's own
    // file is it; a path when that file is a master naming one media playlist).
    hlsMediaPath: text("hls_media_path"),
    language: text("language"),
    label: text("label"),
    streamTier: smallint("stream_tier"),
    isStreamable: boolean("is_streamable").notNull().default(false),
    isDefault: boolean("is_default").notNull().default(false),
    isForced: boolean("is_forced").notNull().default(false),
    uploadState: uploadState("upload_state").notNull().default("pending"),
    multipartUploadId: text("multipart_upload_id"),
    lifecycle: assetLifecycle("lifecycle").notNull().default("standard"),
    ...timestamps,
  },
  (t) => [
    index("media_assets_title_kind_idx").on(t.titleId, t.kind),
    index("media_assets_episode_idx").on(t.episodeId),
    // Exactly three streaming tiers, and only HLS assets carry one.
    check("media_assets_stream_tier_check", sql`${t.streamTier} is null or (${t.streamTier} in (480, 720, 1080) and ${t.kind} = 'HLS')`),
    check("media_assets_size_check", sql`${t.sizeBytes} is null or ${t.sizeBytes} >= 0`),
    check("media_assets_sha256_check", sql`${t.sha256} is null or ${t.sha256} ~ '^[0-9a-f]{64}$'`),
    check("media_assets_duration_check", sql`${t.durationSeconds} is null or ${t.durationSeconds} >= 0`),
  ],
);
