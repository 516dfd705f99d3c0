// Pre-publish checks: exactly one streamable HLS per tier for the movie and for every episode,
// each finalized (its whole playlist chain checked), its resolution fitting its name and its
// duration matching the other tiers'; nothing but HLS streamable (audio-only never); downloads
// with size and sha256; consistent subtitle defaults; forced subtitles labelled; WebVTT for what
// streams carry.
import { asc, eq } from "drizzle-orm";
import { episodes, mediaAssets } from "../../db/schema";
import { STREAM_TIERS } from "../../lib/storage-keys";
import type { Database } from "../../platform/db";
import { type Asset, DOWNLOADABLE_KINDS, isWebVtt } from "../assets/service";
import { getTitle } from "./service";

export const FINDING_CODES = [
  "HLS_TIER_MISSING",
  "HLS_TIER_DUPLICATE",
  "HLS_TIER_UNSET",
  "HLS_TIER_INCOMPLETE",
  "HLS_TIER_RESOLUTION_MISMATCH",
  "HLS_DURATION_MISMATCH",
  "AUDIO_STREAMABLE",
  "NON_HLS_STREAMABLE",
  "DOWNLOAD_SIZE_MISSING",
  "DOWNLOAD_SHA256_MISSING",
  "SUBTITLE_MULTIPLE_DEFAULTS",
  "SUBTITLE_FORCED_UNLABELLED",
  "SUBTITLE_LANGUAGE_MISSING",
  "SUBTITLE_NOT_WEBVTT",
  "SERIES_WITHOUT_EPISODES",
  "NO_DOWNLOADS",
  "ASSET_NOT_FINALIZED",
] as const;
export type FindingCode = (typeof FINDING_CODES)[number];

export interface Finding {
  code: FindingCode;
  message: string;
  assetId: string | null;
  episodeId: string | null;
}
export interface ValidationReport {
  titleId: string;
  ok: boolean;
  errors: Finding[];
  warnings: Finding[];
}

