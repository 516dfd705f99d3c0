// /api/v1/titles…: public discovery of published titles. Every response here is cacheable
// (catalogCache) except the media redirect, which carries a signed URL and is no-store.
import { createRoute } from "@hono/zod-openapi";
import type { Context } from "hono";
import * as z from "zod";
import type { AppEnv } from "../../http/context";
import { problemResponse } from "../../http/openapi";
import { createRouter } from "../../http/router";
import { json } from "../../http/schemas";
import { AppError } from "../../lib/errors";
import { fromWire } from "../../lib/wire";
import { downloadJson, downloadSchema } from "../assets/contract";
import { masterPlaylistUrl, playbackUrl } from "../delivery/routes-hls";
import { episodeJson, episodeSchema, seasonJson, seasonSchema, titleJson, titleSchema } from "./contract";
import { downloadsOf, episodeDownloads, publicAsset, streamsOf, subtitlesOf } from "./listings";
import { getEpisode, getPublishedTitle, PUBLIC_SORTS, publishedTitleDetail, searchTitles, type Title } from "./service";

const tags = ["public: catalog"];
const idOrSlug = z.object({
  id: z
    .string()
    .min(1)
    .max(120)
    .meta({ param: { name: "id", in: "path", description: "Title id or slug" } }),
});
const publicTitle = titleSchema.omit({ status: true }).meta({ id: "PublicTitle" });
const publicTitleJson = (t: Parameters<typeof titleJson>[0]) => {
  const { status: _s, ...rest } = titleJson(t);
  return rest;
};
const mediaUrl = (titleId: string, assetId: string) => `/api/v1/titles/${titleId}/media/${assetId}`;
const NO_STORE = { "cache-control": "no-store" };

/** The tiers of a movie (episodeId null) or an episode, each with its signed playlist URL, and the signed master. */
async function streams(c: Context<AppEnv>, t: Title, episodeId: string | null) {
  const items = await streamsOf(c.var.db, t, episodeId ?? undefined);
  const origin = new URL(c.req.url).origin;
  const secret = c.var.config.ADMIN_JWT_SECRET;
  const exp = Math.floor(c.var.clock.now().getTime() / 1000) + c.var.config.HLS_PLAYLIST_TTL_SECONDS;
  const urls = await Promise.all(items.map((a) => playbackUrl(origin, secret, a.id, a.hlsMediaPath ?? "", exp)));
  // One master per movie or episode: a series asked for all its episodes' tiers has none.
  const scoped = t.kind === "movie" ? episodeId === null : episodeId !== null;
  return {
    items: items.map((a, i) => ({
      asset_id: a.id,
      episode_id: a.episodeId,
      tier: a.streamTier ?? 0,
      label: a.label ?? `${a.streamTier}p`,
      video_codec: a.videoCodec,
      audio_codec: a.audioCodec,
      width: a.width,
      height: a.height,
      hdr: a.hdr,
      bandwidth: a.bitrateKbps === null ? null : a.bitrateKbps * 1000,
      is_default: a.isDefault,
      playback_url: urls[i] as string,
    })),
    master_url: scoped && items.length > 0 ? await masterPlaylistUrl(origin, secret, t.id, episodeId, exp) : null,
  };
}

const streamSchema = z
  .object({
    asset_id: z.uuid(),
    episode_id: z.uuid().nullable(),
    tier: z.number().int(),
    label: z.string(),
    video_codec: z.string().nullable(),
    audio_codec: z.string().nullable(),
    width: z.number().int().nullable(),
    height: z.number().int().nullable(),
    hdr: z.string(),
    bandwidth: z.number().int().nullable().describe("bits per second"),
    is_default: z.boolean(),
    playback_url: z.string().describe("A signed, expiring URL of the tier's HLS playlist"),
  })
  .meta({ id: "Stream" });
const streamsSchema = z
  .object({
    items: z.array(streamSchema),
    master_url: z
      .string()
      .nullable()
      .describe(
        "A signed, expiring URL of the master playlist: every tier (EXT-X-STREAM-INF) and WebVTT subtitle track (EXT-X-MEDIA), for adaptive playback with captions; null for a series asked without an episode, or when nothing streams",
      ),
  })
  .meta({ id: "Streams" });
const subtitleSchema = z
  .object({
    asset_id: z.uuid(),
    episode_id: z.uuid().nullable(),
    language: z.string().nullable(),
    label: z.string().nullable(),
    format: z.string(),
    is_default: z.boolean(),
    is_forced: z.boolean(),
    url: z.string(),
  })
  .meta({ id: "SubtitleTrack" });

