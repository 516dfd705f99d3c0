// Factories for the library layout's inputs (src/lib/library-layout.ts).
import type { LibraryEpisode } from "../../src/lib/library-layout.ts";

/** An episode with no metadata but its number and name, an MKV video and no subtitles, unless given. */
export const libraryEpisode = (n: number, name: string | null, extra: Partial<LibraryEpisode> = {}): LibraryEpisode => ({
  episodeNumber: n,
  name,
  overview: null,
  airDate: null,
  runtimeMinutes: null,
  videoExt: "mkv",
  subtitles: [],
  ...extra,
});
