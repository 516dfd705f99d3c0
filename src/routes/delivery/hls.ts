// /api/v1/delivery/hls/{asset_id}/playlist.m3u8: a stream tier's media playlist with every
// segment URI signed, for playback from the private bucket. Published titles only; no-store.
import { createRoute } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import * as z from "zod";
import { mediaAssets } from "../../db/schema";
import { AppError } from "../../lib/errors";
import { problemResponse } from "../../lib/openapi";
import { createRouter } from "../../lib/router";
import { signMediaPlaylist } from "../../services/hls";
import { getPublishedTitle } from "../../services/titles";

const route = createRoute({
  method: "get",
  path: "/delivery/hls/{asset_id}/playlist.m3u8",
  tags: ["public: delivery"],
  summary: "A streamable tier's HLS playlist with signed segment URLs",
  request: { params: z.object({ asset_id: z.uuid().meta({ param: { name: "asset_id", in: "path" } }) }) },
  responses: {
    200: { description: "HLS media playlist", content: { "application/vnd.apple.mpegurl": { schema: z.string() } } },
    404: problemResponse("No streamable asset of a published title with that id"),
  },
});

export const hlsRoutes = createRouter().openapi(route, async (c) => {
  const { asset_id } = c.req.valid("param");
  const [a] = await c.var.db.select().from(mediaAssets).where(eq(mediaAssets.id, asset_id)).limit(1);
  if (a?.kind !== "HLS" || !a.isStreamable) throw new AppError("NOT_FOUND", `No stream ${asset_id}.`);
  const t = await getPublishedTitle(c.var.db, a.titleId);
  const prefix = `hls/${t.id}/`;
  const body = await signMediaPlaylist(c.var.s3, a.storageKey, prefix, c.var.config.PRESIGN_TTL_MAX_SECONDS);
  return c.body(body, 200, { "content-type": "application/vnd.apple.mpegurl", "cache-control": "no-store" });
});
