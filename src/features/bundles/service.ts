// Season bundles in the catalog: which files go in (episodes in order, per episode the best
// asset: ORIGINAL > DOWNLOAD > VIDEO, with subtitles, artwork and metadata), the active bundle of a season, recording a finished
// build, and the admin side (uploaded ZIPs, list, detail, label/expiry, delete).
import { and, asc, desc, eq, gt, inArray, isNotNull, isNull, or, sql } from "drizzle-orm";
import { bundles, episodes, mediaAssets, seasons, titles } from "../../db/schema";
import { AppError } from "../../lib/errors";
import { codeUnitOrder, librarySeasonMembers } from "../../lib/library-layout";
import { safeMemberName } from "../../lib/member-names";
import { isEmptyPatch } from "../../lib/patch";
import { keys } from "../../lib/storage-keys";
import type { Database } from "../../platform/db";
import { type AuditContext, audited, auditInsert } from "../audit/service";
import { type BundleJobRequest, type JobItem, MAX_DEFLATE_SOURCE_BYTES } from "./contract";

export type Bundle = typeof bundles.$inferSelect;

/** Preference when an episode has several downloadable files. */
export const BUNDLE_ASSET_PREFERENCE = ["ORIGINAL", "DOWNLOAD", "VIDEO"] as const;

export interface SeasonPlan {
  items: JobItem[];
  /** A library build's MANIFEST.json (the job adds it last); null for the flat layout. */
  library: BundleJobRequest["library"];
  /** Episodes left out because they have no uploaded downloadable file. */
  missing: { episodeId: string; episodeNumber: number }[];
}

/** "library": folders, sidecar subtitles, artwork and NFO files for media servers; "flat": the episodes' files only. */
export type BundleLayout = "library" | "flat";

type Asset = typeof mediaAssets.$inferSelect;
const extOf = (filename: string) => /\.([A-Za-z0-9]{1,8})$/.exec(filename)?.[1]?.toLowerCase() ?? "";
const byFilename = (a: Asset, b: Asset) => codeUnitOrder(a.filename, b.filename) || codeUnitOrder(a.id, b.id);

/**
 * The show's and the season's posters among a title's artwork (JPEG or PNG): an asset labelled (or,
 * without a label, named) "Season 2", "season02-poster" or "Season 2 Poster" is season 2's poster;
 * "poster", "cover" or "folder", or a label containing "poster", is the show's.
 */
function posters(artwork: Asset[], season: number): { show: Asset | null; season: Asset | null } {
  const usable = artwork.filter((a) => ["jpg", "jpeg", "png"].includes(extOf(a.filename))).sort(byFilename);
  const tag = (a: Asset) => (a.label ?? a.filename.replace(/\.[^.]*$/, "")).trim().toLowerCase();
  const seasonOf = (a: Asset) => /^season[\s_-]*0*(\d+)(?:[\s_-]*poster)?$/.exec(tag(a))?.[1];
  return {
    season: usable.find((a) => Number(seasonOf(a)) === season) ?? null,
    show: usable.find((a) => seasonOf(a) === undefined && /^(cover|folder)$|poster/.test(tag(a))) ?? null,
  };
}

/**
 * What goes into a season's ZIP: per episode in order the best video (ORIGINAL > DOWNLOAD > VIDEO),
 * and for the library layout its SRT/WebVTT subtitles, the show's and season's posters and NFO
 * metadata from the catalog, named by lib/library-layout.ts. Only uploaded files with a known size
 * count. Every member's time is its asset's creation (stable across metadata edits), and made text
 * takes the newest of those, so the same catalog gives the same archive.
 */
