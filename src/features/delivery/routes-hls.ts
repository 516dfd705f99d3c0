// GET /api/v1/delivery/hls/{asset_id}/playlist.m3u8?[path=…&]exp=…&sig=…
// A stream tier's playlist served by the Worker: its own URL is signed and expires; inside it,
// segments (and init maps, keys) become signed URLs (S3 or CloudFront) and sub-playlists become
// signed URLs of this same route, so a master → media → segment chain plays through signed URLs
// only. Published titles only; no-store.
import { createRoute } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import * as z from "zod";
import { mediaAssets } from "../../db/schema";
import { problemResponse } from "../../http/openapi";
import { createRouter } from "../../http/router";
import { AppError } from "../../lib/errors";
import { getPublishedTitle } from "../catalog/service";
import { rewritePlaylist } from "./hls";
import { playbackSignature, verifyPlayback } from "./playback-urls";

const route = createRoute({
  method: "get",
  operationId: "getSignedPlaylist",
  path: "/delivery/hls/{asset_id}/playlist.m3u8",
  tags: ["public: delivery"],
  summary: "A signed HLS playlist (the playback_url of /titles/{id}/streams)",
  request: {
    params: z.object({ asset_id: z.uuid().meta({ param: { name: "asset_id", in: "path" } }) }),
    query: z.object({
      path: z.string().max(500).optional().describe("A sub-playlist, relative to the tier's folder"),
      exp: z.coerce.number().int().optional(),
      sig: z.string().max(100).optional(),
    }),
  },
  responses: {
    200: { description: "HLS playlist", content: { "application/vnd.apple.mpegurl": { schema: z.string() } } },
    403: problemResponse("Missing, wrong or expired signature"),
    404: problemResponse("No streamable asset of a published title with that id"),
  },
});

/** A signed, expiring URL of this route: a tier's playlist, or a sub-playlist `path` inside its folder. */
export async function playbackUrl(origin: string, secret: string, assetId: string, path: string, exp: number): Promise<string> {
  const u = new URL(`${origin}/api/v1${route.path.replace("{asset_id}", encodeURIComponent(assetId))}`);
  if (path) u.searchParams.set("path", path);
  u.searchParams.set("exp", String(exp));
  u.searchParams.set("sig", await playbackSignature(secret, assetId, path, exp));
  return u.toString();
}

export const hlsRoutes = createRouter().openapi(route, async (c) => {
  const { asset_id } = c.req.valid("param");
  const q = c.req.valid("query");
  const path = q.path ?? "";
  const secret = c.var.config.ADMIN_JWT_SECRET;
  const now = Math.floor(c.var.clock.now().getTime() / 1000);
  const verdict = q.exp === undefined || q.sig === undefined ? "invalid" : await verifyPlayback(secret, asset_id, path, q.exp, q.sig, now);
  if (verdict !== "ok")
    throw new AppError("FORBIDDEN", verdict === "expired" ? "This playback URL has expired." : "This playback URL is not validly signed.");

  const [a] = await c.var.db.select().from(mediaAssets).where(eq(mediaAssets.id, asset_id)).limit(1);
  if (a?.kind !== "HLS" || !a.isStreamable || a.uploadState === "pending") throw new AppError("NOT_FOUND", `No stream ${asset_id}.`);
  await getPublishedTitle(c.var.db, a.titleId);
  const origin = new URL(c.req.url).origin;
  const body = await rewritePlaylist({
    s3: c.var.s3,
    signer: c.var.signer,
    baseKey: a.storageKey,
    path,
    segmentTtl: c.var.config.HLS_SEGMENT_TTL_SECONDS,
    onRefused: (why) => c.var.logger.warn("playlist refused", { asset_id, why }),
    subPlaylistUrl: (subPath) => playbackUrl(origin, secret, asset_id, subPath, now + c.var.config.HLS_PLAYLIST_TTL_SECONDS),
  });
  return c.body(body, 200, { "content-type": "application/vnd.apple.mpegurl", "cache-control": "no-store" });
});
