// GET /api/v1/delivery/hls/…: the playlists players read, each at a signed, expiring URL.
// - titles/{title_id}/master.m3u8: the title's (or an episode's) master playlist, built here from
//   its tier assets and WebVTT subtitle assets: one URL for adaptive playback with captions.
// - {asset_id}/playlist.m3u8: a stream tier's playlist read from S3; inside it segments (and init
//   maps, keys) become signed URLs (S3, or one CloudFront grant for the folder) and sub-playlists
//   signed URLs of this same route, so master → media → segment plays through signed URLs only.
// - {asset_id}/subtitles.m3u8: a WebVTT subtitle file as a one-segment media playlist.
// Published titles only; no-store. A built or rewritten playlist is kept in the colo's cache for
// one signing window (HLS_PLAYLIST_TTL_SECONDS) under the catalog version: the next viewer in the
// window costs no database query, no S3 read and no signing, and an unpublish is seen as a catalog
// change is. URLs inside live one window longer than their TTL, so a playlist served from the
// cache at the end of its window still gives its viewer the full TTL.
import { createRoute } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import * as z from "zod";
import { mediaAssets } from "../../db/schema";
import { problemResponse } from "../../http/openapi";
import { createRouter } from "../../http/router";
import { AppError } from "../../lib/errors";
import { trackName } from "../../lib/track-name";
import type { Database } from "../../platform/db";
import type { AppConfig } from "../../platform/env";
import { isWebVtt } from "../assets/service";
import { underCatalogVersion } from "../catalog/catalog-version";
import { playbackAssets } from "../catalog/listings";
import { getPublishedTitle } from "../catalog/service";
import { rewritePlaylist } from "./hls";
import { masterPlaylist, subtitlePlaylist } from "./master-playlist";
import { playbackSignature, verifyPlayback } from "./playback-urls";

const tags = ["public: delivery"];
// Players on any site read these (the URL itself is the credential, no cookies): CORS open to all.
// Cross-origin players are answered by the CORS middleware, for CORS_ALLOWED_ORIGINS only.
const PLAYLIST = { "content-type": "application/vnd.apple.mpegurl", "cache-control": "no-store" };
const signedQuery = {
  exp: z.coerce.number().int().optional().describe("Expiry, seconds since the epoch"),
  sig: z.string().max(100).optional().describe("The URL's signature"),
};
const playlistResponses = (what: string) => ({
  200: { description: "HLS playlist", content: { "application/vnd.apple.mpegurl": { schema: z.string() } } },
  403: problemResponse("Missing, wrong or expired signature"),
  404: problemResponse(what),
});
// Bit rates players are told when a tier's was never measured (typical H.264 ladders).
const FALLBACK_BANDWIDTH: Record<number, number> = { 480: 1_400_000, 720: 2_800_000, 1080: 5_000_000 };

const assetParam = z.object({ asset_id: z.uuid().meta({ param: { name: "asset_id", in: "path" } }) });

const route = createRoute({
  method: "get",
  operationId: "getSignedPlaylist",
  path: "/delivery/hls/{asset_id}/playlist.m3u8",
  tags,
  summary: "A stream tier's signed HLS playlist (the playback_url of /titles/{id}/streams)",
  request: {
    params: assetParam,
    query: z.object({ path: z.string().max(500).optional().describe("A sub-playlist, relative to the tier's folder"), ...signedQuery }),
  },
  responses: playlistResponses("No streamable asset of a published title with that id"),
});

const master = createRoute({
  method: "get",
  operationId: "getMasterPlaylist",
  path: "/delivery/hls/titles/{title_id}/master.m3u8",
  tags,
  summary: "A movie's or episode's master playlist: every tier and WebVTT subtitle track (the master_url of the streams endpoints)",
  request: {
    params: z.object({ title_id: z.uuid().meta({ param: { name: "title_id", in: "path" } }) }),
    query: z.object({ episode_id: z.uuid().optional().describe("The episode, for a series"), ...signedQuery }),
  },
  responses: playlistResponses("No published title, or episode, with streams"),
});