const routes = {
  list: createRoute({
    method: "get",
    operationId: "listTitles",
    path: "/titles",
    tags,
    summary: "Browse and search published titles",
    request: {
      query: z.object({
        q: z.string().max(200).optional().describe("Full-text search, typo-tolerant on names"),
        kind: z.enum(["movie", "series"]).optional(),
        genre: z.string().max(40).optional(),
        language: z.string().max(20).optional(),
        year_from: z.coerce.number().int().min(1870).max(2100).optional(),
        year_to: z.coerce.number().int().min(1870).max(2100).optional(),
        sort: z.enum(PUBLIC_SORTS).optional().describe("Default: relevance with q, else popularity"),
        limit: z.coerce.number().int().min(1).max(100).default(20),
        cursor: z.string().max(500).optional(),
      }),
    },
    responses: {
      200: json(
        z.object({
          items: z.array(publicTitle.extend({ score: z.number().nullable() })),
          sort: z.enum(PUBLIC_SORTS),
          next_cursor: z.string().nullable(),
        }),
        "A page of titles",
      ),
      400: problemResponse("Invalid query"),
    },
  }),
  get: createRoute({
    method: "get",
    operationId: "getTitle",
    path: "/titles/{id}",
    tags,
    summary: "A published title by id or slug, with seasons, episodes and artwork",
    request: { params: idOrSlug },
    responses: {
      200: json(
        z
          .object({
            title: publicTitle,
            seasons: z.array(seasonSchema),
            artwork: z.array(
              z.object({
                asset_id: z.uuid(),
                label: z.string().nullable(),
                width: z.number().int().nullable(),
                height: z.number().int().nullable(),
                url: z.string(),
              }),
            ),
          })
          .meta({ id: "TitleDetail" }),
        "The title",
      ),
      404: problemResponse("No published title with that id or slug"),
    },
  }),
  streams: createRoute({
    method: "get",
    operationId: "listStreams",
    path: "/titles/{id}/streams",
    tags,
    summary: "A movie's stream tiers (or, with episode_id, an episode's) and the master playlist that plays them adaptively (no-store)",
    request: { params: idOrSlug, query: z.object({ episode_id: z.uuid().optional() }) },
    responses: { 200: json(streamsSchema, "Tiers"), 404: problemResponse("No such published title") },
  }),
  episodeStreams: createRoute({
    method: "get",
    operationId: "listEpisodeStreams",
    path: "/titles/{id}/episodes/{episode_id}/streams",
    tags,
    summary: "An episode's stream tiers and its master playlist (no-store)",
    request: { params: idOrSlug.extend({ episode_id: z.uuid().meta({ param: { name: "episode_id", in: "path" } }) }) },
    responses: { 200: json(streamsSchema, "Tiers"), 404: problemResponse("No such published title or episode") },
  }),
  subtitles: createRoute({
    method: "get",
    operationId: "listSubtitles",
    path: "/titles/{id}/subtitles",
    tags,
    summary: "Subtitle tracks",
    request: { params: idOrSlug },
    responses: { 200: json(z.object({ items: z.array(subtitleSchema) }), "Tracks"), 404: problemResponse("No such published title") },
  }),
  downloads: createRoute({
    method: "get",
    operationId: "listDownloads",
    path: "/titles/{id}/downloads",
    tags,
    summary: "Every downloadable file: the movie's, or per season and episode",
    request: { params: idOrSlug },
    responses: {
      200: json(
        z
          .object({
            kind: z.enum(["movie", "series"]),
            items: z.array(downloadSchema).describe("movie: its files; series: files attached to the title itself"),
            seasons: z.array(
              z.object({
                number: z.number().int(),
                name: z.string().nullable(),
                episodes: z.array(z.object({ episode: episodeSchema, items: z.array(downloadSchema) })),
              }),
            ),
          })
          .meta({ id: "TitleDownloads" }),
        "Downloads",
      ),
      404: problemResponse("No such published title"),
    },
  }),
  episodeDownloads: createRoute({
    method: "get",
    operationId: "listEpisodeDownloads",
    path: "/titles/{id}/episodes/{episode_id}/downloads",
    tags,
    summary: "One episode's downloadable files",
    request: { params: idOrSlug.extend({ episode_id: z.uuid().meta({ param: { name: "episode_id", in: "path" } }) }) },
    responses: {
      200: json(z.object({ episode: episodeSchema, items: z.array(downloadSchema) }), "Downloads"),
      404: problemResponse("No such title or episode"),
    },
  }),
  media: createRoute({
    method: "get",
    operationId: "getMediaFile",
    path: "/titles/{id}/media/{asset_id}",
    tags,
    summary: "Redirect to a short-lived signed URL of artwork or a subtitle file",
    request: { params: idOrSlug.extend({ asset_id: z.uuid().meta({ param: { name: "asset_id", in: "path" } }) }) },
    responses: { 302: { description: "To the signed URL" }, 404: problemResponse("No such artwork or subtitle") },
  }),
};