export async function planSeason(db: Database, titleId: string, season: number, layout: BundleLayout = "library"): Promise<SeasonPlan> {
  const library = layout === "library";
  // One round trip: the season's episodes, their files (and the title's artwork), the title.
  const seasonEpisodes = and(eq(episodes.titleId, titleId), eq(episodes.seasonNumber, season));
  const [eps, assets, [title]] = await db.batch([
    db.select().from(episodes).where(seasonEpisodes).orderBy(asc(episodes.episodeNumber)),
    db
      .select()
      .from(mediaAssets)
      .where(
        and(
          eq(mediaAssets.titleId, titleId),
          or(
            and(
              inArray(mediaAssets.episodeId, db.select({ id: episodes.id }).from(episodes).where(seasonEpisodes)),
              inArray(mediaAssets.kind, library ? [...BUNDLE_ASSET_PREFERENCE, "SUBTITLE"] : [...BUNDLE_ASSET_PREFERENCE]),
            ),
            library ? and(isNull(mediaAssets.episodeId), eq(mediaAssets.kind, "ARTWORK")) : sql`false`,
          ),
          isNotNull(mediaAssets.sizeBytes),
          sql`${mediaAssets.uploadState} <> 'pending'`,
        ),
      ),
    db
      .select({ name: titles.name, year: titles.year, overview: titles.overview, genres: titles.genres })
      .from(titles)
      .where(eq(titles.id, titleId)),
  ]);
  if (eps.length === 0) return { items: [], library: null, missing: [] };
  const mtime = (a: Asset) => a.createdAt.toISOString();
  const object = (a: Asset, name: string, method: "store" | "deflate"): JobItem => ({
    source_key: a.storageKey,
    name,
    size: a.sizeBytes ?? 0,
    crc32: a.crc32,
    sha256: a.sha256,
    etag: a.objectEtag,
    mtime: mtime(a),
    method,
  });
  const chosen: { episode: (typeof eps)[number]; video: Asset; subtitles: Asset[] }[] = [];
  const missing: SeasonPlan["missing"] = [];
  for (const e of eps) {
    const mine = assets.filter((a) => a.episodeId === e.id);
    const video = BUNDLE_ASSET_PREFERENCE.map((k) => mine.filter((a) => a.kind === k).sort(byFilename)[0]).find(Boolean);
    if (!video) {
      missing.push({ episodeId: e.id, episodeNumber: e.episodeNumber });
      continue;
    }
    const subtitles = mine
      .filter((a) => a.kind === "SUBTITLE" && ["srt", "vtt"].includes(extOf(a.filename)) && (a.sizeBytes ?? 0) <= MAX_DEFLATE_SOURCE_BYTES)
      .sort(byFilename); // the layout orders them by language and flags; ties keep this order
    chosen.push({ episode: e, video, subtitles });
  }
  // No episode has a video: nothing to bundle (an archive of NFO files alone is no season).
  if (chosen.length === 0) return { items: [], library: null, missing };
  if (!library || !title) {
    const tag = (n: number) => `S${String(season).padStart(2, "0")}E${String(n).padStart(2, "0")}`;
    return {
      items: chosen.map((c) => object(c.video, safeMemberName(`${tag(c.episode.episodeNumber)} - ${c.video.filename}`), "store")),
      library: null,
      missing,
    };
  }

  const art = posters(
    assets.filter((a) => a.kind === "ARTWORK"),
    season,
  );
  const byRef = new Map<string, Asset>();
  const ref = (a: Asset) => {
    byRef.set(a.storageKey, a);
    return a.storageKey;
  };
  const ext = (a: Asset) => (extOf(a.filename) === "jpeg" ? "jpg" : extOf(a.filename));
  const show = { name: title.name, year: title.year, overview: title.overview, genres: title.genres };
  const plan = librarySeasonMembers({
    show,
    season,
    showPosterExt: art.show ? ext(art.show) : null,
    showPosterRef: art.show ? ref(art.show) : null,
    seasonPosterExt: art.season ? ext(art.season) : null,
    seasonPosterRef: art.season ? ref(art.season) : null,
    episodes: chosen.map(({ episode: e, video, subtitles }) => ({
      episodeNumber: e.episodeNumber,
      name: e.name,
      overview: e.overview,
      airDate: e.airDate,
      runtimeMinutes: e.runtimeMinutes,
      videoExt: extOf(video.filename) || "bin",
      videoRef: ref(video),
      subtitles: subtitles.map((s) => ({
        language: s.language,
        label: s.label,
        isDefault: s.isDefault,
        isForced: s.isForced,
        format: extOf(s.filename) as "srt" | "vtt",
        ref: ref(s),
      })),
    })),
  });
  // Made text (NFO files, MANIFEST.json) takes the newest time among the files it describes.
  const newest = [...byRef.values()].map(mtime).sort().at(-1) ?? new Date(0).toISOString();
  const items = plan.members.map((m): JobItem => {
    if ("text" in m) return { name: m.name, text: m.text, mtime: newest };
    return object(byRef.get(m.ref) as Asset, m.name, m.method);
  });
  return { items, library: { name: plan.manifest, title: title.name, year: title.year, mtime: newest }, missing };
}