const subtitles = createRoute({
  method: "get",
  operationId: "getSubtitlePlaylist",
  path: "/delivery/hls/{asset_id}/subtitles.m3u8",
  tags,
  summary: "A WebVTT subtitle track as an HLS media playlist (named by the master playlist)",
  request: {
    params: assetParam,
    query: z.object({ d: z.string().max(20).optional().describe("The track's duration in seconds (signed)"), ...signedQuery }),
  },
  responses: playlistResponses("No WebVTT subtitle of a published title with that id"),
});

/** Signs (subject, path, exp); a subject names what the URL opens, so one kind of URL never opens another. */
async function signedUrl(
  origin: string,
  secret: string,
  path: string,
  subject: string,
  signedPath: string,
  q: Record<string, string>,
  exp: number,
) {
  const u = new URL(`${origin}/api/v1${path}`);
  for (const [k, v] of Object.entries(q)) u.searchParams.set(k, v);
  u.searchParams.set("exp", String(exp));
  u.searchParams.set("sig", await playbackSignature(secret, subject, signedPath, exp));
  return u.toString();
}

async function checkSignature(
  c: { var: { config: { ADMIN_JWT_SECRET: string }; clock: { now(): Date } } },
  subject: string,
  signedPath: string,
  q: { exp?: number | undefined; sig?: string | undefined },
): Promise<void> {
  const now = Math.floor(c.var.clock.now().getTime() / 1000);
  const verdict =
    q.exp === undefined || q.sig === undefined
      ? "invalid"
      : await verifyPlayback(c.var.config.ADMIN_JWT_SECRET, subject, signedPath, q.exp, q.sig, now);
  if (verdict !== "ok")
    throw new AppError("FORBIDDEN", verdict === "expired" ? "This playback URL has expired." : "This playback URL is not validly signed.");
}

/** The signing window a request falls in, and the expiries of what is signed in it. */
function signingWindow(c: {
  var: { config: { HLS_PLAYLIST_TTL_SECONDS: number; HLS_SEGMENT_TTL_SECONDS: number }; clock: { now(): Date } };
}) {
  const window = c.var.config.HLS_PLAYLIST_TTL_SECONDS;
  const now = Math.floor(c.var.clock.now().getTime() / 1000);
  return {
    id: Math.floor(now / window),
    playlistExp: now + c.var.config.HLS_PLAYLIST_TTL_SECONDS + window,
    segmentTtl: c.var.config.HLS_SEGMENT_TTL_SECONDS + window,
  };
}

const masterSubject = (titleId: string, episodeId: string | null) => `master:${titleId}:${episodeId ?? ""}`;
const subtitleSubject = (assetId: string) => `subtitles:${assetId}`;

/** A signed, expiring URL of a movie's (episodeId null) or an episode's master playlist. */
export function masterPlaylistUrl(origin: string, secret: string, titleId: string, episodeId: string | null, exp: number): Promise<string> {
  const path = master.path.replace("{title_id}", encodeURIComponent(titleId));
  return signedUrl(origin, secret, path, masterSubject(titleId, episodeId), "", episodeId ? { episode_id: episodeId } : {}, exp);
}

/** A signed, expiring URL of a tier's playlist, or of a sub-playlist `path` inside its folder. */
export function playbackUrl(origin: string, secret: string, assetId: string, path: string, exp: number): Promise<string> {
  const routePath = route.path.replace("{asset_id}", encodeURIComponent(assetId));
  return signedUrl(origin, secret, routePath, assetId, path, path ? { path } : {}, exp);
}

