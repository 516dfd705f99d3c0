// One HLS tier from a local folder into the catalog: the tier asset is registered (or the one a
// previous run registered is taken up again), every file of the folder is PUT through presigned
// URLs for its relative path (a few at a time, each retried), files S3 already holds with the
// same bytes are skipped (so an interrupted run resumes), then the tier is confirmed and
// finalized, which checks its whole playlist chain.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { withRetry } from "../../container/src/retry.ts";
import type { Schemas } from "../client/index.ts";
import { type Api, ApiError, ok } from "./api.ts";
import { progressBar } from "./progress.ts";
import { putFile } from "./transfer.ts";

const RETRY = { attempts: 4, baseMs: 500 };
/** The tier's own file: what the asset is registered as and what finalize reads first. */
export const TIER_PLAYLIST = "index.m3u8";
const PLAYLIST_TYPE = "application/vnd.apple.mpegurl";
/** The API presigns at most this many paths a call. */
const PRESIGN_BATCH = 1000;

type Asset = Schemas["MediaAsset"];

export interface TierUploadOptions {
  titleId: string;
  episodeId?: string | undefined;
  tier: 480 | 720 | 1080;
  dir: string;
  /** Probed facts registered with the tier (codecs, resolution, frame rate…); finalize adds what its playlists say. */
  metadata?: Partial<Schemas["CreateAsset"]>;
  concurrency: number;
  quiet: boolean;
}

export interface TierUploadResult {
  asset: Asset;
  files: number;
  sent: number;
  reused: number;
  bytes: number;
  /** The tier was finalized by an earlier run: nothing was sent. */
  alreadyFinalized: boolean;
}

/** Every file below `dir` as a relative path with "/" separators, dot files left out. */
export function folderFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.name.startsWith(".")) continue;
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out.push(relative(dir, p).split(sep).join("/"));
    }
  };
  walk(dir);
  return out.sort();
}

const md5 = (file: string) => createHash("md5").update(readFileSync(file)).digest("hex");

export async function uploadHlsTier(remote: Api, o: TierUploadOptions): Promise<TierUploadResult> {
  const { client } = remote;
  const files = folderFiles(o.dir);
  if (!files.includes(TIER_PLAYLIST))
    throw new Error(`${o.dir} has no ${TIER_PLAYLIST}: the tier's playlist must be at the top of its folder`);
  const playlist = readFileSync(join(o.dir, TIER_PLAYLIST));
  const asset = await registerTier(remote, o, playlist.length);
  if (asset.upload_state === "finalized")
    return { asset, files: files.length, sent: 0, reused: files.length, bytes: 0, alreadyFinalized: true };
  const one = { params: { path: { id: asset.id } } };

  // What S3 already has with the same bytes (an S3 ETag of a single PUT is its MD5) is not sent again.
  const there = new Map((await ok(client.GET("/api/v1/admin/assets/{id}/files", one))).body.files.map((f) => [f.path, f]));
  const todo = files.filter((f) => {
    const have = there.get(f);
    const local = join(o.dir, f);
    return !have || have.size_bytes !== statSync(local).size || have.etag.replace(/"/g, "") !== md5(local);
  });
  const total = todo.reduce((n, f) => n + statSync(join(o.dir, f)).size, 0);
  const bar = progressBar(`upload ${o.tier}p`, total, !o.quiet && Boolean(process.stderr.isTTY));
  let sentBytes = 0;
  for (let i = 0; i < todo.length; i += PRESIGN_BATCH) {
    const batch = todo.slice(i, i + PRESIGN_BATCH);
    const signed = await ok(client.POST("/api/v1/admin/assets/{id}/files", { ...one, body: { paths: batch } }));
    // Only files found by walking the folder are read: a reply naming any other path (a hostile or
    // mistaken --api, "../../.ssh/id_ed25519") stops the upload before a byte is read.
    const asked = new Set(batch);
    const stray = signed.body.files.find((f) => !asked.has(f.path));
    if (stray) throw new Error(`the API answered a path that was not asked for (${JSON.stringify(stray.path)}); nothing was read from it`);
    const queue = [...signed.body.files];
    const worker = async () => {
      for (let f = queue.shift(); f; f = queue.shift()) {
        const file = f;
        const local = join(o.dir, ...file.path.split("/"));
        const size = statSync(local).size;
        await withRetry(`upload ${file.path}`, () => putFile(file.url, local, 0, size, file.headers), RETRY);
        sentBytes += size;
        bar.update(sentBytes);
      }
    };
    await Promise.all(Array.from({ length: Math.min(o.concurrency, queue.length) }, worker));
  }
  bar.done();

  await ok(client.GET("/api/v1/admin/assets/{id}/head", one));
  const sha256 = createHash("sha256").update(playlist).digest("hex");
  const fin = await ok(
    client.POST("/api/v1/admin/assets/{id}/finalize", {
      ...one,
      body: { size_bytes: playlist.length, content_type: PLAYLIST_TYPE, sha256 },
    }),
  );
  return {
    asset: fin.body,
    files: files.length,
    sent: todo.length,
    reused: files.length - todo.length,
    bytes: total,
    alreadyFinalized: false,
  };
}

/** Registers the tier, or takes up the tier asset an earlier run registered at the same place. */
async function registerTier(remote: Api, o: TierUploadOptions, playlistSize: number): Promise<Asset> {
  const { client } = remote;
  try {
    const created = await ok(
      client.POST("/api/v1/admin/titles/{id}/assets", {
        params: { path: { id: o.titleId } },
        body: {
          kind: "HLS",
          filename: TIER_PLAYLIST,
          size_bytes: playlistSize,
          content_type: PLAYLIST_TYPE,
          stream_tier: o.tier,
          is_streamable: true,
          ...(o.episodeId ? { episode_id: o.episodeId } : {}),
          ...o.metadata,
        },
      }),
    );
    return created.body.asset;
  } catch (e) {
    if (!(e instanceof ApiError && e.status === 409)) throw e;
    const { items } = (await ok(client.GET("/api/v1/admin/titles/{id}/assets", { params: { path: { id: o.titleId } } }))).body;
    const mine = items.find(
      (a) => a.kind === "HLS" && a.stream_tier === o.tier && (a.episode_id ?? undefined) === o.episodeId && a.filename === TIER_PLAYLIST,
    );
    if (!mine) throw e;
    return mine;
  }
}
