// The one place object keys are built (the layout is in docs/architecture.md). Keys come from ids and sanitised
// filenames, never raw from clients.
import * as z from "zod";
export const STREAM_TIERS = [480, 720, 1080] as const;
export type StreamTier = (typeof STREAM_TIERS)[number];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function id(v: string, what: string): string {
  if (!UUID.test(v)) throw new TypeError(`${what} must be a UUID, got ${JSON.stringify(v)}`);
  return v.toLowerCase();
}

/**
 * Control characters (C0, DEL, C1). A storage key or filename a client sends with one is refused
 * (400), not cleaned: a newline in a key is never what anyone meant, and text that reaches cache
 * keys, headers and logs must mean one thing.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;

/** A storage key or filename as a request field: 1–`max` characters, none of them a control character. */
export const plainText = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .refine((s) => !CONTROL_CHARACTERS.test(s), "must not contain control characters (line breaks, tabs, NUL)");

/** A filename safe as one key segment: no slashes, no control characters, no dot-only names. */
export function safeFilename(name: string): string {
  const cleaned = name
    .normalize("NFC")
    // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
    .replace(/[\u0000-\u001f\u007f/\\]+/g, "_")
    .trim()
    .slice(0, 200);
  if (cleaned === "" || /^\.+$/.test(cleaned)) throw new TypeError(`unusable filename ${JSON.stringify(name)}`);
  return cleaned;
}

const scope = (titleId: string, episodeId?: string | null) =>
  episodeId ? `${id(titleId, "titleId")}/${id(episodeId, "episodeId")}` : id(titleId, "titleId");

export const keys = {
  original: (titleId: string, episodeId: string | null | undefined, filename: string) =>
    `originals/${scope(titleId, episodeId)}/${safeFilename(filename)}`,
  download: (titleId: string, episodeId: string | null | undefined, quality: string, filename: string) =>
    `downloads/${scope(titleId, episodeId)}/${safeFilename(quality)}/${safeFilename(filename)}`,
  hls: (titleId: string, episodeId: string | null | undefined, tier: StreamTier, file: string) =>
    `hls/${scope(titleId, episodeId)}/${tier}p/${safeFilename(file)}`,
  hlsPrefix: (titleId: string, episodeId: string | null | undefined, tier: StreamTier) => `hls/${scope(titleId, episodeId)}/${tier}p/`,
  bundle: (titleId: string, season: number) => `bundles/${id(titleId, "titleId")}/S${seasonPart(season)}.zip`,
  bundleManifest: (titleId: string, season: number) => `bundles/${id(titleId, "titleId")}/S${seasonPart(season)}.manifest.json`,
  /** An operator's uploaded season ZIP: its own key, so a PUT in progress never replaces the live archive. */
  uploadedBundle: (titleId: string, season: number, bundleId: string) =>
    `bundles/${id(titleId, "titleId")}/S${seasonPart(season)}.upload-${id(bundleId, "bundleId")}.zip`,
  artwork: (titleId: string, filename: string) => `artwork/title/${id(titleId, "titleId")}/${safeFilename(filename)}`,
  subtitle: (titleId: string, episodeId: string | null | undefined, filename: string) =>
    `subs/title/${scope(titleId, episodeId)}/${safeFilename(filename)}`,
  /** Every prefix an episode's objects live under (for clean-up when it is deleted). */
  episodePrefixes: (titleId: string, episodeId: string) => {
    const s = scope(titleId, episodeId);
    return [`originals/${s}/`, `downloads/${s}/`, `hls/${s}/`, `subs/title/${s}/`];
  },
  /** Every prefix a title's objects live under (for clean-up when it is deleted). */
  titlePrefixes: (titleId: string) => {
    const t = id(titleId, "titleId");
    return [`originals/${t}/`, `downloads/${t}/`, `hls/${t}/`, `bundles/${t}/`, `artwork/title/${t}/`, `subs/title/${t}/`];
  },
};

function seasonPart(season: number): string {
  if (!Number.isInteger(season) || season < 0 || season > 9999) throw new TypeError(`season must be an integer 0–9999, got ${season}`);
  return String(season).padStart(2, "0");
}
