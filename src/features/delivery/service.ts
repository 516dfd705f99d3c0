// Which keys may be signed for download: a downloadable asset (ORIGINAL, DOWNLOAD, VIDEO,
// SUBTITLE) of a published title, or a ready, unexpired bundle of one. Everything else is 404,
// whatever it looks like. A whole batch is authorised with one database query, and the answer is
// kept in the edge cache under the catalog version (as catalog reads are): a warm presign asks no
// database, and any admin write, publish or finished bundle moves the version on, so what it
// changed is seen as fast as a catalog change is.
import { sql } from "drizzle-orm";
import { attachmentDisposition } from "../../lib/content-disposition";
import { AppError, type FieldError } from "../../lib/errors";
import type { Clock } from "../../platform/clock";
import type { Database } from "../../platform/db";
import type { AppConfig } from "../../platform/env";
import type { UrlSigner } from "../../platform/url-signer";
import { underCatalogVersion, type VersionedCacheDeps } from "../catalog/catalog-version";

export const DELIVERABLE_KINDS = ["ORIGINAL", "DOWNLOAD", "VIDEO", "SUBTITLE"] as const;

export interface Deliverable {
  storageKey: string;
  filename: string;
  contentType: string | null;
  sizeBytes: number | null;
  source: "asset" | "bundle";
  /** The asset's or bundle's id: the version its URL carries (a replaced file is another URL at the CDN). */
  version: string;
  /** A bundle's expiry (ISO), checked on every use, cached or not; null for assets. */
  expiresAt: string | null;
}

export type AuthorizeDeps = VersionedCacheDeps & { db: Database };

export async function authorizeKeys(deps: AuthorizeDeps, keys: string[]): Promise<Map<string, Deliverable>> {
  const unique = [...new Set(keys)].sort();
  if (unique.length === 0) return new Map();
  // One entry per set of keys: a batch of 50 is one lookup.
  const found = await underCatalogVersion(deps, "presign-auth", unique, () => queryDeliverables(deps.db, unique));
  return new Map(found.filter((d) => unexpired(d.expiresAt, deps.clock)).map((d) => [d.storageKey, d]));
}

/** Whether an answer kept in a cache (an ISO expiry, or none) still holds now. */
export const unexpired = (expiresAt: string | null, clock: Clock) => expiresAt === null || Date.parse(expiresAt) > clock.now().getTime();

async function queryDeliverables(db: Database, unique: string[]): Promise<Deliverable[]> {
  const kinds = sql.join(
    DELIVERABLE_KINDS.map((k) => sql`${k}`),
    sql`, `,
  );
  const rows = await db.execute<{
    storage_key: string;
    filename: string;
    content_type: string | null;
    size_bytes: string | null;
    source: "asset" | "bundle";
    version: string;
    expires_at: string | null;
  }>(sql`
    select a.storage_key, a.filename, a.content_type, a.size_bytes::text as size_bytes, 'asset' as source, a.id::text as version, null as expires_at
      from media_assets a join titles t on t.id = a.title_id
     where a.storage_key = any(${sql.param(unique)}::text[]) and a.kind in (${kinds}) and t.status = 'published'
       and a.upload_state <> 'pending'
    union all
    select b.storage_key, t.slug || '-S' || lpad(b.season_number::text, 2, '0') || '.zip', 'application/zip', b.size_bytes::text, 'bundle',
           b.id::text, to_char(b.expires_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
      from bundles b join titles t on t.id = b.title_id
     where b.storage_key = any(${sql.param(unique)}::text[]) and b.status = 'ready' and (b.expires_at is null or b.expires_at > now()) and t.status = 'published'`);
  return rows.rows.map((r) => ({
    storageKey: r.storage_key,
    filename: r.filename,
    contentType: r.content_type,
    sizeBytes: r.size_bytes === null ? null : Number(r.size_bytes),
    source: r.source,
    version: r.version,
    expiresAt: r.expires_at,
  }));
}

export function checkTtl(config: AppConfig, ttl: number | undefined, path: string): number {
  const value = ttl ?? config.PRESIGN_TTL_DEFAULT_SECONDS;
  if (value < config.PRESIGN_TTL_MIN_SECONDS || value > config.PRESIGN_TTL_MAX_SECONDS) {
    const message = `must be between ${config.PRESIGN_TTL_MIN_SECONDS} and ${config.PRESIGN_TTL_MAX_SECONDS} seconds`;
    throw new AppError("VALIDATION_FAILED", `${path}: ${message}`, { errors: [{ path, message }] });
  }
  return value;
}

export interface SignedDownload {
  storageKey: string;
  url: string;
  expiresAt: Date;
  filename: string;
  sizeBytes: number | null;
}

export async function signDownloads(
  deps: AuthorizeDeps & { signer: UrlSigner },
  items: { storageKey: string; attachmentFilename?: string | undefined }[],
  ttl: number,
  pathOf: (i: number) => string,
): Promise<SignedDownload[]> {
  const allowed = await authorizeKeys(
    deps,
    items.map((i) => i.storageKey),
  );
  const missing: FieldError[] = items.flatMap((it, i) =>
    allowed.has(it.storageKey) ? [] : [{ path: pathOf(i), message: "no downloadable file with this key" }],
  );
  if (missing.length) {
    throw new AppError(
      "NOT_FOUND",
      missing.length === 1 && items.length === 1
        ? "No downloadable file with that key."
        : `${missing.length} of ${items.length} keys are not downloadable.`,
      {
        errors: missing,
      },
    );
  }
  return Promise.all(
    items.map(async (it) => {
      const d = allowed.get(it.storageKey) as Deliverable;
      const filename = it.attachmentFilename ?? d.filename;
      const s = await deps.signer.signGet(d.storageKey, {
        expiresIn: ttl,
        disposition: attachmentDisposition(filename),
        version: d.version,
        ...(d.contentType ? { contentType: d.contentType } : {}),
      });
      return { storageKey: d.storageKey, url: s.url, expiresAt: s.expiresAt, filename, sizeBytes: d.sizeBytes };
    }),
  );
}