/** A bundle that may be delivered: ready and not expired at `now`. */
export const activeWhere = (now: Date) => and(eq(bundles.status, "ready"), or(isNull(bundles.expiresAt), gt(bundles.expiresAt, now)));

export async function activeBundle(db: Database, titleId: string, season: number, now: Date): Promise<Bundle | null> {
  const [b] = await db
    .select()
    .from(bundles)
    .where(and(eq(bundles.titleId, titleId), eq(bundles.seasonNumber, season), activeWhere(now)))
    .orderBy(desc(bundles.createdAt))
    .limit(1);
  return b ?? null;
}

export async function activeBundles(db: Database, titleId: string, now: Date): Promise<Bundle[]> {
  return db
    .select()
    .from(bundles)
    .where(and(eq(bundles.titleId, titleId), activeWhere(now)))
    .orderBy(asc(bundles.seasonNumber));
}

export async function seasonExists(db: Database, titleId: string, season: number): Promise<boolean> {
  const [s] = await db
    .select({ n: seasons.number })
    .from(seasons)
    .where(and(eq(seasons.titleId, titleId), eq(seasons.number, season)))
    .limit(1);
  return s !== undefined;
}

/** A finished rebuild: older bundles of the season are superseded (same key), the new one is ready. */
export async function recordBuiltBundle(
  db: Database,
  b: {
    titleId: string;
    season: number;
    zipKey: string;
    manifestKey: string;
    size: number;
    sha256: string;
    itemCount: number;
    expiresAt: Date;
    createdBy: string;
  },
  audit: AuditContext,
): Promise<Bundle> {
  const id = crypto.randomUUID();
  const [, rows] = await db.batch([
    db
      .update(bundles)
      .set({ status: "expired" })
      .where(and(eq(bundles.titleId, b.titleId), eq(bundles.seasonNumber, b.season), inArray(bundles.status, ["ready", "building"]))),
    db
      .insert(bundles)
      .values({
        id,
        titleId: b.titleId,
        seasonNumber: b.season,
        storageKey: b.zipKey,
        manifestKey: b.manifestKey,
        sizeBytes: b.size,
        sha256: b.sha256,
        itemCount: b.itemCount,
        status: "ready",
        source: "rebuild",
        expiresAt: b.expiresAt,
        createdBy: b.createdBy,
      })
      .returning(),
    auditInsert(db, audit, {
      action: "bundle.built",
      resourceType: "bundle",
      resourceId: id,
      details: { title_id: b.titleId, season: b.season, size: b.size, sha256: b.sha256, items: b.itemCount },
    }),
  ]);
  return rows[0] as Bundle;
}

// ---------------------------------------------------------------- admin

