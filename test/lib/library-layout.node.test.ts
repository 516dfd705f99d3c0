// Library-ready names for a season: folders and files as Jellyfin, Plex and Kodi expect them, Kodi
// NFO files that parse as XML, and names that stay safe and distinct whatever the catalog holds.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildBundle } from "../../scripts/cli/build-bundle.ts";
import { episodeNfo, type LibrarySeasonInput, libraryNames, MAX_NAME_CHARS, tvshowNfo } from "../../src/lib/library-layout.ts";
import { isSafeMemberName } from "../../src/lib/member-names.ts";
import { expectEveryExtractorWrites } from "../support/extractors.ts";
import { libraryEpisode } from "../support/library.ts";

const dir = mkdtempSync(join(tmpdir(), "mn-library-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const episode = libraryEpisode;
const show = {
  name: "The Lighthouse Keepers",
  year: 2024,
  overview: 'Storms & <secrets> on a "quiet" island.',
  genres: ["drama", "mystery"],
};
const english = { language: "en", label: "English", isDefault: true, isForced: false, format: "srt" } as const;
const frenchForced = { language: "fr", label: "Français (forcé)", isDefault: false, isForced: true, format: "vtt" } as const;

/** Every name the layout gives, in one list. */
const allNames = (input: LibrarySeasonInput) => {
  const n = libraryNames(input);
  return [
    n.tvshowNfo,
    n.manifest,
    ...(n.showPoster ? [n.showPoster] : []),
    ...(n.seasonPoster ? [n.seasonPoster] : []),
    ...n.episodes.flatMap((e) => [e.video, e.nfo, ...e.subtitles]),
  ];
};

/** Python's own XML parser: each child element of the root as [tag, text]. */
function parseXml(xml: string): [string, string][] {
  const r = spawnSync(
    "python3",
    [
      "-c",
      "import sys, json, xml.etree.ElementTree as E; r = E.fromstring(sys.stdin.buffer.read()); print(json.dumps([r.tag] + [[c.tag, c.text] for c in r]))",
    ],
    { input: xml, encoding: "utf8" },
  );
  expect(r.status, r.stderr).toBe(0);
  const [root, ...children] = JSON.parse(r.stdout) as [string, ...[string, string][]];
  return [["root", root], ...children];
}

describe("library layout", () => {
  it("names a season's folders, videos, sidecar subtitles, NFO files and artwork as the media servers document", () => {
    const names = libraryNames({
      show,
      season: 1,
      showPosterExt: "jpg",
      seasonPosterExt: "png",
      episodes: [
        episode(2, "The Fog", { subtitles: [english, frenchForced] }),
        episode(1, "Pilot", { videoExt: "MP4", subtitles: [english, frenchForced] }),
        episode(3, null),
      ],
    });
    const season = "The Lighthouse Keepers (2024)/Season 01";
    expect(names).toEqual({
      showFolder: "The Lighthouse Keepers (2024)",
      seasonFolder: season,
      tvshowNfo: "The Lighthouse Keepers (2024)/tvshow.nfo",
      manifest: "The Lighthouse Keepers (2024)/MANIFEST.json",
      showPoster: "The Lighthouse Keepers (2024)/poster.jpg",
      seasonPoster: `${season}/season01-poster.png`,
      episodes: [
        {
          episodeNumber: 1,
          video: `${season}/The Lighthouse Keepers - S01E01 - Pilot.mp4`,
          nfo: `${season}/The Lighthouse Keepers - S01E01 - Pilot.nfo`,
          subtitles: [
            `${season}/The Lighthouse Keepers - S01E01 - Pilot.en.default.srt`,
            `${season}/The Lighthouse Keepers - S01E01 - Pilot.fr.forced.vtt`,
          ],
        },
        {
          episodeNumber: 2,
          video: `${season}/The Lighthouse Keepers - S01E02 - The Fog.mkv`,
          nfo: `${season}/The Lighthouse Keepers - S01E02 - The Fog.nfo`,
          subtitles: [
            `${season}/The Lighthouse Keepers - S01E02 - The Fog.en.default.srt`,
            `${season}/The Lighthouse Keepers - S01E02 - The Fog.fr.forced.vtt`,
          ],
        },
        {
          episodeNumber: 3,
          video: `${season}/The Lighthouse Keepers - S01E03.mkv`,
          nfo: `${season}/The Lighthouse Keepers - S01E03.nfo`,
          subtitles: [],
        },
      ],
    });
    // A title without a year is its name alone.
    expect(libraryNames({ show: { ...show, year: null }, season: 12, episodes: [episode(101, "Finale")] }).episodes[0]?.video).toBe(
      "The Lighthouse Keepers/Season 12/The Lighthouse Keepers - S12E101 - Finale.mkv",
    );
  });

  it("writes Kodi NFO files that parse as XML with the catalog's fields, markup escaped", () => {
    expect(parseXml(tvshowNfo(show))).toEqual([
      ["root", "tvshow"],
      ["title", "The Lighthouse Keepers"],
      ["year", "2024"],
      ["plot", 'Storms & <secrets> on a "quiet" island.'],
      ["genre", "drama"],
      ["genre", "mystery"],
    ]);
    const ep = episode(2, "Fog & Night\u0001", { overview: "It rolls in.", airDate: "2024-03-08", runtimeMinutes: 48 });
    expect(parseXml(episodeNfo(show, 1, ep))).toEqual([
      ["root", "episodedetails"],
      ["title", "Fog & Night"],
      ["showtitle", "The Lighthouse Keepers"],
      ["season", "1"],
      ["episode", "2"],
      ["aired", "2024-03-08"],
      ["plot", "It rolls in."],
      ["runtime", "48"],
    ]);
    // Unknown fields are left out rather than written empty.
    expect(parseXml(episodeNfo(show, 1, episode(4, null)))).toEqual([
      ["root", "episodedetails"],
      ["title", "Episode 4"],
      ["showtitle", "The Lighthouse Keepers"],
      ["season", "1"],
      ["episode", "4"],
    ]);
  });

  it("keeps hostile titles and names safe and distinct, keeps the SxxEyy tag, and every extractor writes them where named", async () => {
    const nfc = "Café";
    const nfd = "Cafe\u0301";
    const input: LibrarySeasonInput = {
      show: { name: "..\\..\\C:\\Windows/CON", year: 1999, overview: null, genres: [] },
      season: 3,
      showPosterExt: "JPG",
      episodes: [
        episode(1, "x".repeat(300), { subtitles: [english, { ...english, label: null }, { ...english, label: "SDH" }] }),
        episode(2, `🎬🍿 ${"字".repeat(120)}`, { subtitles: [{ ...english, language: null, isDefault: false }] }),
        episode(3, nfc, { subtitles: [frenchForced, frenchForced] }),
        episode(4, nfd),
        episode(5, "CON"),
        episode(6, "trailing dots..."),
      ],
    };
    const names = allNames(input);
    const layout = libraryNames(input);
    for (const n of names) {
      expect(isSafeMemberName(n), n).toBe(true);
      for (const seg of n.split("/")) expect(new TextEncoder().encode(seg).length, n).toBeLessThanOrEqual(255);
      expect(n.length, n).toBeLessThan(200);
    }
    // Distinct, also after normalisation and case folding.
    expect(new Set(names.map((n) => n.normalize("NFC").toLowerCase())).size).toBe(names.length);
    expect(layout.showFolder).toBe(".._.._C__Windows_CON (1999)");
    layout.episodes.forEach((e, i) => {
      expect(e.video).toContain(` - S03E0${i + 1}`);
    });
    const long = layout.episodes[0]?.video ?? "";
    expect(long).toMatch(new RegExp(` - S03E01 - x{${MAX_NAME_CHARS}}\\.mkv$`));
    expect(layout.episodes[0]?.subtitles).toEqual([
      `${layout.seasonFolder}/.._.._C__Windows_CON - S03E01 - ${"x".repeat(MAX_NAME_CHARS)}.en.default.srt`,
      `${layout.seasonFolder}/.._.._C__Windows_CON - S03E01 - ${"x".repeat(MAX_NAME_CHARS)}.en.default.track2.srt`,
      `${layout.seasonFolder}/.._.._C__Windows_CON - S03E01 - ${"x".repeat(MAX_NAME_CHARS)}.en.default.SDH.srt`,
    ]);
    expect(layout.episodes[4]?.video).toBe(`${layout.seasonFolder}/.._.._C__Windows_CON - S03E05 - _CON.mkv`);
    expect(layout.episodes[5]?.video).toBe(`${layout.seasonFolder}/.._.._C__Windows_CON - S03E06 - trailing dots.mkv`);

    // unzip, 7-Zip, bsdtar and Python put each file exactly at its name, inside the target folder.
    const files = names.map((_, i) => {
      const f = join(dir, `member-${i}`);
      writeFileSync(f, `member ${i}\n`);
      return f;
    });
    const out = join(dir, "library.zip");
    await buildBundle({ out, files, names, mtimes: names.map(() => new Date("2026-01-01T00:00:00Z")) });
    expectEveryExtractorWrites(out, dir, names);
  });
});
