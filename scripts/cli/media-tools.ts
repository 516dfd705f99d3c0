// ffprobe and ffmpeg for `moviesnow package`: what a source is, the three-tier H.264/AAC CMAF
// ladder with keyframes aligned across tiers, SRT → WebVTT, and the MP4 compatibility download.
// ffmpeg comes from Debian's `ffmpeg` package; as root on Debian it is installed, else the exact
// command is printed.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { extname, join, resolve } from "node:path";

export class ToolError extends Error {}

/** ffmpeg and ffprobe on PATH; installed from Debian's packages when run as root, else a clear error. */
export function ensureFfmpeg(): void {
  const have = (cmd: string) => spawnSync(cmd, ["-version"], { stdio: "ignore" }).status === 0;
  if (have("ffmpeg") && have("ffprobe")) return;
  const cmd = "apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ffmpeg";
  if (process.getuid?.() !== 0 || !existsSync("/usr/bin/apt-get"))
    throw new ToolError(`ffmpeg and ffprobe are needed to package video and are not installed. On Debian, as root:\n  ${cmd}`);
  console.error("[package] installing ffmpeg (apt-get)…");
  const r = spawnSync("sh", ["-c", cmd], { stdio: ["ignore", "ignore", "inherit"] });
  if (r.status !== 0 || !have("ffmpeg")) throw new ToolError(`installing ffmpeg failed (exit ${r.status}); run as root:\n  ${cmd}`);
}

export interface SourceInfo {
  durationSeconds: number;
  /** The whole file's, from the container. */
  bitrateKbps: number | null;
  width: number;
  height: number;
  frameRate: number | null;
  videoCodec: string;
  hdr: "none" | "hdr10" | "hlg";
  audio: { codec: string; channels: number } | null;
}

interface ProbeStream {
  codec_type?: string;
  codec_name?: string;
  width?: number;
  height?: number;
  avg_frame_rate?: string;
  r_frame_rate?: string;
  channels?: number;
  color_transfer?: string;
}

const rate = (r: string | undefined) => {
  const [n, d] = (r ?? "").split("/").map(Number);
  return n && d ? Math.round((n / d) * 1000) / 1000 : null;
};

/**
 * How every contributor file is opened by ffprobe and ffmpeg: as a local file (`file:`, so a name
 * like `concat:…` or `http://…` is a name), with no protocol but the file and pipes, and only with
 * demuxers of media containers (or the one subtitle format its extension names). A "movie" that is
 * really an HLS or concat playlist could otherwise pull other local files into the output.
 */
const VIDEO_DEMUXERS = "mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,avi,mpegts,mpeg,flv,asf,mxf,ogg,dv,nut,yuv4mpegpipe";
const SUBTITLE_DEMUXERS: Record<string, string> = { srt: "srt", ass: "ass", ssa: "ass" };
const inputOf = (file: string, demuxers: string, format?: string) => [
  "-protocol_whitelist",
  "file,pipe",
  "-format_whitelist",
  demuxers,
  ...(format ? ["-f", format] : []),
  "-i",
  `file:${resolve(file)}`,
];
/** ffmpeg's input options for a video source. */
export const videoInput = (file: string) => inputOf(file, VIDEO_DEMUXERS);

export function probe(file: string): SourceInfo {
  const args = ["-v", "error", "-print_format", "json", "-show_format", "-show_streams", ...inputOf(file, VIDEO_DEMUXERS)];
  // ffprobe takes its input without -i.
  args.splice(args.indexOf("-i"), 1);
  const r = spawnSync("ffprobe", args, { encoding: "utf8" });
  if (r.status !== 0) throw new ToolError(`ffprobe could not read ${file}: ${(r.stderr || "").trim() || `exit ${r.status}`}`);
  const j = JSON.parse(r.stdout) as { format?: { duration?: string; bit_rate?: string }; streams?: ProbeStream[] };
  const video = j.streams?.find((s) => s.codec_type === "video" && s.width && s.height);
  if (!video) throw new ToolError(`${file} has no video stream`);
  const audio = j.streams?.find((s) => s.codec_type === "audio");
  const duration = Number(j.format?.duration);
  if (!(duration > 0)) throw new ToolError(`ffprobe found no duration in ${file}`);
  const bitRate = Number(j.format?.bit_rate);
  return {
    durationSeconds: duration,
    bitrateKbps: bitRate > 0 ? Math.round(bitRate / 1000) : null,
    width: video.width as number,
    height: video.height as number,
    frameRate: rate(video.avg_frame_rate) ?? rate(video.r_frame_rate),
    videoCodec: video.codec_name ?? "unknown",
    hdr: video.color_transfer === "smpte2084" ? "hdr10" : video.color_transfer === "arib-std-b67" ? "hlg" : "none",
    audio: audio ? { codec: audio.codec_name ?? "unknown", channels: audio.channels ?? 2 } : null,
  };
}

/** The ladder: exactly the three tiers the service streams, with typical H.264 bit rates. */
export const LADDER = [
  { tier: 480, videoKbps: 1400, profile: "main" },
  { tier: 720, videoKbps: 2800, profile: "main" },
  { tier: 1080, videoKbps: 5000, profile: "high" },
] as const;
export type Tier = (typeof LADDER)[number]["tier"];
const AUDIO_KBPS = 128;
/** Segment length: keyframes are forced on this grid in every tier, so players switch cleanly. */
export const SEGMENT_SECONDS = 4;

/**
 * Runs ffmpeg with `-progress`, reporting encoded seconds; a failure is a ToolError naming `step`
 * with ffmpeg's last lines.
 */
