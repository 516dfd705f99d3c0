// `moviesnow upload`: a file into the catalog. An episode or title asset is registered, uploaded
// (one presigned PUT, or multipart with a few parts in parallel, each retried), completed,
// checked against S3 and finalized with its SHA-256; an interrupted multipart upload resumes
// from the parts S3 already has (the state sits beside the file). A season ZIP goes through the
// admin bundle endpoint instead.

import { createHash } from "node:crypto";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, realpathSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, extname, join } from "node:path";
import { withRetry } from "../../container/src/retry.ts";
import type { Schemas } from "../client/index.ts";
import { type Api, api, ok, stateDir } from "./api.ts";
import { type Command, commandArgs, UsageError } from "./command.ts";
import { uploadHlsTier } from "./hls-upload.ts";
import { progressBar } from "./progress.ts";
import { putFile } from "./transfer.ts";

const TYPES: Record<string, string> = {
  ".mkv": "video/x-matroska",
  ".mp4": "video/mp4",
  ".m4v": "video/mp4",
  ".mov": "video/quicktime",
  ".webm": "video/webm",
  ".ts": "video/mp2t",
  ".m3u8": "application/vnd.apple.mpegurl",
  ".m4a": "audio/mp4",
  ".aac": "audio/aac",
  ".mp3": "audio/mpeg",
  ".vtt": "text/vtt",
  ".srt": "application/x-subrip",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".png": "image/png",
  ".webp": "image/webp",
  ".zip": "application/zip",
};
const RETRY = { attempts: 4, baseMs: 500 };
const contentTypeOf = (file: string) => TYPES[extname(file).toLowerCase()] ?? "application/octet-stream";

type Asset = Schemas["MediaAsset"];

interface ResumeState {
  api: string;
  asset_id: string;
  size: number;
  mtime_ms: number;
  part_size: number;
  part_count: number;
}

function sha256File(file: string, onProgress: (n: number) => void): string {
  const h = createHash("sha256");
  const buf = Buffer.allocUnsafe(1024 * 1024);
  const fd = openSync(file, "r");
  let done = 0;
  try {
    for (let n = readSync(fd, buf, 0, buf.length, null); n > 0; n = readSync(fd, buf, 0, buf.length, null)) {
      h.update(buf.subarray(0, n));
      done += n;
      onProgress(done);
    }
  } finally {
    closeSync(fd);
  }
  return h.digest("hex");
}

async function uploadMultipart(
  { client }: Api,
  file: string,
  asset: Asset,
  up: { part_size: number; part_count: number },
  size: number,
  concurrency: number,
  quiet: boolean,
): Promise<{ sent: number; reused: number }> {
  const parts = { params: { path: { id: asset.id } } };
  const have = await ok(client.GET("/api/v1/admin/assets/{id}/upload/parts", parts));
  const lengthOf = (n: number) => Math.min(up.part_size, size - (n - 1) * up.part_size);
  // A part counts as there only with its whole length (a part cut off is sent again).
  const done = new Map<number, string>(
    have.body.parts.filter((p) => p.size === null || p.size === lengthOf(p.part_number)).map((p) => [p.part_number, p.etag]),
  );
  const todo = Array.from({ length: up.part_count }, (_, i) => i + 1).filter((n) => !done.has(n));
  const reused = done.size;
  const bar = progressBar("upload", size, !quiet && Boolean(process.stderr.isTTY));
  let sentBytes = [...done.keys()].reduce((n, p) => n + lengthOf(p), 0);
  // Presigned part URLs in batches (at most 1,000 a call), parts `concurrency` at a time.
  for (let i = 0; i < todo.length; i += 1000) {
    const batch = todo.slice(i, i + 1000);
    const urls = await ok(client.POST("/api/v1/admin/assets/{id}/upload/parts", { ...parts, body: { part_numbers: batch } }));
    const queue = [...urls.body.parts];
    const worker = async () => {
      for (let p = queue.shift(); p; p = queue.shift()) {
        const part = p;
        const length = lengthOf(part.part_number);
        const etag = await withRetry(
          `part ${part.part_number}`,
          () => putFile(part.url, file, (part.part_number - 1) * up.part_size, length),
          RETRY,
        );
        done.set(part.part_number, etag);
        sentBytes += length;
        bar.update(sentBytes);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, queue.length) }, worker));
  }
  bar.done();
  const uploaded = [...done.entries()].sort((a, b) => a[0] - b[0]).map(([part_number, etag]) => ({ part_number, etag }));
  await ok(client.POST("/api/v1/admin/assets/{id}/upload/complete", { ...parts, body: { parts: uploaded } }));
  return { sent: todo.length, reused };
}

