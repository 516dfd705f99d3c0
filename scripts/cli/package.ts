// `moviesnow package`: from one video file to a title (or episode) that streams. The source is
// probed, encoded into the three HLS tiers (and with --mp4 an MP4 download), subtitles become
// WebVTT; only once every file is made is anything registered, so a failed encode leaves nothing
// behind in the catalog. Then each tier is uploaded and finalized, each subtitle too. The encoded
// files stay in the work folder: run again after an interruption and nothing is encoded twice,
// and files S3 already holds are not sent again.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { basename, extname, join, resolve } from "node:path";
import { trackName } from "../../src/lib/track-name.ts";
import { api, ok } from "./api.ts";
import { type Command, commandArgs, UsageError } from "./command.ts";
import { uploadHlsTier } from "./hls-upload.ts";
import { encodeLadder, encodeMp4, ensureFfmpeg, LADDER, probe, type SourceInfo, tierCodecs, tierWidth, toWebVtt } from "./media-tools.ts";
import { progressBar } from "./progress.ts";
import { uploadAsset } from "./upload.ts";

interface SubtitleArg {
  language: string;
  file: string;
  isDefault: boolean;
  isForced: boolean;
}

/** LANG[:default][:forced]=FILE, e.g. en:default=movie.en.srt or fr:forced=signs.fr.vtt */
export function parseSubtitleArg(arg: string): SubtitleArg {
  const eq = arg.indexOf("=");
  if (eq < 1) throw new UsageError(`--subtitle takes LANG[:default][:forced]=FILE, not ${JSON.stringify(arg)}`);
  const [language = "", ...flags] = arg.slice(0, eq).split(":");
  const file = arg.slice(eq + 1);
  if (!/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/.test(language))
    throw new UsageError(`--subtitle: ${JSON.stringify(language)} is not a language tag such as en or pt-BR`);
  for (const f of flags) if (f !== "default" && f !== "forced") throw new UsageError(`--subtitle: unknown flag :${f} (default, forced)`);
  if (!existsSync(file)) throw new UsageError(`--subtitle: no file ${file}`);
  return { language, file, isDefault: flags.includes("default"), isForced: flags.includes("forced") };
}

/** The work folder of one source for one title/episode: the same run resumes in it. */
function workDir(input: string, titleId: string, episodeId: string | undefined, given: string | undefined): string {
  if (given) return resolve(given);
  const st = statSync(input);
  const id = createHash("sha256")
    .update(`${resolve(input)}\n${st.size}\n${st.mtimeMs}\n${titleId}\n${episodeId ?? ""}`)
    .digest("hex")
    .slice(0, 16);
  return resolve(`moviesnow-package-${basename(input, extname(input))}-${id}`);
}

const encodeBar = (label: string, seconds: number, quiet: boolean) => {
  const bar = progressBar(label, seconds, !quiet && Boolean(process.stderr.isTTY), "seconds");
  return { update: (s: number) => bar.update(Math.min(s, seconds)), done: () => bar.done() };
};

