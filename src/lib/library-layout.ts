// Where each file of a season goes inside a library-ready season ZIP, named as Jellyfin, Plex and
// Kodi document for TV folders, and the Kodi NFO metadata beside it:
//
//   {Title} ({Year})/tvshow.nfo, poster.{ext}, MANIFEST.json
//   {Title} ({Year})/Season 01/{Title} - S01E01 - {Episode}.{ext}
//   {Title} ({Year})/Season 01/{Title} - S01E01 - {Episode}.{lang}[.default][.forced].{srt|vtt}
//   {Title} ({Year})/Season 01/{Title} - S01E01 - {Episode}.nfo
//   {Title} ({Year})/Season 01/season01-poster.{ext}
//
// Pure: names and NFO text only, from catalog fields; the archive writer (zip64.ts) places them.
// Every name goes through member-names.ts (the one place that makes names safe for extractors),
// and titles and episode names are shortened (whole code points) so a path stays well inside
// Windows' 260-character limit with room for the folder it is extracted to, never losing the
// SxxEyy tag. Names that come out equal (two tracks of one language, names that differ only in
// Unicode normalisation) are told apart, so every member name is distinct.
import { safeNameSegment } from "./member-names";

export interface LibraryShow {
  name: string;
  year: number | null;
  overview: string | null;
  genres: string[];
}

export interface LibrarySubtitle {
  /** BCP 47 / ISO 639 code as catalogued ("en", "pt-BR"), or null when unknown. */
  language: string | null;
  label: string | null;
  isDefault: boolean;
  isForced: boolean;
  format: "srt" | "vtt";
}

export interface LibraryEpisode {
  episodeNumber: number;
  name: string | null;
  overview: string | null;
  /** YYYY-MM-DD */
  airDate: string | null;
  runtimeMinutes: number | null;
  /** The video's extension without the dot ("mkv"), from its uploaded filename. */
  videoExt: string;
  subtitles: LibrarySubtitle[];
}

export interface LibrarySeasonInput {
  show: LibraryShow;
  season: number;
  episodes: LibraryEpisode[];
  /** Extensions of the artwork to include ("jpg" | "png"), when there is any. */
  showPosterExt?: string | null;
  seasonPosterExt?: string | null;
}

export interface LibraryEpisodeNames {
  episodeNumber: number;
  video: string;
  nfo: string;
  /** In the order of the episode's `subtitles`. */
  subtitles: string[];
}

export interface LibraryNames {
  showFolder: string;
  seasonFolder: string;
  tvshowNfo: string;
  manifest: string;
  showPoster: string | null;
  seasonPoster: string | null;
  episodes: LibraryEpisodeNames[];
}

/**
 * What is kept of a title and of an episode name (code points, and UTF-8 bytes for scripts of
 * several bytes each): a file name stays under the 255-byte limit of common file systems with
 * every suffix a sidecar can take, and a whole path well under Windows' 260 characters.
 */
export const MAX_NAME_CHARS = 50;
const MAX_NAME_BYTES = 80;
const MAX_LABEL_CHARS = 20;
const MAX_LABEL_BYTES = 24;
const MAX_LANGUAGE_BYTES = 16;

const pad2 = (n: number) => String(n).padStart(2, "0");
const utf8 = new TextEncoder();
/** At most `chars` code points and `bytes` UTF-8 bytes, without a trailing space, dot or dash left by the cut. */
function shorten(s: string, chars: number, bytes: number): string {
  const cps = Array.from(s).slice(0, chars);
  while (cps.length > 0 && utf8.encode(cps.join("")).length > bytes) cps.pop();
  const cut = cps.join("");
  return cut === s ? s : cut.replace(/[\s.\-–]+$/u, "");
}
const cleanExt = (ext: string) => safeNameSegment(ext.replace(/^\./, "").toLowerCase()) || "bin";

