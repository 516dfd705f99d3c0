// `moviesnow build-bundle --title …`: the library layout from local files. Episode numbers and
// names come from the video files' names ("Show - S01E02 - Name.mkv", "1x02 Name.mkv", "E02.mkv"; else
// their order), subtitles are matched to a video by name ("S01E02 - Name.en.forced.srt"), and the
// members are planned by the same layout module as the container job's, so the same files and
// metadata give the same archive.
import { statSync } from "node:fs";
import { basename, extname } from "node:path";
import { codeUnitOrder, type LibrarySubtitle, librarySeasonMembers, type SourcedSeasonInput } from "../../src/lib/library-layout.ts";
import type { BuildBundleInput, BuildMember } from "./build-bundle.ts";
import { UsageError } from "./command.ts";

export interface LibraryOptions {
  title: string;
  year: number | null;
  season: number;
  plot: string | null;
  genres: string[];
  poster: string | null;
  seasonPoster: string | null;
}

const SUBTITLE_EXTS = new Set([".srt", ".vtt"]);
const LANGUAGE = /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/;
const stem = (file: string) => basename(file, extname(file));

/** Episode number and name from a file name: "S01E02 - Name", "1x02 Name", "E02"; null when there is no tag. */
export function episodeFromName(name: string): { number: number; name: string | null } | null {
  const m = /(?:^|[^A-Za-z0-9])(?:S\d{1,4}[ ._-]?E(\d{1,4})|\d{1,4}x(\d{1,4})|E(\d{1,4}))(?![0-9])(.*)$/i.exec(name);
  if (!m) return null;
  const rest = (m[4] ?? "").replace(/^[\s._-]+/, "").trim();
  return { number: Number(m[1] ?? m[2] ?? m[3]), name: rest === "" ? null : rest };
}

/** A subtitle's flags from what follows its video's name: ".en", ".default", ".forced" (others ignored). */
function subtitleFlags(suffix: string, format: "srt" | "vtt"): LibrarySubtitle {
  const parts = suffix.split(".").filter(Boolean);
  return {
    language: parts.find((p) => LANGUAGE.test(p) && p !== "default" && p !== "forced") ?? null,
    label: null,
    isDefault: parts.includes("default"),
    isForced: parts.includes("forced"),
    format,
  };
}

const mtimeOf = (file: string) => statSync(file).mtime;

/** The library layout's members for `files` (videos and their subtitles), as buildBundle takes them. */
export function libraryBuild(files: string[], opts: LibraryOptions): Pick<BuildBundleInput, "members" | "library"> {
  const videos = files.filter((f) => !SUBTITLE_EXTS.has(extname(f).toLowerCase()));
  const subtitles = files
    .filter((f) => SUBTITLE_EXTS.has(extname(f).toLowerCase()))
    .sort((a, b) => codeUnitOrder(basename(a), basename(b)));
  if (videos.length === 0) throw new UsageError("build-bundle --title needs at least one video file");
  const episodes: SourcedSeasonInput["episodes"] = videos.map((file, i) => {
    const tagged = episodeFromName(stem(file));
    return {
      episodeNumber: tagged?.number ?? i + 1,
      name: tagged?.name ?? null,
      overview: null,
      airDate: null,
      runtimeMinutes: null,
      videoExt: extname(file).slice(1) || "bin",
      videoRef: file,
      subtitles: [],
    };
  });
  const numbers = episodes.map((e) => e.episodeNumber);
  const twice = numbers.find((n, i) => numbers.indexOf(n) !== i);
  if (twice !== undefined) throw new UsageError(`two video files are episode ${twice}; name them S01E01, S01E02, …`);
  for (const sub of subtitles) {
    // The video whose name (without its extension) the subtitle's name starts with, the longest such.
    const owner = videos
      .map((v, i) => ({ i, s: stem(v) }))
      .filter(({ s }) => basename(sub).startsWith(`${s}.`))
      .sort((a, b) => b.s.length - a.s.length)[0];
    if (!owner) throw new UsageError(`${sub} matches no video: name it after one, e.g. "${stem(videos[0] as string)}.en.srt"`);
    const format = extname(sub).slice(1).toLowerCase() as "srt" | "vtt";
    const suffix = basename(sub).slice(stem(videos[owner.i] as string).length, -extname(sub).length);
    (episodes[owner.i] as SourcedSeasonInput["episodes"][number]).subtitles.push({ ...subtitleFlags(suffix, format), ref: sub });
  }
  const ext = (f: string) =>
    extname(f)
      .slice(1)
      .toLowerCase()
      .replace(/^jpeg$/, "jpg");
  const plan = librarySeasonMembers({
    show: { name: opts.title, year: opts.year, overview: opts.plot, genres: opts.genres },
    season: opts.season,
    episodes,
    showPosterExt: opts.poster ? ext(opts.poster) : null,
    showPosterRef: opts.poster,
    seasonPosterExt: opts.seasonPoster ? ext(opts.seasonPoster) : null,
    seasonPosterRef: opts.seasonPoster,
  });
  // As the job: each file's own time; made text takes the newest of them.
  const sources = [...files, ...(opts.poster ? [opts.poster] : []), ...(opts.seasonPoster ? [opts.seasonPoster] : [])];
  const newest = new Date(Math.max(...sources.map((f) => Math.floor(mtimeOf(f).getTime()))));
  const members: BuildMember[] = plan.members.map((m) =>
    "text" in m ? { name: m.name, text: m.text, mtime: newest } : { file: m.ref, name: m.name, method: m.method, mtime: mtimeOf(m.ref) },
  );
  return { members, library: { manifest: plan.manifest, title: opts.title, year: opts.year, season: opts.season, mtime: newest } };
}
