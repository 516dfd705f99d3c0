// JSON shapes of catalog resources (snake_case) and their OpenAPI schemas, shared by the admin
// and public routes.
import * as z from "zod";
import type { Asset } from "../assets/service";
import type { Finding, ValidationReport } from "./media-validation";
import type { Episode, Season, Title } from "./service";

export const titleSchema = z
  .object({
    id: z.uuid(),
    kind: z.enum(["movie", "series"]),
    slug: z.string(),
    name: z.string(),
    original_name: z.string().nullable(),
    overview: z.string().nullable(),
    year: z.number().int().nullable(),
    release_date: z.string().nullable(),
    genres: z.array(z.string()),
    languages: z.array(z.string()),
    age_rating: z.string().nullable(),
    runtime_minutes: z.number().int().nullable(),
    status: z.enum(["draft", "published", "archived"]),
    popularity: z.number(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .meta({
    id: "Title",
    examples: [
      {
        id: "6b0c1f7e-2a4d-4c8e-9f3b-1d2e3f4a5b6c",
        kind: "series",
        slug: "the-long-night",
        name: "The Long Night",
        original_name: null,
        overview: "A lighthouse keeper and the storm that would not end.",
        year: 2024,
        release_date: "2024-10-03",
        genres: ["drama", "thriller"],
        languages: ["en", "fr"],
        age_rating: "12",
        runtime_minutes: null,
        status: "published",
        popularity: 87.5,
        created_at: "2026-11-02T09:15:00.000Z",
        updated_at: "2026-11-20T17:42:10.000Z",
      },
    ],
  });
export type TitleJson = z.infer<typeof titleSchema>;

export const titleJson = (t: Title): TitleJson => ({
  id: t.id,
  kind: t.kind,
  slug: t.slug,
  name: t.name,
  original_name: t.originalName,
  overview: t.overview,
  year: t.year,
  release_date: t.releaseDate,
  genres: t.genres,
  languages: t.languages,
  age_rating: t.ageRating,
  runtime_minutes: t.runtimeMinutes,
  status: t.status,
  popularity: t.popularity,
  created_at: t.createdAt.toISOString(),
  updated_at: t.updatedAt.toISOString(),
});

export const episodeSchema = z
  .object({
    id: z.uuid(),
    title_id: z.uuid(),
    season_number: z.number().int(),
    episode_number: z.number().int(),
    name: z.string().nullable(),
    overview: z.string().nullable(),
    runtime_minutes: z.number().int().nullable(),
    air_date: z.string().nullable(),
  })
  .meta({ id: "Episode" });
export const episodeJson = (e: Episode): z.infer<typeof episodeSchema> => ({
  id: e.id,
  title_id: e.titleId,
  season_number: e.seasonNumber,
  episode_number: e.episodeNumber,
  name: e.name,
  overview: e.overview,
  runtime_minutes: e.runtimeMinutes,
  air_date: e.airDate,
});

export const seasonSchema = z
  .object({ number: z.number().int(), name: z.string().nullable(), overview: z.string().nullable(), episodes: z.array(episodeSchema) })
  .meta({ id: "Season" });
export const seasonJson = (s: Season & { episodes?: Episode[] }): z.infer<typeof seasonSchema> => ({
  number: s.number,
  name: s.name,
  overview: s.overview,
  episodes: (s.episodes ?? []).map(episodeJson),
});

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
    container: z.string().nullable(),
    video_codec: z.string().nullable(),
    audio_codec: z.string().nullable(),
    width: z.number().int().nullable(),
    height: z.number().int().nullable(),
    hdr: z.enum(["none", "hdr10", "hdr10plus", "dolby_vision", "hlg"]),
    stereoscopic: z.boolean(),
    channels: z.number().int().nullable(),
    bitrate_kbps: z.number().int().nullable(),
    language: z.string().nullable(),
    label: z.string().nullable(),
    stream_tier: z.number().int().nullable(),
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
export const assetJson = (a: Asset): z.infer<typeof assetSchema> => ({
  id: a.id,
  title_id: a.titleId,
  episode_id: a.episodeId,
  kind: a.kind,
  storage_key: a.storageKey,
  filename: a.filename,
  content_type: a.contentType,
  size_bytes: a.sizeBytes,
  sha256: a.sha256,
  crc32: a.crc32,
  container: a.container,
  video_codec: a.videoCodec,
  audio_codec: a.audioCodec,
  width: a.width,
  height: a.height,
  hdr: a.hdr,
  stereoscopic: a.stereoscopic,
  channels: a.channels,
  bitrate_kbps: a.bitrateKbps,
  language: a.language,
  label: a.label,
  stream_tier: a.streamTier,
  is_streamable: a.isStreamable,
  is_default: a.isDefault,
  is_forced: a.isForced,
  upload_state: a.uploadState,
  multipart_upload_id: a.multipartUploadId,
  lifecycle: a.lifecycle,
  created_at: a.createdAt.toISOString(),
  updated_at: a.updatedAt.toISOString(),
});

const findingSchema = z.object({ code: z.string(), message: z.string(), asset_id: z.uuid().nullable(), episode_id: z.uuid().nullable() });
export const validationSchema = z
  .object({ title_id: z.uuid(), ok: z.boolean(), errors: z.array(findingSchema), warnings: z.array(findingSchema) })
  .meta({ id: "MediaValidationReport" });
const findingJson = (f: Finding) => ({ code: f.code, message: f.message, asset_id: f.assetId, episode_id: f.episodeId });
export const validationJson = (r: ValidationReport): z.infer<typeof validationSchema> => ({
  title_id: r.titleId,
  ok: r.ok,
  errors: r.errors.map(findingJson),
  warnings: r.warnings.map(findingJson),
});

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
export const downloadJson = (a: Asset): z.infer<typeof downloadSchema> => ({
  asset_id: a.id,
  episode_id: a.episodeId,
  kind: a.kind as "ORIGINAL" | "DOWNLOAD" | "VIDEO",
  storage_key: a.storageKey,
  filename: a.filename,
  content_type: a.contentType,
  size_bytes: a.sizeBytes,
  sha256: a.sha256,
  container: a.container,
  video_codec: a.videoCodec,
  audio_codec: a.audioCodec,
  width: a.width,
  height: a.height,
  hdr: a.hdr,
  channels: a.channels,
  language: a.language,
  label: a.label,
});