export function libraryNames(input: LibrarySeasonInput): LibraryNames {
  const title = shorten(safeNameSegment(input.show.name), MAX_NAME_CHARS, MAX_NAME_BYTES) || "Untitled";
  const showFolder = safeNameSegment(input.show.year ? `${title} (${input.show.year})` : title);
  const seasonFolder = `${showFolder}/${safeNameSegment(`Season ${pad2(input.season)}`)}`;
  const taken = new Set<string>();
  // Distinct after normalisation and case folding (Windows and macOS folders ignore case).
  const claim = (name: string, alternative: (n: number) => string): string => {
    let candidate = name;
    for (let n = 2; taken.has(candidate.normalize("NFC").toLowerCase()); n++) candidate = alternative(n);
    taken.add(candidate.normalize("NFC").toLowerCase());
    return candidate;
  };
  const fixed = (name: string) => claim(name, (n) => `${name} (${n})`);
  const tvshowNfo = fixed(`${showFolder}/tvshow.nfo`);
  const manifest = fixed(`${showFolder}/MANIFEST.json`);
  const showPoster = input.showPosterExt ? fixed(`${showFolder}/poster.${cleanExt(input.showPosterExt)}`) : null;
  const seasonPoster = input.seasonPosterExt
    ? fixed(`${seasonFolder}/season${pad2(input.season)}-poster.${cleanExt(input.seasonPosterExt)}`)
    : null;

  const episodes = [...input.episodes]
    .sort((a, b) => a.episodeNumber - b.episodeNumber)
    .map((ep) => {
      const tag = `S${pad2(input.season)}E${pad2(ep.episodeNumber)}`;
      const epName = ep.name ? shorten(safeNameSegment(ep.name), MAX_NAME_CHARS, MAX_NAME_BYTES) : "";
      const stem = claim(
        `${seasonFolder}/${title} - ${tag}${epName ? ` - ${epName}` : ""}`,
        (n) => `${seasonFolder}/${title} - ${tag} (${n})`,
      );
      const video = claim(`${stem}.${cleanExt(ep.videoExt)}`, (n) => `${stem} (${n}).${cleanExt(ep.videoExt)}`);
      const nfo = claim(`${stem}.nfo`, (n) => `${stem} (${n}).nfo`);
      const subtitles = ep.subtitles.map((s, i) => {
        const lang = s.language ? shorten(safeNameSegment(s.language.toLowerCase()), MAX_LANGUAGE_BYTES, MAX_LANGUAGE_BYTES) : "";
        const flags = `${lang ? `.${lang}` : ""}${s.isDefault ? ".default" : ""}${s.isForced ? ".forced" : ""}`;
        // A second track with the same language and flags keeps them and adds its label (or number).
        const extra = (n: number) =>
          `.${s.label ? shorten(safeNameSegment(s.label), MAX_LABEL_CHARS, MAX_LABEL_BYTES) : `track${i + 1}`}${n > 2 ? `-${n - 1}` : ""}`;
        return claim(`${stem}${flags}.${s.format}`, (n) => `${stem}${flags}${extra(n)}.${s.format}`);
      });
      return { episodeNumber: ep.episodeNumber, video, nfo, subtitles };
    });
  return { showFolder, seasonFolder, tvshowNfo, manifest, showPoster, seasonPoster, episodes };
}

// ---------------------------------------------------------------- Kodi NFO

const XML_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" };
/** Text as XML character data: markup escaped, and characters XML 1.0 forbids dropped. */
function xmlText(s: string): string {
  return (
    s
      // biome-ignore lint/suspicious/noControlCharactersInRegex: dropping what XML 1.0 forbids is the point
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, "")
      .replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "")
      .replace(/[&<>"']/g, (c) => XML_ESCAPES[c] as string)
  );
}
const element = (tag: string, value: string | number | null | undefined) =>
  value === null || value === undefined || value === "" ? [] : [`  <${tag}>${xmlText(String(value))}</${tag}>`];
const document = (root: string, children: string[]) =>
  `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<${root}>\n${children.join("\n")}${children.length ? "\n" : ""}</${root}>\n`;

/** tvshow.nfo: the show's title, year, plot and genres. */
export function tvshowNfo(show: LibraryShow): string {
  return document("tvshow", [
    ...element("title", show.name),
    ...element("year", show.year),
    ...element("plot", show.overview),
    ...show.genres.flatMap((g) => element("genre", g)),
  ]);
}

