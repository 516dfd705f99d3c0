// Pre-publish checks (seed: "Validate media policy"): exactly one streamable HLS per tier for the
// movie and for every episode, nothing but HLS streamable (audio-only never), downloads with
// size and sha256, consistent subtitle defaults, forced subtitles labelled.
import { asc, eq } from "drizzle-orm";
import { episodes, mediaAssets } from "../../db/schema";
import { STREAM_TIERS } from "../../lib/storage-keys";
import type { Database } from "../../platform/db";
import { type Asset, DOWNLOADABLE_KINDS } from "../assets/service";
import { getTitle } from "./service";

export const FINDING_CODES = [
  "HLS_TIER_MISSING",
  "HLS_TIER_DUPLICATE",
  "HLS_TIER_UNSET",
  "AUDIO_STREAMABLE",
  "NON_HLS_STREAMABLE",
  "DOWNLOAD_SIZE_MISSING",
  "DOWNLOAD_SHA256_MISSING",
  "SUBTITLE_MULTIPLE_DEFAULTS",
  "SUBTITLE_FORCED_UNLABELLED",
  "SUBTITLE_LANGUAGE_MISSING",
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
    }
    if (a.uploadState !== "finalized") warn("ASSET_NOT_FINALIZED", `${a.filename} is ${a.uploadState}, not finalized.`, a.id, where);
  }
  return { titleId, ok: errors.length === 0, errors, warnings };
}

export type { Asset };
