// The playlists the Worker writes itself (RFC 8216): a title's or episode's master playlist, one
// EXT-X-STREAM-INF per stream tier and one EXT-X-MEDIA per WebVTT subtitle track, and the media
// playlist that carries one WebVTT file as a single segment (HLS carries subtitles as playlists).
// Written here rather than with hls-parser's stringify: the output is a dozen lines whose every
// attribute is chosen, and no parse model is needed to write them.

export interface TierVariant {
  url: string;
  /** Peak bits/s. */
  bandwidth: number;
  averageBandwidth: number | null;
  width: number | null;
  height: number | null;
  codecs: string | null;
  frameRate: number | null;
}

export interface SubtitleRendition {
  url: string;
  name: string;
  language: string | null;
  isDefault: boolean;
  isForced: boolean;
}

const SUBTITLE_GROUP = "subs";

/** A quoted-string attribute value: RFC 8216 allows no double quote, CR or LF inside. */
const quoted = (s: string) => `"${s.replace(/["\r\n]/g, "'")}"`;
const yesNo = (b: boolean) => (b ? "YES" : "NO");

export function masterPlaylist(tiers: TierVariant[], subtitles: SubtitleRendition[]): string {
  const lines = ["#EXTM3U", "#EXT-X-VERSION:6", "#EXT-X-INDEPENDENT-SEGMENTS"];
  // NAME must be unique in a group: a second track of the same name is numbered.
  const names = new Set<string>();
  for (const s of subtitles) {
    let name = s.name;
    for (let n = 2; names.has(name); n++) name = `${s.name} ${n}`;
    names.add(name);
    const attrs = [
      "TYPE=SUBTITLES",
      `GROUP-ID=${quoted(SUBTITLE_GROUP)}`,
      `NAME=${quoted(name)}`,
      ...(s.language ? [`LANGUAGE=${quoted(s.language)}`] : []),
      `DEFAULT=${yesNo(s.isDefault)}`,
      // A default track must be auto-selectable (RFC 8216 §4.3.4.1).
      `AUTOSELECT=${yesNo(s.isDefault || !s.isForced)}`,
      `FORCED=${yesNo(s.isForced)}`,
      `URI=${quoted(s.url)}`,
    ];
    lines.push(`#EXT-X-MEDIA:${attrs.join(",")}`);
  }
  for (const t of [...tiers].sort((a, b) => a.bandwidth - b.bandwidth)) {
    const attrs = [
      `BANDWIDTH=${Math.round(t.bandwidth)}`,
      ...(t.averageBandwidth ? [`AVERAGE-BANDWIDTH=${Math.round(t.averageBandwidth)}`] : []),
      ...(t.width && t.height ? [`RESOLUTION=${t.width}x${t.height}`] : []),
      ...(t.codecs ? [`CODECS=${quoted(t.codecs)}`] : []),
      ...(t.frameRate ? [`FRAME-RATE=${t.frameRate.toFixed(3)}`] : []),
      ...(subtitles.length > 0 ? [`SUBTITLES=${quoted(SUBTITLE_GROUP)}`] : []),
    ];
    lines.push(`#EXT-X-STREAM-INF:${attrs.join(",")}`, t.url);
  }
  return `${lines.join("\n")}\n`;
}

/** A VOD media playlist whose one segment is a whole WebVTT file lasting `durationSeconds`. */
export function subtitlePlaylist(vttUrl: string, durationSeconds: number): string {
  const d = Math.max(1, durationSeconds);
  return [
    "#EXTM3U",
    "#EXT-X-VERSION:3",
    `#EXT-X-TARGETDURATION:${Math.ceil(d)}`,
    "#EXT-X-MEDIA-SEQUENCE:0",
    "#EXT-X-PLAYLIST-TYPE:VOD",
    `#EXTINF:${d.toFixed(3)},`,
    vttUrl,
    "#EXT-X-ENDLIST",
    "",
  ].join("\n");
}
