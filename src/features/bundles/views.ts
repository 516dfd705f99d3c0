// JSON of bundles and of a season's build status.
import * as z from "zod";
import type { SeasonBundleStatus } from "./season-bundle";
import type { Bundle } from "./service";

export const bundleSchema = z
  .object({
    id: z.uuid(),
    title_id: z.uuid(),
    season_number: z.number().int(),
    storage_key: z.string(),
    manifest_key: z.string().nullable(),
    size_bytes: z.number().int().nullable(),
    sha256: z.string().nullable(),
    item_count: z.number().int().nullable(),
    label: z.string().nullable(),
    status: z.enum(["building", "ready", "failed", "expired"]),
    source: z.enum(["rebuild", "upload"]),
    expires_at: z.string().nullable(),
    created_by: z.string().nullable(),
    created_at: z.string(),
  })
  .meta({ id: "Bundle" });

export const bundleJson = (b: Bundle): z.infer<typeof bundleSchema> => ({
  id: b.id,
  title_id: b.titleId,
  season_number: b.seasonNumber,
  storage_key: b.storageKey,
  manifest_key: b.manifestKey,
  size_bytes: b.sizeBytes,
  sha256: b.sha256,
  item_count: b.itemCount,
  label: b.label,
  status: b.status,
  source: b.source,
  expires_at: b.expiresAt?.toISOString() ?? null,
  created_by: b.createdBy,
  created_at: b.createdAt.toISOString(),
});

export const buildStatusSchema = z
  .object({
    state: z.enum(["idle", "queued", "building", "ready", "failed"]),
    attempt: z.number().int(),
    progress: z
      .object({
        bytes_done: z.number(),
        bytes_total: z.number(),
        items_done: z.number().optional(),
        items_total: z.number().optional(),
        phase: z.string().optional(),
      })
      .nullable(),
    error: z.string().nullable(),
    last_built_at: z.string().nullable(),
    cooldown_until: z.string().nullable(),
  })
  .meta({
    id: "BundleBuildStatus",
    examples: [
      {
        state: "building",
        attempt: 1,
        progress: { bytes_done: 1288490188, bytes_total: 4294967296, items_done: 3, items_total: 10, phase: "writing" },
        error: null,
        last_built_at: null,
        cooldown_until: null,
      },
    ],
  });

/**
 * A season's build status. The job's own error text (S3 keys, hosts, driver messages) is for
 * admins; the public answer says only that the last build failed.
 */
export const buildStatusJson = (s: SeasonBundleStatus, audience: "admin" | "public"): z.infer<typeof buildStatusSchema> => ({
  state: s.state,
  attempt: s.attempt,
  progress: s.progress,
  error:
    s.error === null
      ? null
      : audience === "admin"
        ? s.error
        : s.state === "failed"
          ? "The last build failed."
          : "A build attempt failed; it is being retried.",
  last_built_at: s.lastBuiltAt,
  cooldown_until: s.cooldownUntil,
});