function runFfmpeg(step: string, args: string[], onSeconds: (s: number) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("ffmpeg", ["-hide_banner", "-nostats", "-v", "error", "-y", "-progress", "pipe:1", ...args], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let err = "";
    child.stderr.on("data", (b: Buffer) => {
      err = (err + b.toString()).slice(-4000);
    });
    child.stdout.on("data", (b: Buffer) => {
      for (const m of b.toString().matchAll(/out_time_us=(\d+)/g)) onSeconds(Number(m[1]) / 1e6);
    });
    child.on("error", (e) => reject(new ToolError(`${step}: ffmpeg could not start: ${e.message}`)));
    child.on("close", (code, signal) => {
      if (code === 0) resolve();
      else reject(new ToolError(`${step}: ffmpeg failed (${signal ?? `exit ${code}`}): ${err.trim().split("\n").slice(-5).join(" | ")}`));
    });
  });
}

/**
 * Encodes the three tiers in one pass over the source into `outDir/{tier}p/` as fMP4 (CMAF) HLS:
 * index.m3u8, init.mp4, seg_00000.m4s…, video and audio muxed in each segment.
 */
export async function encodeLadder(input: string, outDir: string, src: SourceInfo, onSeconds: (s: number) => void): Promise<void> {
  const split = LADDER.map((_, i) => `[s${i}]`).join("");
  const scales = LADDER.map((t, i) => `[s${i}]scale=-2:${t.tier}:flags=bicubic,format=yuv420p[v${t.tier}]`).join(";");
  const args = [...videoInput(input), "-filter_complex", `[0:v:0]split=${LADDER.length}${split};${scales}`];
  for (const t of LADDER) {
    const dir = join(outDir, `${t.tier}p`);
    mkdirSync(dir, { recursive: true });
    args.push(
      "-map",
      `[v${t.tier}]`,
      ...(src.audio ? ["-map", "0:a:0", "-c:a", "aac", "-b:a", `${AUDIO_KBPS}k`, "-ac", "2"] : []),
      "-c:v",
      "libx264",
      "-preset",
      "veryfast",
      "-profile:v",
      t.profile,
      "-b:v",
      `${t.videoKbps}k`,
      "-maxrate",
      `${Math.round(t.videoKbps * 1.07)}k`,
      "-bufsize",
      `${Math.round(t.videoKbps * 1.5)}k`,
      // The same keyframe grid in every tier: segment boundaries line up across the ladder.
      "-force_key_frames",
      `expr:gte(t,n_forced*${SEGMENT_SECONDS})`,
      "-sc_threshold",
      "0",
      "-f",
      "hls",
      "-hls_time",
      String(SEGMENT_SECONDS),
      "-hls_playlist_type",
      "vod",
      "-hls_segment_type",
      "fmp4",
      "-hls_fmp4_init_filename",
      "init.mp4",
      "-hls_segment_filename",
      join(dir, "seg_%05d.m4s"),
      join(dir, "index.m3u8"),
    );
  }
  await runFfmpeg("encode the HLS ladder", args, onSeconds);
}

/** A subtitle file as WebVTT (what HLS carries): .vtt is taken as it is, anything else converted by ffmpeg. */
export async function toWebVtt(file: string, out: string): Promise<string> {
  const ext = extname(file).slice(1).toLowerCase();
  if (ext === "vtt") return file;
  const format = SUBTITLE_DEMUXERS[ext];
  if (!format) throw new ToolError(`${file}: subtitles are taken as .vtt, .srt, .ass or .ssa`);
  await runFfmpeg(`convert ${file} to WebVTT`, [...inputOf(file, format, format), "-c:s", "webvtt", "-f", "webvtt", out], () => {});
  return out;
}

/** An MP4 (H.264 + AAC, at most 1080p, moov first so it plays while downloading) for players without HLS. */
export async function encodeMp4(input: string, out: string, src: SourceInfo, onSeconds: (s: number) => void): Promise<void> {
  await runFfmpeg(
    "encode the MP4 download",
    [
      ...videoInput(input),
      "-map",
      "0:v:0",
      // At most 1080 lines: what every H.264 player decodes (4K H.264 is where compatibility ends).
      "-vf",
      "scale=-2:'min(1080,ih)'",
      ...(src.audio ? ["-map", "0:a:0", "-c:a", "aac", "-b:a", "160k"] : []),
      "-c:v",
      "libx264",
      "-preset",
      "veryfast",
      "-crf",
      "20",
      "-pix_fmt",
      "yuv420p",
      "-movflags",
      "+faststart",
      out,
    ],
    onSeconds,
  );
}

/**
 * The RFC 6381 codecs of a tier for the master playlist's CODECS: avc1.PPCCLL from the avcC box of
 * its init segment (profile, constraints, level exactly as encoded), and AAC-LC when it has sound.
 */
export function tierCodecs(initSegment: string, withAudio: boolean): string | null {
  const b = readFileSync(initSegment);
  const at = b.indexOf("avcC");
  if (at < 0 || at + 8 > b.length) return null;
  const hex = (n: number) => (b[n] ?? 0).toString(16).padStart(2, "0");
  const video = `avc1.${hex(at + 5)}${hex(at + 6)}${hex(at + 7)}`;
  return withAudio ? `${video},mp4a.40.2` : video;
}

/** The width of a tier encoded from `src` (scaled to the tier's height, even, aspect kept). */
export const tierWidth = (src: SourceInfo, tier: number) => Math.round((src.width * tier) / src.height / 2) * 2;
