// Season bundles in the catalog: which files go in (episodes in order, per episode the best
// asset: ORIGINAL > DOWNLOAD > VIDEO), the active bundle of a season, recording a finished
// build, and the admin side (uploaded ZIPs, list, detail, label/expiry, delete).
import { and, asc, desc, eq, gt, inArray, isNotNull, isNull, or, sql } from "drizzle-orm";
import { bundles, episodes, mediaAssets, seasons } from "../../db/schema";
import { AppError } from "../../lib/errors";
import { safeMemberName } from "../../lib/member-names";
import { isEmptyPatch } from "../../lib/patch";
import { keys } from "../../lib/storage-keys";
import type { Database } from "../../platform/db";
import { type AuditContext, audited, auditInsert } from "../audit/service";
import type { JobItem } from "./contract";

export type Bundle = typeof bundles.$inferSelect;

/** Preference when an episode has several downloadable files. */
export const BUNDLE_ASSET_PREFERENCE = ["ORIGINAL", "DOWNLOAD", "VIDEO"] as const;

export interface SeasonPlan {
  items: JobItem[];
  /** Episodes left out because they have no uploaded downloadable file. */
  missing: { episodeId: string; episodeNumber: number }[];
}

export async function planSeason(db: Database, titleId: string, season: number): Promise<SeasonPlan> {
  const eps = await db
    .select()
    .from(episodes)
    .where(and(eq(episodes.titleId, titleId), eq(episodes.seasonNumber, season)))
    .orderBy(asc(episodes.episodeNumber));
  if (eps.length === 0) return { items: [], missing: [] };
  const assets = await db
    .select()
    .from(mediaAssets)
    .where(
      and(
        inArray(
          mediaAssets.episodeId,
          eps.map((e) => e.id),
        ),
        inArray(mediaAssets.kind, [...BUNDLE_ASSET_PREFERENCE]),
        isNotNull(mediaAssets.sizeBytes),
        sql`${mediaAssets.uploadState} <> 'pending'`,
      ),
    );
  const items: JobItem[] = [];
  const missing: SeasonPlan["missing"] = [];
  for (const e of eps) {
    const mine = assets.filter((a) => a.episodeId === e.id);
    const best = BUNDLE_ASSET_PREFERENCE.map(
      (k) => mine.filter((a) => a.kind === k).sort((x, y) => x.filename.localeCompare(y.filename))[0],
    ).find(Boolean);
    if (!best) {
      missing.push({ episodeId: e.id, episodeNumber: e.episodeNumber });
      continue;
    }
    const tag = `S${String(season).padStart(2, "0")}E${String(e.episodeNumber).padStart(2, "0")}`;
    items.push({
      source_key: best.storageKey,
      name: safeMemberName(`${tag} - ${best.filename}`),
      size: best.sizeBytes ?? 0,
      crc32: best.crc32,
      // The asset's own time (creation: stable across metadata edits, so rebuilds match).
      mtime: best.createdAt.toISOString(),
    });
  }
  return { items, missing };
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