/** An episode's NFO (Kodi's episodedetails): title, show title, season, episode, aired, plot, runtime. */
export function episodeNfo(show: LibraryShow, season: number, ep: LibraryEpisode): string {
  return document("episodedetails", [
    ...element("title", ep.name ?? `Episode ${ep.episodeNumber}`),
    ...element("showtitle", show.name),
    ...element("season", season),
    ...element("episode", ep.episodeNumber),
    ...element("aired", ep.airDate),
    ...element("plot", ep.overview),
    ...element("runtime", ep.runtimeMinutes),
  ]);
}

// ---------------------------------------------------------------- the season's members, in order

/** Where a member's bytes come from: an S3 key for the job, a file path for the CLI. */
export type SourceRef = string;

export interface SourcedSeasonInput extends Omit<LibrarySeasonInput, "episodes"> {
  episodes: (Omit<LibraryEpisode, "subtitles"> & { videoRef: SourceRef; subtitles: (LibrarySubtitle & { ref: SourceRef })[] })[];
  showPosterRef?: SourceRef | null;
  seasonPosterRef?: SourceRef | null;
}

/**
 * An episode's subtitles in the archive: by language, the default track first and forced ones
 * last, then by label; otherwise as given (the sort is stable: callers give them by file name).
 */
export const subtitleOrder = (a: LibrarySubtitle, b: LibrarySubtitle): number =>
  codeUnitOrder(a.language ?? "", b.language ?? "") ||
  Number(b.isDefault) - Number(a.isDefault) ||
  Number(a.isForced) - Number(b.isForced) ||
  codeUnitOrder(a.label ?? "", b.label ?? "");

/** Strings by UTF-16 code units: the same order in every runtime, unlike localeCompare (ICU, locale). */
export const codeUnitOrder = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * One member of a library-ready season ZIP: bytes from a source (videos and artwork STORED,
 * subtitles DEFLATEd) or text made here (NFO files, DEFLATEd).
 */
export type PlannedMember = { name: string; ref: SourceRef; method: "store" | "deflate" } | { name: string; text: string };

/**
 * Every member of a library-ready season ZIP in archive order (show metadata and artwork, then
 * each episode's video, subtitles and NFO), and the name of MANIFEST.json, which the writer adds
 * last: it lists every other member with its SHA-256, known only once they are read.
 */
export function librarySeasonMembers(given: SourcedSeasonInput): { members: PlannedMember[]; manifest: string } {
  const input = { ...given, episodes: given.episodes.map((e) => ({ ...e, subtitles: [...e.subtitles].sort(subtitleOrder) })) };
  const names = libraryNames(input);
  const members: PlannedMember[] = [{ name: names.tvshowNfo, text: tvshowNfo(input.show) }];
  if (names.showPoster && input.showPosterRef) members.push({ name: names.showPoster, ref: input.showPosterRef, method: "store" });
  if (names.seasonPoster && input.seasonPosterRef) members.push({ name: names.seasonPoster, ref: input.seasonPosterRef, method: "store" });
  const byNumber = new Map(input.episodes.map((e) => [e.episodeNumber, e]));
  for (const n of names.episodes) {
    const ep = byNumber.get(n.episodeNumber);
    if (!ep) continue;
    members.push({ name: n.video, ref: ep.videoRef, method: "store" });
    for (const [i, s] of ep.subtitles.entries()) members.push({ name: n.subtitles[i] as string, ref: s.ref, method: "deflate" });
    members.push({ name: n.nfo, text: episodeNfo(input.show, input.season, ep) });
  }
  return { members, manifest: names.manifest };
}

export interface ManifestMember {
  name: string;
  size: number;
  crc32: number;
  sha256: string;
}

/**
 * MANIFEST.json inside a library ZIP: the show, the season and every other member with its size,
 * CRC-32 (8 hex digits, as `unzip -v` and 7-Zip print it) and SHA-256, so a copy can be checked
 * with sha256sum long after the download. Deterministic: the same members give the same bytes.
 */
export function libraryManifestText(show: Pick<LibraryShow, "name" | "year">, season: number, members: ManifestMember[]): string {
  const doc = {
    title: show.name,
    year: show.year,
    season,
    members: members.map((m) => ({
      name: m.name,
      size: m.size,
      crc32: (m.crc32 >>> 0).toString(16).padStart(8, "0"),
      sha256: m.sha256,
    })),
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}