export async function validateMedia(db: Database, titleId: string): Promise<ValidationReport> {
  const title = await getTitle(db, titleId);
  const [assets, eps] = await Promise.all([
    db.select().from(mediaAssets).where(eq(mediaAssets.titleId, titleId)),
    db.select().from(episodes).where(eq(episodes.titleId, titleId)).orderBy(asc(episodes.seasonNumber), asc(episodes.episodeNumber)),
  ]);
  const errors: Finding[] = [];
  const warnings: Finding[] = [];
  const err = (code: FindingCode, message: string, assetId: string | null = null, episodeId: string | null = null) =>
    errors.push({ code, message, assetId, episodeId });
  const warn = (code: FindingCode, message: string, assetId: string | null = null, episodeId: string | null = null) =>
    warnings.push({ code, message, assetId, episodeId });

  // A movie is one scope (its title-level assets); a series has one per episode.
  const scopes: { episodeId: string | null; label: string }[] =
    title.kind === "movie"
      ? [{ episodeId: null, label: "the movie" }]
      : eps.map((e) => ({ episodeId: e.id, label: `S${e.seasonNumber}E${e.episodeNumber}` }));
  if (title.kind === "series" && eps.length === 0) err("SERIES_WITHOUT_EPISODES", "The series has no episodes.");

  for (const scope of scopes) {
    const mine = assets.filter((a) => a.episodeId === scope.episodeId);
    const streamable = mine.filter((a) => a.kind === "HLS" && a.isStreamable);
    for (const a of streamable.filter((s) => s.streamTier === null))
      err("HLS_TIER_UNSET", `Streamable HLS asset in ${scope.label} has no tier.`, a.id, scope.episodeId);
    for (const tier of STREAM_TIERS) {
      const at = streamable.filter((a) => a.streamTier === tier);
      if (at.length === 0) err("HLS_TIER_MISSING", `No streamable ${tier}p HLS for ${scope.label}.`, null, scope.episodeId);
      if (at.length > 1)
        for (const a of at)
          err(
            "HLS_TIER_DUPLICATE",
            `${at.length} streamable ${tier}p HLS assets for ${scope.label}; exactly one is allowed.`,
            a.id,
            scope.episodeId,
          );
    }
    for (const a of streamable.filter((s) => s.streamTier !== null)) {
      const tier = `${a.streamTier}p`;
      if (a.uploadState !== "finalized")
        err(
          "HLS_TIER_INCOMPLETE",
          `The ${tier} tier of ${scope.label} is not finalized: finalize checks that every file its playlists name is uploaded.`,
          a.id,
          scope.episodeId,
        );
      if (!fitsTier(a))
        err(
          "HLS_TIER_RESOLUTION_MISMATCH",
          `The ${tier} tier of ${scope.label} is ${a.width ?? "?"}x${a.height}, not ${tier}.`,
          a.id,
          scope.episodeId,
        );
    }
    const timed = streamable.filter((a) => a.streamTier !== null && a.durationSeconds !== null);
    const [shortest, longest] = [minBy(timed, (a) => a.durationSeconds ?? 0), minBy(timed, (a) => -(a.durationSeconds ?? 0))];
    // Players switch tiers mid-stream: ladders that disagree by more than a segment break the switch.
    if (
      shortest &&
      longest &&
      (longest.durationSeconds ?? 0) - (shortest.durationSeconds ?? 0) > Math.max(2, longest.hlsTargetDuration ?? 0)
    )
      for (const a of [shortest, longest])
        err(
          "HLS_DURATION_MISMATCH",
          `The tiers of ${scope.label} differ in length: ${shortest.streamTier}p is ${shortest.durationSeconds} s, ${longest.streamTier}p ${longest.durationSeconds} s.`,
          a.id,
          scope.episodeId,
        );
    const downloads = mine.filter((a) => DOWNLOADABLE_KINDS.includes(a.kind));
    if (downloads.length === 0) warn("NO_DOWNLOADS", `Nothing downloadable for ${scope.label}.`, null, scope.episodeId);
    const subs = mine.filter((a) => a.kind === "SUBTITLE");
    const defaults = subs.filter((s) => s.isDefault);
    if (defaults.length > 1)
      for (const s of defaults)
        err(
          "SUBTITLE_MULTIPLE_DEFAULTS",
          `${defaults.length} default subtitle tracks for ${scope.label}; at most one.`,
          s.id,
          scope.episodeId,
        );
  }

  for (const a of assets) {
    const where = a.episodeId;
    if (a.isStreamable && a.kind === "AUDIO") err("AUDIO_STREAMABLE", `Audio-only asset ${a.filename} is marked streamable.`, a.id, where);
    else if (a.isStreamable && a.kind !== "HLS")
      err("NON_HLS_STREAMABLE", `${a.kind} asset ${a.filename} is marked streamable; only HLS streams.`, a.id, where);
    if (DOWNLOADABLE_KINDS.includes(a.kind)) {
      if (a.sizeBytes === null) err("DOWNLOAD_SIZE_MISSING", `Download ${a.filename} has no size (run head or finalize).`, a.id, where);
      if (a.sha256 === null)
        err("DOWNLOAD_SHA256_MISSING", `Download ${a.filename} has no sha256 (run checksum or finalize).`, a.id, where);
    }
    if (a.kind === "SUBTITLE") {
      if (a.isForced && !a.label && !a.language)
        err("SUBTITLE_FORCED_UNLABELLED", `Forced subtitle ${a.filename} has neither label nor language.`, a.id, where);
      if (!a.language) warn("SUBTITLE_LANGUAGE_MISSING", `Subtitle ${a.filename} has no language.`, a.id, where);
      if (!isWebVtt(a))
        warn(
          "SUBTITLE_NOT_WEBVTT",
          `Subtitle ${a.filename} is not WebVTT: it stays downloadable, but streams carry WebVTT only.`,
          a.id,
          where,
        );
    }
    if (a.uploadState !== "finalized") warn("ASSET_NOT_FINALIZED", `${a.filename} is ${a.uploadState}, not finalized.`, a.id, where);
  }
  return { titleId, ok: errors.length === 0, errors, warnings };
}

/**
 * A tier is named for its picture: 1080p is 1080 lines, or 1920 wide for a film wider than 16:9
 * (1920x800 is a 1080p encode of a 2.40:1 film). Unknown sizes are not judged here.
 */
function fitsTier(a: Asset): boolean {
  if (a.height === null || a.streamTier === null) return true;
  const fullWidth = Math.round((a.streamTier * 16) / 9 / 2) * 2;
  return a.height === a.streamTier || (a.width !== null && Math.abs(a.width - fullWidth) <= 2 && a.height < a.streamTier);
}

const minBy = <T>(xs: T[], f: (x: T) => number): T | undefined =>
  xs.reduce<T | undefined>((m, x) => (m === undefined || f(x) < f(m) ? x : m), undefined);

export type { Asset };