export interface UploadAssetOptions {
  titleId: string;
  kind: Asset["kind"];
  episodeId?: string | undefined;
  quality?: string | undefined;
  contentType?: string | undefined;
  multipart?: boolean;
  concurrency: number;
  quiet: boolean;
  /** Probed facts registered with the asset (codecs, resolution, duration…). */
  metadata?: Partial<Schemas["CreateAsset"]>;
}

/**
 * Registers `file` as an asset, uploads it (one PUT, or multipart resumed from the parts S3 has),
 * confirms it in S3 and finalizes it with its SHA-256.
 */
export async function uploadAsset(remote: Api, file: string, o: UploadAssetOptions) {
  const client = remote.client;
  const quiet = o.quiet;
  const concurrency = o.concurrency;
  const st = statSync(file);
  const hashBar = progressBar("sha-256", st.size, !quiet && Boolean(process.stderr.isTTY));
  const sha256 = sha256File(file, (n) => hashBar.update(n));
  hashBar.done();
  // Keyed by the file's real path: the state never lands beside the media, and a file reached by
  // another path (a symlink, a relative path) still finds its upload.
  const stateFile = join(stateDir(), "uploads", `${createHash("sha256").update(realpathSync(file)).digest("hex").slice(0, 32)}.json`);
  let state: ResumeState | null = existsSync(stateFile) ? (JSON.parse(readFileSync(stateFile, "utf8")) as ResumeState) : null;
  if (state && (state.api !== remote.base || state.size !== st.size || state.mtime_ms !== st.mtimeMs)) state = null; // another file now

  let asset: Asset;
  let result: { method: string; sent: number; reused: number };
  if (state) {
    asset = (await ok(client.GET("/api/v1/admin/assets/{id}", { params: { path: { id: state.asset_id } } }))).body;
    const r = await uploadMultipart(remote, file, asset, state, st.size, concurrency, quiet);
    result = { method: "multipart", ...r };
  } else {
    const created = await ok(
      client.POST("/api/v1/admin/titles/{id}/assets", {
        params: { path: { id: o.titleId } },
        body: {
          kind: o.kind,
          ...(o.episodeId ? { episode_id: o.episodeId } : {}),
          ...(o.quality ? { quality: o.quality } : {}),
          filename: basename(file),
          size_bytes: st.size,
          content_type: o.contentType ?? contentTypeOf(file),
          ...o.metadata,
          ...(o.multipart ? { upload_method: "multipart" as const } : {}),
        },
      }),
    );
    asset = created.body.asset;
    const up = created.body.upload;
    if (up.method === "single") {
      await withRetry("upload", () => putFile(up.url, file, 0, st.size, up.headers), RETRY);
      result = { method: "single", sent: 1, reused: 0 };
    } else {
      state = {
        api: remote.base,
        asset_id: asset.id,
        size: st.size,
        mtime_ms: st.mtimeMs,
        part_size: up.part_size,
        part_count: up.part_count,
      };
      mkdirSync(join(stateDir(), "uploads"), { recursive: true, mode: 0o700 });
      writeFileSync(stateFile, `${JSON.stringify({ ...state, file: realpathSync(file) }, null, 2)}\n`, { mode: 0o600 });
      result = { method: "multipart", ...(await uploadMultipart(remote, file, asset, up, st.size, concurrency, quiet)) };
    }
  }
  rmSync(stateFile, { force: true });
  // What S3 has now, then the finalize that must agree with it.
  const one = { params: { path: { id: asset.id } } };
  const head = await ok(client.GET("/api/v1/admin/assets/{id}/head", one));
  const fin = await ok(
    client.POST("/api/v1/admin/assets/{id}/finalize", {
      ...one,
      body: { size_bytes: st.size, content_type: head.body.content_type ?? o.contentType ?? contentTypeOf(file), sha256 },
    }),
  );
  return { asset, sha256, result, uploadState: fin.body.upload_state };
}

/** `upload --hls DIR --tier N`: a ladder tier made elsewhere, uploaded file by file and finalized. */
async function uploadTier(
  values: { hls?: string; tier?: string; "title-id"?: string; "episode-id"?: string; concurrency?: string; api?: string; json?: boolean },
  positionals: string[],
): Promise<number> {
  const dir = values.hls as string;
  if (positionals.length > 0) throw new UsageError("upload --hls takes the folder as --hls DIR, and no FILE");
  if (!values["title-id"]) throw new UsageError("upload needs --title-id");
  const tier = Number(values.tier);
  if (tier !== 480 && tier !== 720 && tier !== 1080) throw new UsageError("upload --hls needs --tier 480, 720 or 1080");
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`--hls: ${dir} is not a folder`);
  const concurrency = Number(values.concurrency ?? 6);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 16) throw new UsageError("--concurrency must be 1 to 16");
  const r = await uploadHlsTier(api({ api: values.api }), {
    titleId: values["title-id"],
    episodeId: values["episode-id"],
    tier,
    dir,
    concurrency,
    quiet: values.json === true,
  });
  const out = {
    asset_id: r.asset.id,
    storage_key: r.asset.storage_key,
    tier,
    files: r.files,
    sent: r.sent,
    reused: r.reused,
    upload_state: r.asset.upload_state,
    hls_segment_count: r.asset.hls_segment_count,
    duration_seconds: r.asset.duration_seconds,
  };
  if (values.json) console.log(JSON.stringify(out));
  else
    console.log(
      `${r.asset.storage_key}: ${tier}p, ${r.files} files (${r.sent} sent, ${r.reused} already there), ${r.asset.hls_segment_count ?? "?"} segments, ${r.asset.duration_seconds ?? "?"} s, ${r.asset.upload_state}`,
    );
  return 0;
}

