// Which keys may be signed for download: a downloadable asset (ORIGINAL, DOWNLOAD, VIDEO,
// SUBTITLE) of a published title, or a ready, unexpired bundle of one. Everything else is 404,
// whatever it looks like. A whole batch is authorised with one database query.
import { sql } from "drizzle-orm";
import { attachmentDisposition } from "../../lib/content-disposition";
import { AppError, type FieldError } from "../../lib/errors";
import type { Database } from "../../platform/db";
import type { AppConfig } from "../../platform/env";
import type { UrlSigner } from "../../platform/url-signer";

export const DELIVERABLE_KINDS = ["ORIGINAL", "DOWNLOAD", "VIDEO", "SUBTITLE"] as const;

export interface Deliverable {
  storageKey: string;
  filename: string;
  contentType: string | null;
  sizeBytes: number | null;
  source: "asset" | "bundle";
}

export async function authorizeKeys(db: Database, keys: string[]): Promise<Map<string, Deliverable>> {
  const unique = [...new Set(keys)];
  if (unique.length === 0) return new Map();
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
  }>(sql`
    select a.storage_key, a.filename, a.content_type, a.size_bytes::text as size_bytes, 'asset' as source
      from media_assets a join titles t on t.id = a.title_id
     where a.storage_key = any(${sql.param(unique)}::text[]) and a.kind in (${kinds}) and t.status = 'published'
       and a.upload_state <> 'pending'
    union all
    select b.storage_key, t.slug || '-S' || lpad(b.season_number::text, 2, '0') || '.zip', 'application/zip', b.size_bytes::text, 'bundle'
      from bundles b join titles t on t.id = b.title_id
     where b.storage_key = any(${sql.param(unique)}::text[]) and b.status = 'ready' and (b.expires_at is null or b.expires_at > now()) and t.status = 'published'`);
  return new Map(
    rows.rows.map((r) => [
      r.storage_key,
      {
        storageKey: r.storage_key,
        filename: r.filename,
        contentType: r.content_type,
        sizeBytes: r.size_bytes === null ? null : Number(r.size_bytes),
        source: r.source,
      },
    ]),
  );
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
  deps: { db: Database; signer: UrlSigner },
  items: { storageKey: string; attachmentFilename?: string | undefined }[],
  ttl: number,
  pathOf: (i: number) => string,
): Promise<SignedDownload[]> {
  const allowed = await authorizeKeys(
    deps.db,
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
        ...(d.contentType ? { contentType: d.contentType } : {}),
      });
      return { storageKey: d.storageKey, url: s.url, expiresAt: s.expiresAt, filename, sizeBytes: d.sizeBytes };
    }),
  );
}