export const publicTitleRoutes = createRouter()
  .openapi(routes.list, async (c) => {
    const q = c.req.valid("query");
    const r = await searchTitles(c.var.db, fromWire(q));
    return c.json(
      { items: r.items.map((i) => ({ ...publicTitleJson(i.title), score: i.score })), sort: r.sort, next_cursor: r.nextCursor },
      200,
    );
  })
  .openapi(routes.get, async (c) => {
    const { title: t, seasons, artwork } = await publishedTitleDetail(c.var.db, c.req.valid("param").id);
    return c.json(
      {
        title: publicTitleJson(t),
        seasons: seasons.map(seasonJson),
        artwork: artwork.map((a) => ({ asset_id: a.id, label: a.label, width: a.width, height: a.height, url: mediaUrl(t.id, a.id) })),
      },
      200,
    );
  })
  .openapi(routes.streams, async (c) => {
    const t = await getPublishedTitle(c.var.db, c.req.valid("param").id);
    return c.json(await streams(c, t, c.req.valid("query").episode_id ?? null), 200, NO_STORE);
  })
  .openapi(routes.episodeStreams, async (c) => {
    const { id, episode_id } = c.req.valid("param");
    const t = await getPublishedTitle(c.var.db, id);
    // One row by its key, not every season and episode of the title, to know it belongs here.
    const episode = await getEpisode(c.var.db, episode_id).catch((e: unknown) => {
      if (e instanceof AppError && e.code === "NOT_FOUND") return null;
      throw e;
    });
    if (episode?.titleId !== t.id) throw new AppError("NOT_FOUND", `No episode ${episode_id} in this title.`);
    return c.json(await streams(c, t, episode_id), 200, NO_STORE);
  })
  .openapi(routes.subtitles, async (c) => {
    const t = await getPublishedTitle(c.var.db, c.req.valid("param").id);
    const items = await subtitlesOf(c.var.db, t);
    return c.json(
      {
        items: items.map((a) => ({
          asset_id: a.id,
          episode_id: a.episodeId,
          language: a.language,
          label: a.label,
          format: (a.filename.split(".").pop() ?? "").toLowerCase(),
          is_default: a.isDefault,
          is_forced: a.isForced,
          url: mediaUrl(t.id, a.id),
        })),
      },
      200,
    );
  })
  .openapi(routes.downloads, async (c) => {
    const t = await getPublishedTitle(c.var.db, c.req.valid("param").id);
    const d = await downloadsOf(c.var.db, t);
    if (d.kind === "movie") return c.json({ kind: "movie" as const, items: d.items.map(downloadJson), seasons: [] }, 200);
    return c.json(
      {
        kind: "series" as const,
        items: d.titleLevel.map(downloadJson),
        seasons: d.seasons.map((s) => ({
          number: s.number,
          name: s.name,
          episodes: s.episodes.map((e) => ({ episode: episodeJson(e.episode), items: e.items.map(downloadJson) })),
        })),
      },
      200,
    );
  })
  .openapi(routes.episodeDownloads, async (c) => {
    const p = c.req.valid("param");
    const t = await getPublishedTitle(c.var.db, p.id);
    const r = await episodeDownloads(c.var.db, t, p.episode_id);
    return c.json({ episode: episodeJson(r.episode), items: r.items.map(downloadJson) }, 200);
  })
  .openapi(routes.media, async (c) => {
    const p = c.req.valid("param");
    const t = await getPublishedTitle(c.var.db, p.id);
    const a = await publicAsset(c.var.db, t, p.asset_id, ["ARTWORK", "SUBTITLE"]);
    // Through the delivery signer like every other URL (with CloudFront, a CloudFront URL).
    const { url } = await c.var.signer.signGet(a.storageKey, {
      expiresIn: c.var.config.PRESIGN_TTL_DEFAULT_SECONDS,
      version: a.id,
      ...(a.contentType ? { contentType: a.contentType } : {}),
    });
    c.header("cache-control", "no-store");
    return c.redirect(url, 302);
  });