export const uploadCommand: Command = {
  usage: `moviesnow upload --title-id ID [--episode-id ID] [--kind ORIGINAL] [--multipart] FILE
moviesnow upload --title-id ID --season N FILE.zip      (a season ZIP, through the bundle endpoint)
moviesnow upload --title-id ID [--episode-id ID] --hls DIR --tier 480|720|1080
                                                         (an HLS tier: DIR/index.m3u8 and every file it names)

  Options: --api URL, --content-type TYPE, --quality Q, --concurrency N (parts in parallel, 3),
  --json. An asset is hashed (SHA-256), uploaded, completed and finalized. A multipart upload
  that stops part-way resumes when run again with the same file: the parts already in S3 are
  not sent again (state under $XDG_STATE_HOME/moviesnow/uploads, or ~/.local/state/moviesnow,
  until it completes; MOVIESNOW_STATE_DIR moves it).

  Examples:
    moviesnow upload --title-id 7d3c… --episode-id 41ab… movie.S01E01.mkv
    moviesnow upload --title-id 7d3c… --kind DOWNLOAD --quality 1080p --multipart --concurrency 6 big.mkv
    moviesnow upload --title-id 7d3c… --season 1 S01.zip`,
  async run(args) {
    const { values, positionals } = commandArgs(
      args,
      {
        "title-id": { type: "string" },
        "episode-id": { type: "string" },
        season: { type: "string" },
        kind: { type: "string", default: "ORIGINAL" },
        quality: { type: "string" },
        "content-type": { type: "string" },
        multipart: { type: "boolean" },
        concurrency: { type: "string", default: "3" },
        hls: { type: "string" },
        tier: { type: "string" },
      },
      true,
    );
    const usage = (m: string) => new UsageError(m);
    if (values.hls !== undefined) return uploadTier(values, positionals);
    const file = positionals[0];
    if (!file || positionals.length > 1) throw usage("upload takes exactly one FILE");
    if (!values["title-id"]) throw usage("upload needs --title-id");
    const concurrency = Number(values.concurrency);
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 16) throw usage("--concurrency must be 1 to 16");
    const st = statSync(file);
    const remote = api({ api: values.api });
    const client = remote.client;
    const titleId = values["title-id"];
    const quiet = values.json === true;

    if (values.season !== undefined) {
      const season = Number(values.season);
      if (!Number.isInteger(season) || season < 0) throw usage("--season must be a season number");
      const created = await ok(
        client.POST("/api/v1/admin/titles/{id}/bundles", { params: { path: { id: titleId } }, body: { season_number: season } }),
      );
      await withRetry("upload", () => putFile(created.body.upload_url, file, 0, st.size, created.body.upload_headers), RETRY);
      const b = await ok(client.POST("/api/v1/admin/bundles/{id}/finalize", { params: { path: { id: created.body.bundle_id } } }));
      if (values.json)
        console.log(
          JSON.stringify({ bundle_id: b.body.id, storage_key: created.body.storage_key, size: b.body.size_bytes, status: b.body.status }),
        );
      else console.log(`season ${season} bundle ${b.body.id}: ${b.body.size_bytes} bytes, ${b.body.status}`);
      return 0;
    }

    const { asset, sha256, result, uploadState } = await uploadAsset(remote, file, {
      titleId,
      kind: values.kind as Asset["kind"],
      episodeId: values["episode-id"],
      quality: values.quality,
      contentType: values["content-type"],
      multipart: values.multipart === true,
      concurrency,
      quiet,
    });
    const out = {
      asset_id: asset.id,
      storage_key: asset.storage_key,
      size: st.size,
      sha256,
      upload_state: uploadState,
      method: result.method,
      parts_sent: result.sent,
      parts_reused: result.reused,
    };
    if (values.json) console.log(JSON.stringify(out));
    else
      console.log(
        `${asset.storage_key}: ${st.size} bytes, sha256 ${sha256}, ${uploadState}${result.reused ? ` (resumed: ${result.reused} parts were already there)` : ""}`,
      );
    return 0;
  },
};
