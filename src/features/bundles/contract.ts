// The season-bundle wire shapes, declared once: the job protocol and the manifest (the Worker's
// SeasonBundle object and checksums send and read these, the job service in container/ validates
// them, the CLI writes the same manifest), and the bundles and build status the API answers.
// Every type is inferred from its schema.
//
// What a job may touch is part of the protocol: members only from uploaded originals, downloads,
// subtitles and artwork (or text it is given), outputs only the season's own bundle and manifest keys, checksums only of asset
// objects, every key plain (no empty, "." or ".." segments, no backslash, nothing absolute).
import * as z from "zod";
import { keys } from "../../lib/storage-keys";
import { type RowFor, toWire } from "../../lib/wire";

const plainKey = (k: string) =>
  !k.startsWith("/") && !k.includes("\\") && k.split("/").every((seg) => seg !== "" && seg !== "." && seg !== "..");
/** Bundle members come from uploaded originals and downloads, and subtitles and artwork. */
export const BUNDLE_SOURCE_PREFIXES = ["originals/", "downloads/", "subs/title/", "artwork/title/"] as const;
/** A member DEFLATEd by the job (a subtitle) is read whole into memory first: it must be small. */
export const MAX_DEFLATE_SOURCE_BYTES = 8 * 1024 * 1024;
/** A text member the job is given (an NFO file): UTF-16 code units, well past any catalog field. */
const MAX_TEXT_MEMBER_CHARS = 256 * 1024;
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

const memberName = z.string().min(1).max(500);
const memberTime = z.iso.datetime({ offset: true });
/** An object version's S3 ETag; a read sends it as If-Match, so a replaced object fails instead of giving other bytes. */
const sourceEtag = z.string().min(1).max(200).nullable().default(null);

/** A member read from S3: STORED as it is, or (small text such as subtitles) DEFLATEd. */
export const objectItemSchema = z
  .object({
    source_key: keyUnder(BUNDLE_SOURCE_PREFIXES),
    /** The member's name in the archive (made safe by lib/member-names.ts). */
    name: memberName,
    size: z.number().int().min(0),
    /** Known CRC-32 of the source; null: the job measures it first. */
    crc32: z.number().int().min(0).max(0xffffffff).nullable(),
    /**
     * Recorded SHA-256 of the source, when known. Beside a CRC-32 and an ETag it is the service's own
     * (computed from that version): the job checks the CRC-32 as the bytes pass and does not hash
     * them again. Otherwise (given by an operator) the job hashes the member and fails rather than
     * archive other bytes.
     */
    sha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/)
      .nullable()
      .default(null),
    /** The S3 ETag of the version the CRC-32/SHA-256 were recorded from: read with If-Match. */
    etag: sourceEtag,
    mtime: memberTime,
    method: z.enum(["store", "deflate"]).default("store"),
  })
  .refine((i) => i.method === "store" || i.size <= MAX_DEFLATE_SOURCE_BYTES, {
    path: ["size"],
    message: `a DEFLATEd member is at most ${MAX_DEFLATE_SOURCE_BYTES} bytes`,
  });

/** A member whose text is given (NFO files), written DEFLATEd as UTF-8. */
export const textItemSchema = z.object({ name: memberName, text: z.string().max(MAX_TEXT_MEMBER_CHARS), mtime: memberTime });

export const jobItemSchema = z.union([objectItemSchema, textItemSchema]);

/** A library-layout build: the job adds MANIFEST.json (every other member's size, CRC-32, SHA-256) last. */
const libraryManifestSchema = z.object({
  name: memberName,
  title: z.string().max(1000),
  year: z.number().int().nullable(),
  mtime: memberTime,
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
    library: libraryManifestSchema.nullable().default(null),
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
export const checksumJobRequestSchema = z.object({
  id: jobId,
  type: z.literal("checksum"),
  key: keyUnder(CHECKSUM_PREFIXES),
  /** The version (S3 ETag) to hash: the job fails rather than hash a replacement. */
  if_match: sourceEtag,
});

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
  /** The object (or, from the CLI, the file) it was read from; null for text made by the build (NFO, MANIFEST.json). */
  source_key: z.string().nullable(),
  method: z.enum(["store", "deflate"]),
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
    /** "store": every member STORED (flat layout); "store+deflate": videos STORED, text DEFLATEd (library layout). */
    method: z.enum(["store", "store+deflate"]),
    layout: z.enum(["flat", "library"]),
  }),
  items: z.array(manifestItemSchema),
});

export type JobItem = z.infer<typeof jobItemSchema>;
export type ObjectItem = z.infer<typeof objectItemSchema>;
export const isTextItem = (i: JobItem): i is z.infer<typeof textItemSchema> => "text" in i;
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

// A season's build, as its SeasonBundle object reports it.

export const bundleStates = ["idle", "queued", "building", "ready", "failed"] as const;
export type BundleState = (typeof bundleStates)[number];
/** What SeasonBundle.status() and request() answer (over RPC). */
export interface SeasonBundleStatus {
  state: BundleState;
  titleId: string | null;
  seasonNumber: number | null;
  attempt: number;
  progress: JobStatus["progress"];
  error: string | null;
  bundleId: string | null;
  lastBuiltAt: string | null;
  cooldownUntil: string | null;
  updatedAt: string | null;
}

// The API's bundles and build status.

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

/** The columns a bundle row has (structural, so the job service and the CLI need no database types). */
type BundleRow = RowFor<z.infer<typeof bundleSchema>>;
export const bundleJson = (b: BundleRow): z.infer<typeof bundleSchema> => toWire(bundleSchema, b);

/** A bundle as the delivery routes show it: no storage keys, no creator. */
export const bundleSummarySchema = bundleSchema.omit({ storage_key: true, manifest_key: true, created_by: true });
export const bundleSummaryJson = (b: BundleRow): z.infer<typeof bundleSummarySchema> => toWire(bundleSummarySchema, b);

/** A season's active bundle in a title's public list. */
export const publicBundleSchema = z
  .object({
    season_number: z.number().int(),
    size_bytes: z.number().int().nullable(),
    sha256: z.string().nullable(),
    item_count: z.number().int().nullable(),
    label: z.string().nullable(),
    expires_at: z.string().nullable(),
  })
  .meta({ id: "PublicBundle" });
export const publicBundleJson = (b: BundleRow): z.infer<typeof publicBundleSchema> => toWire(publicBundleSchema, b);

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

/** A queued build the job service had no place for yet (503 + Retry-After): nothing failed. */
export const WAITING_FOR_RUNNER = "The build service is busy; this build starts as soon as a place is free.";

/**
 * A season's build status. The job's own error text (S3 keys, hosts, driver messages) is for
 * admins; the public answer says only that the last build failed, or that it waits for a place.
 */
export const buildStatusJson = (s: SeasonBundleStatus, audience: "admin" | "public"): z.infer<typeof buildStatusSchema> => ({
  state: s.state,
  attempt: s.attempt,
  progress: s.progress,
  error:
    s.error === null
      ? null
      : audience === "admin" || s.error === WAITING_FOR_RUNNER
        ? s.error
        : s.state === "failed"
          ? "The last build failed."
          : "A build attempt failed; it is being retried.",
  last_built_at: s.lastBuiltAt,
  cooldown_until: s.cooldownUntil,
});