/** A movie's or episode's master playlist: its tiers and WebVTT tracks, each at a signed URL. */
async function buildMaster(
  deps: { db: Database; config: AppConfig },
  origin: string,
  titleId: string,
  episodeId: string | null,
  exp: number,
): Promise<string> {
  const t = await getPublishedTitle(deps.db, titleId);
  if ((t.kind === "series") !== (episodeId !== null))
    throw new AppError("NOT_FOUND", t.kind === "series" ? "A series streams per episode." : "A movie has no episodes.");
  const { tiers, subtitles: subs } = await playbackAssets(deps.db, t, episodeId ?? undefined);
  if (tiers.length === 0) throw new AppError("NOT_FOUND", "Nothing to stream here yet.");
  const secret = deps.config.ADMIN_JWT_SECRET;
  // A subtitle track lasts as long as the longest tier (else the runtime, else three hours).
  const duration = Math.max(0, ...tiers.map((a) => a.durationSeconds ?? 0)) || (t.runtimeMinutes ? t.runtimeMinutes * 60 : 3 * 3600);
  const tracks = subs.filter((a) => a.episodeId === episodeId && isWebVtt(a));
  return masterPlaylist(
    await Promise.all(
      tiers.map(async (a) => ({
        url: await playbackUrl(origin, secret, a.id, a.hlsMediaPath ?? "", exp),
        bandwidth: a.bitrateKbps ? a.bitrateKbps * 1000 : (FALLBACK_BANDWIDTH[a.streamTier ?? 0] ?? 5_000_000),
        averageBandwidth: a.averageBitrateKbps ? a.averageBitrateKbps * 1000 : null,
        width: a.width,
        height: a.height,
        codecs: a.codecs,
        frameRate: a.frameRate,
      })),
    ),
    await Promise.all(
      tracks.map(async (a) => {
        const d = duration.toFixed(3);
        const path = subtitles.path.replace("{asset_id}", a.id);
        return {
          url: await signedUrl(origin, secret, path, subtitleSubject(a.id), `d=${d}`, { d }, exp),
          // Players list tracks by NAME: the label, else the language's name ("English"), else the file's.
          name: a.label ?? (a.language ? trackName(a.language, a.isForced) : a.filename),
          language: a.language,
          isDefault: a.isDefault,
          isForced: a.isForced,
        };
      }),
    ),
  );
}

export const hlsRoutes = createRouter()
  .openapi(master, async (c) => {
    const { title_id } = c.req.valid("param");
    const q = c.req.valid("query");
    const episodeId = q.episode_id ?? null;
    await checkSignature(c, masterSubject(title_id, episodeId), "", q);
    const origin = new URL(c.req.url).origin;
    const w = signingWindow(c);
    const body = await underCatalogVersion(c.var, "hls-master", [origin, title_id, episodeId, w.id], () =>
      buildMaster(c.var, origin, title_id, episodeId, w.playlistExp),
    );
    return c.body(body, 200, PLAYLIST);
  })
  .openapi(subtitles, async (c) => {
    const { asset_id } = c.req.valid("param");
    const q = c.req.valid("query");
    await checkSignature(c, subtitleSubject(asset_id), `d=${q.d ?? ""}`, q);
    const [a] = await c.var.db.select().from(mediaAssets).where(eq(mediaAssets.id, asset_id)).limit(1);
    if (a?.kind !== "SUBTITLE" || a.uploadState === "pending" || !isWebVtt(a))
      throw new AppError("NOT_FOUND", `No WebVTT track ${asset_id}.`);
    await getPublishedTitle(c.var.db, a.titleId);
    const vtt = await c.var.signer.signGet(a.storageKey, {
      expiresIn: c.var.config.HLS_SEGMENT_TTL_SECONDS,
      contentType: "text/vtt",
      version: a.id,
    });
    return c.body(subtitlePlaylist(vtt.url, Number(q.d) || 3 * 3600), 200, PLAYLIST);
  })
  .openapi(route, async (c) => {
    const { asset_id } = c.req.valid("param");
    const q = c.req.valid("query");
    const path = q.path ?? "";
    const secret = c.var.config.ADMIN_JWT_SECRET;
    await checkSignature(c, asset_id, path, q);
    const origin = new URL(c.req.url).origin;
    const w = signingWindow(c);
    const body = await underCatalogVersion(c.var, "hls-playlist", [origin, asset_id, path, w.id], async () => {
      const [a] = await c.var.db.select().from(mediaAssets).where(eq(mediaAssets.id, asset_id)).limit(1);
      if (a?.kind !== "HLS" || !a.isStreamable || a.uploadState !== "finalized") throw new AppError("NOT_FOUND", `No stream ${asset_id}.`);
      await getPublishedTitle(c.var.db, a.titleId);
      return rewritePlaylist({
        s3: c.var.s3,
        signer: c.var.signer,
        baseKey: a.storageKey,
        version: a.id,
        path,
        segmentTtl: w.segmentTtl,
        onRefused: (why) => c.var.logger.warn("playlist refused", { asset_id, why }),
        subPlaylistUrl: (subPath) => playbackUrl(origin, secret, asset_id, subPath, w.playlistExp),
      });
    });
    return c.body(body, 200, PLAYLIST);
  });
