// What the public sees of a published title: detail, stream tiers, subtitle tracks, downloads.
import { and, asc, eq, inArray, ne } from "drizzle-orm";
import { mediaAssets } from "../../db/schema";
import { AppError } from "../../lib/errors";
import type { Database } from "../../platform/db";
import { type Asset, DOWNLOADABLE_KINDS } from "../assets/service";
import { getSeasonsWithEpisodes, type Title } from "./service";

/** Only files that are in the bucket are offered: an asset still `pending` upload is not. */
const uploaded = ne(mediaAssets.uploadState, "pending");

export async function publicAssets(db: Database, titleId: string, kinds: Asset["kind"][]) {
  return db
    .select()
    .from(mediaAssets)
    .where(and(eq(mediaAssets.titleId, titleId), inArray(mediaAssets.kind, kinds), uploaded))
    .orderBy(asc(mediaAssets.kind), asc(mediaAssets.filename));
}

/**
 * Of a title's assets, its streamable HLS tiers (480/720/1080): the movie's or, for a series, per
 * episode. A tier is offered only once finalize has read its playlist chain and accepted it.
 */
function streamTiers(assets: Asset[], t: Title, episodeId?: string) {
  return assets
    .filter((a) => a.kind === "HLS" && a.isStreamable && a.streamTier !== null && a.uploadState === "finalized")
    .filter((a) => (episodeId ? a.episodeId === episodeId : t.kind === "movie" ? a.episodeId === null : true))
    .sort((a, b) => (a.episodeId ?? "").localeCompare(b.episodeId ?? "") || (a.streamTier ?? 0) - (b.streamTier ?? 0));
}

export async function streamsOf(db: Database, t: Title, episodeId?: string) {
  return streamTiers(await publicAssets(db, t.id, ["HLS"]), t, episodeId);
}

export async function subtitlesOf(db: Database, t: Title) {
  return publicAssets(db, t.id, ["SUBTITLE"]);
}

/** What a master playlist is built from, in one query: the stream tiers and the title's subtitle tracks. */
export async function playbackAssets(db: Database, t: Title, episodeId?: string) {
  const assets = await publicAssets(db, t.id, ["HLS", "SUBTITLE"]);
  return { tiers: streamTiers(assets, t, episodeId), subtitles: assets.filter((a) => a.kind === "SUBTITLE") };
}

/** Downloads of a movie, or of a series grouped by season and episode. */
export async function downloadsOf(db: Database, t: Title) {
  const assets = await publicAssets(db, t.id, DOWNLOADABLE_KINDS);
  if (t.kind === "movie") return { kind: "movie" as const, items: assets };
  const seasons = await getSeasonsWithEpisodes(db, t.id);
  return {
    kind: "series" as const,
    titleLevel: assets.filter((a) => a.episodeId === null),
    seasons: seasons.map((s) => ({
      number: s.number,
      name: s.name,
      episodes: s.episodes.map((e) => ({ episode: e, items: assets.filter((a) => a.episodeId === e.id) })),
    })),
  };
}

export async function episodeDownloads(db: Database, t: Title, episodeId: string) {
  const assets = await publicAssets(db, t.id, DOWNLOADABLE_KINDS);
  const seasons = await getSeasonsWithEpisodes(db, t.id);
  const episode = seasons.flatMap((s) => s.episodes).find((e) => e.id === episodeId);
  if (!episode) throw new AppError("NOT_FOUND", `No episode ${episodeId} in this title.`);
  return { episode, items: assets.filter((a) => a.episodeId === episodeId) };
}

/** A public, directly fetchable asset of a published title (artwork, subtitles, HLS playlists). */
export async function publicAsset(db: Database, t: Title, assetId: string, kinds: Asset["kind"][]): Promise<Asset> {
  const [a] = /^[0-9a-f-]{36}$/i.test(assetId)
    ? await db
        .select()
        .from(mediaAssets)
        .where(and(eq(mediaAssets.id, assetId), eq(mediaAssets.titleId, t.id), uploaded))
        .limit(1)
    : [];
  if (!a || !kinds.includes(a.kind)) throw new AppError("NOT_FOUND", `No such ${kinds.join("/").toLowerCase()} for this title.`);
  return a;
}
