// What players list a subtitle track as when it has no label of its own: its language's name in
// English, marked when forced ("English", "French (forced)"). The master playlist names tracks
// this way, and `moviesnow package` labels the tracks it registers the same way.

/** A language's name in English ("fr" → "French"); the tag itself if the runtime can't say. */
export function languageName(tag: string): string {
  try {
    return new Intl.DisplayNames(["en"], { type: "language" }).of(tag) ?? tag;
  } catch {
    return tag;
  }
}

export const trackName = (language: string, isForced: boolean): string => `${languageName(language)}${isForced ? " (forced)" : ""}`;