export const packageCommand: Command = {
  usage: `moviesnow package INPUT --title-id ID [--episode-id ID] [--subtitle LANG[:default][:forced]=FILE]… [--mp4] [--json]

  Probes INPUT (ffprobe), encodes the three stream tiers (480p, 720p, 1080p) as H.264/AAC fMP4
  HLS with 4 s segments and keyframes aligned across tiers (ffmpeg), converts SRT subtitles to
  WebVTT, and with --mp4 makes an H.264/AAC MP4 download (faststart). Then registers every asset
  with what the probe found, uploads every file (in parallel, retried), finalizes, and prints a
  summary. A source below 1080p is still packaged in all three tiers, with a warning.

  Options: --api URL, --workdir DIR (where the encoded files go; default ./moviesnow-package-…,
  kept so a second run resumes without encoding again), --concurrency N (uploads in parallel, 6),
  --json. ffmpeg is Debian's package: installed when run as root, else the command is printed.

  Examples:
    moviesnow package film.mkv --title-id 7d3c… --subtitle en:default=film.en.srt --mp4
    moviesnow package s01e01.mkv --title-id 7d3c… --episode-id 41ab… --json`,
  async run(args) {
    const { values, positionals } = commandArgs(
      args,
      {
        "title-id": { type: "string" },
        "episode-id": { type: "string" },
        subtitle: { type: "string", multiple: true },
        mp4: { type: "boolean" },
        workdir: { type: "string" },
        concurrency: { type: "string", default: "6" },
      },
      true,
    );
    const input = positionals[0];
    if (!input || positionals.length > 1) throw new UsageError("package takes exactly one INPUT video file");
    if (!existsSync(input)) throw new UsageError(`no file ${input}`);
    const titleId = values["title-id"];
    if (!titleId) throw new UsageError("package needs --title-id");
    const episodeId = values["episode-id"];
    const concurrency = Number(values.concurrency);
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 32) throw new UsageError("--concurrency must be 1 to 32");
    const subtitles = (values.subtitle ?? []).map(parseSubtitleArg);
    if (subtitles.filter((s) => s.isDefault).length > 1) throw new UsageError("--subtitle: at most one track can be the default");
    const quiet = values.json === true;
    const say = (m: string) => {
      if (!quiet) console.error(m);
    };
    const warnings: string[] = [];
    const remote = api({ api: values.api });
    // Credentials and the title are checked before minutes of encoding.
    await ok(remote.client.GET("/api/v1/admin/titles/{id}", { params: { path: { id: titleId } } }));

    // 1. Probe and encode (nothing is registered until every file exists).
    ensureFfmpeg();
    const src = probe(input);
    if (src.height < 1080)
      warnings.push(`the source is ${src.width}x${src.height}: the 1080p tier is upscaled${src.height < 720 ? ", and so is 720p" : ""}`);
    if (src.hdr !== "none") warnings.push(`the source is ${src.hdr.toUpperCase()}: the tiers are 8-bit SDR H.264, without tone mapping`);
    for (const w of warnings) say(`warning: ${w}`);
    const dir = workDir(input, titleId, episodeId, values.workdir);
    mkdirSync(dir, { recursive: true });
    const marker = join(dir, ".encoded.json");
    const made = existsSync(marker) ? (JSON.parse(readFileSync(marker, "utf8")) as { ladder?: boolean; mp4?: boolean }) : {};
    if (!made.ladder) {
      const bar = encodeBar("encode", src.durationSeconds, quiet);
      await encodeLadder(input, join(dir, "hls"), src, bar.update);
      bar.done();
      made.ladder = true;
      writeFileSync(marker, JSON.stringify(made));
    } else say(`encode: reusing the tiers in ${dir}`);
    const mp4 = join(dir, `${basename(input, extname(input))}.mp4`);
    if (values.mp4 && !made.mp4) {
      const bar = encodeBar("mp4", src.durationSeconds, quiet);
      await encodeMp4(input, mp4, src, bar.update);
      bar.done();
      made.mp4 = true;
      writeFileSync(marker, JSON.stringify(made));
    }
    const vtts = await Promise.all(
      subtitles.map(async (s, i) => ({ ...s, vtt: await toWebVtt(s.file, join(dir, `subtitle-${i}.${s.language}.vtt`)) })),
    );

    // 2. Register, upload, finalize.
    const tiers = [];
    for (const t of LADDER) {
      const tierDir = join(dir, "hls", `${t.tier}p`);
      const r = await uploadHlsTier(remote, {
        titleId,
        episodeId,
        tier: t.tier,
        dir: tierDir,
        concurrency,
        quiet,
        metadata: tierMetadata(src, t.tier, tierCodecs(join(tierDir, "init.mp4"), src.audio !== null)),
      });
      say(`${t.tier}p: ${r.alreadyFinalized ? "already finalized" : `${r.sent} files sent, ${r.reused} already there`}`);
      tiers.push({ tier: t.tier, asset_id: r.asset.id, files: r.files, sent: r.sent, reused: r.reused, bytes: r.bytes });
    }
    const subtitleAssets = [];
    for (const s of vtts) {
      const r = await uploadAsset(remote, s.vtt, {
        titleId,
        kind: "SUBTITLE",
        episodeId,
        contentType: "text/vtt",
        concurrency,
        quiet: true,
        metadata: {
          language: s.language,
          is_default: s.isDefault,
          is_forced: s.isForced,
          label: trackName(s.language, s.isForced),
        },
      });
      subtitleAssets.push({ language: s.language, asset_id: r.asset.id, converted: s.vtt !== s.file });
    }
    let download: { asset_id: string; size: number } | null = null;
    if (values.mp4) {
      const r = await uploadAsset(remote, mp4, {
        titleId,
        kind: "DOWNLOAD",
        episodeId,
        quality: `${Math.min(src.height, 1080)}p`,
        contentType: "video/mp4",
        concurrency: Math.min(concurrency, 8),
        quiet,
        // What was made, not the source: the MP4's own size, rate and sound.
        metadata: downloadMetadata(probe(mp4)),
      });
      download = { asset_id: r.asset.id, size: statSync(mp4).size };
    }

    const validation = await ok(remote.client.GET("/api/v1/admin/titles/{id}/validate-media", { params: { path: { id: titleId } } }));
    const summary = {
      title_id: titleId,
      episode_id: episodeId ?? null,
      source: { file: input, ...src },
      workdir: dir,
      tiers,
      subtitles: subtitleAssets,
      download,
      warnings,
      validation: { ok: validation.body.ok, errors: validation.body.errors.length, warnings: validation.body.warnings.length },
    };
    if (values.json) console.log(JSON.stringify(summary));
    else {
      console.log(
        `packaged ${input}: ${tiers.map((t) => `${t.tier}p`).join(", ")}${subtitleAssets.length ? `, ${subtitleAssets.length} subtitle track(s)` : ""}${download ? ", MP4 download" : ""}`,
      );
      console.log(`validate-media: ${validation.body.ok ? "ok" : `${validation.body.errors.length} error(s)`} (work folder ${dir})`);
    }
    return 0;
  },
};

function tierMetadata(src: SourceInfo, tier: number, codecs: string | null) {
  return {
    width: tierWidth(src, tier),
    height: tier,
    video_codec: "h264",
    ...(src.audio ? { audio_codec: "aac", channels: 2 } : {}),
    ...(codecs ? { codecs } : {}),
    ...(src.frameRate ? { frame_rate: src.frameRate } : {}),
    container: "fmp4",
    hdr: "none" as const,
  };
}

function downloadMetadata(src: SourceInfo) {
  return {
    width: src.width,
    height: src.height,
    video_codec: "h264",
    container: "mp4",
    duration_seconds: Math.round(src.durationSeconds * 1000) / 1000,
    ...(src.bitrateKbps ? { bitrate_kbps: src.bitrateKbps } : {}),
    ...(src.audio ? { audio_codec: "aac", channels: src.audio.channels } : {}),
    ...(src.frameRate ? { frame_rate: src.frameRate } : {}),
  };
}
