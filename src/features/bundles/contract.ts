// The season-bundle job protocol and the manifest, declared once: the Worker (the SeasonBundle
// object and checksums) sends and reads these, the job service (container/) validates them, and
// the CLI writes the same manifest. Every type is inferred from its schema.
//
// What a job may touch is part of the protocol: members only from uploaded originals and
// downloads, outputs only the season's own bundle and manifest keys, checksums only of asset
// objects, every key plain (no empty, "." or ".." segments, no backslash, nothing absolute).
import * as z from "zod";
import { keys } from "../../lib/storage-keys";

const plainKey = (k: string) =>
  !k.startsWith("/") && !k.includes("\\") && k.split("/").every((seg) => seg !== "" && seg !== "." && seg !== "..");
/** Bundle members come from uploaded originals and downloads only. */
export const BUNDLE_SOURCE_PREFIXES = ["originals/", "downloads/"] as const;
/** A checksum may be asked of any asset's object, never of a bundle. */
export const CHECKSUM_PREFIXES = ["originals/", "downloads/", "hls/", "artwork/title/", "subs/title/"] as const;
const keyUnder = (prefixes: readonly string[]) =>
  z
    .string()
    .min(1)
    .max(1024)
    .refine((k) => plainKey(k) && prefixes.some((p) => k.startsWith(p)), `must be a key under ${prefixes.join(", ")}`);

/** The key a season's output must have; null when the title or season is malformed (refused elsewhere). */
const seasonKey = (make: (t: string, s: number) => string, titleId: string, season: number): string | null => {
  try {
    return make(titleId, season);
  } catch {
    return null;
  }
};

const jobId = z.string().regex(/^[\w.:-]{1,200}$/);

export const jobItemSchema = z.object({
  source_key: keyUnder(BUNDLE_SOURCE_PREFIXES),
  /** The member's name in the archive (made safe by lib/member-names.ts). */
  name: z.string().min(1).max(500),
  size: z.number().int().min(0),
  /** Known CRC-32 of the source; null: the job measures it first. */
  crc32: z.number().int().min(0).max(0xffffffff).nullable(),
  mtime: z.iso.datetime({ offset: true }),
});

export const bundleJobRequestSchema = z
  .object({
    id: jobId,
    type: z.literal("bundle"),
    zip_key: z.string().min(1),
    manifest_key: z.string().min(1),
    title_id: z.uuid(),
    season_number: z.number().int().min(0).max(9999),
    items: z.array(jobItemSchema).min(1).max(10_000),
  })
  // The outputs are the season's own keys: a job can't be pointed at any other object.
  .refine((j) => j.zip_key === seasonKey(keys.bundle, j.title_id, j.season_number), {
    path: ["zip_key"],
    message: "must be the season's bundle key",
  })
  .refine((j) => j.manifest_key === seasonKey(keys.bundleManifest, j.title_id, j.season_number), {
    path: ["manifest_key"],
    message: "must be the season's manifest key",
  });

/** SHA-256 and CRC-32 of one object too large to hash inside the Worker. */
export const checksumJobRequestSchema = z.object({ id: jobId, type: z.literal("checksum"), key: keyUnder(CHECKSUM_PREFIXES) });

export const jobRequestSchema = z.discriminatedUnion("type", [bundleJobRequestSchema, checksumJobRequestSchema]);

export const bundleProgressSchema = z.object({
  bytes_done: z.number(),
  bytes_total: z.number(),
  items_done: z.number(),
  items_total: z.number(),
  phase: z.enum(["measuring", "writing", "finishing"]),
});
const checksumProgressSchema = z.object({ bytes_done: z.number(), bytes_total: z.number() });

export const manifestItemSchema = z.object({
  name: z.string(),
  size: z.number().int(),
  sha256: z.string(),
  crc32: z.number().int(),
  source_key: z.string(),
});

export const bundleJobResultSchema = z.object({
  zip_key: z.string(),
  manifest_key: z.string(),
  size: z.number().int(),
  sha256: z.string(),
  item_count: z.number().int(),
  items: z.array(manifestItemSchema),
});

export const checksumJobResultSchema = z.object({ key: z.string(), size: z.number().int(), sha256: z.string(), crc32: z.number().int() });

export const jobStatusSchema = z.object({
  id: z.string(),
  type: z.enum(["bundle", "checksum"]),
  state: z.enum(["running", "succeeded", "failed", "cancelled"]),
  progress: z.union([bundleProgressSchema, checksumProgressSchema]).nullable(),
  result: z.union([bundleJobResultSchema, checksumJobResultSchema]).nullable(),
  error: z.string().nullable(),
  started_at: z.string(),
  finished_at: z.string().nullable(),
});

/** The manifest beside a season ZIP (the CLI's has no title or season: it builds from local files). */
export const bundleManifestSchema = z.object({
  title_id: z.uuid().optional(),
  season_number: z.number().int().optional(),
  archive: z.object({
    key: z.string(),
    size: z.number().int(),
    sha256: z.string(),
    format: z.enum(["zip", "zip64"]),
    method: z.literal("store"),
  }),
  items: z.array(manifestItemSchema),
});

export type JobItem = z.infer<typeof jobItemSchema>;
export type BundleJobRequest = z.infer<typeof bundleJobRequestSchema>;
export type ChecksumJobRequest = z.infer<typeof checksumJobRequestSchema>;
export type JobRequest = z.infer<typeof jobRequestSchema>;
export type BundleProgress = z.infer<typeof bundleProgressSchema>;
export type BundleJobResult = z.infer<typeof bundleJobResultSchema>;
export type ChecksumJobResult = z.infer<typeof checksumJobResultSchema>;
export type JobStatus = z.infer<typeof jobStatusSchema>;
export type BundleManifest = z.infer<typeof bundleManifestSchema>;

export const isBundleResult = (r: JobStatus["result"]): r is BundleJobResult => r !== null && "zip_key" in r;
export const isChecksumResult = (r: JobStatus["result"]): r is ChecksumJobResult => r !== null && "crc32" in r && !("zip_key" in r);