export async function getBundle(db: Database, id: string): Promise<Bundle> {
  const [b] = /^[0-9a-f-]{36}$/i.test(id) ? await db.select().from(bundles).where(eq(bundles.id, id)).limit(1) : [];
  if (!b) throw new AppError("NOT_FOUND", `No bundle with id ${id}.`);
  return b;
}

export async function listBundles(db: Database, titleId: string, includeExpired: boolean, now: Date): Promise<Bundle[]> {
  const where = includeExpired
    ? eq(bundles.titleId, titleId)
    : and(eq(bundles.titleId, titleId), or(eq(bundles.status, "building"), activeWhere(now)));
  return db.select().from(bundles).where(where).orderBy(asc(bundles.seasonNumber), desc(bundles.createdAt));
}

export async function createUploadedBundle(
  db: Database,
  input: { titleId: string; season: number; label: string | null; expiresAt: Date; createdBy: string },
  audit: AuditContext,
): Promise<Bundle> {
  const id = crypto.randomUUID();
  const write = db
    .insert(bundles)
    .values({
      id,
      titleId: input.titleId,
      seasonNumber: input.season,
      storageKey: keys.uploadedBundle(input.titleId, input.season, id),
      manifestKey: null,
      status: "building",
      source: "upload",
      label: input.label,
      expiresAt: input.expiresAt,
      createdBy: input.createdBy,
    })
    .returning();
  const rows = await audited(db, write, audit, "bundle.upload_start", ["bundle", id], { title_id: input.titleId, season: input.season });
  return rows[0] as Bundle;
}

export async function finalizeUploadedBundle(db: Database, id: string, size: number, audit: AuditContext): Promise<Bundle> {
  const b = await getBundle(db, id);
  if (b.source !== "upload" || b.status !== "building")
    throw new AppError("CONFLICT", "Only an uploaded bundle still being uploaded can be finalized.");
  const [, rows] = await db.batch([
    db
      .update(bundles)
      .set({ status: "expired" })
      .where(and(eq(bundles.titleId, b.titleId), eq(bundles.seasonNumber, b.seasonNumber), eq(bundles.status, "ready"))),
    db.update(bundles).set({ status: "ready", sizeBytes: size }).where(eq(bundles.id, id)).returning(),
    auditInsert(db, audit, { action: "bundle.upload_complete", resourceType: "bundle", resourceId: id, details: { size } }),
  ]);
  return rows[0] as Bundle;
}

export async function patchBundle(
  db: Database,
  id: string,
  patch: { label?: string | null; expiresAt?: Date | null },
  audit: AuditContext,
): Promise<Bundle> {
  const current = await getBundle(db, id);
  if (isEmptyPatch(patch)) return current;
  const write = db.update(bundles).set(patch).where(eq(bundles.id, id)).returning();
  const rows = await audited(db, write, audit, "bundle.update", ["bundle", id], { fields: Object.keys(patch) });
  return rows[0] as Bundle;
}

/**
 * Deletes a bundle row. Every build of a season writes the same key, so the objects go too only
 * when no other live (ready or building) row still points at them: deleting a superseded row
 * must not take the current archive with it.
 */
export async function deleteBundle(db: Database, id: string, audit: AuditContext): Promise<{ bundle: Bundle; orphanedKeys: string[] }> {
  const b = await getBundle(db, id);
  const [, , others] = await db.batch([
    db.delete(bundles).where(eq(bundles.id, id)),
    auditInsert(db, audit, {
      action: "bundle.delete",
      resourceType: "bundle",
      resourceId: id,
      details: { title_id: b.titleId, season: b.seasonNumber },
    }),
    db
      .select({ id: bundles.id })
      .from(bundles)
      .where(and(eq(bundles.storageKey, b.storageKey), inArray(bundles.status, ["ready", "building"])))
      .limit(1),
  ]);
  const orphanedKeys = others.length > 0 ? [] : [b.storageKey, ...(b.manifestKey ? [b.manifestKey] : [])];
  return { bundle: b, orphanedKeys };
}
