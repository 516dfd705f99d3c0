// A small demo catalog for `npm run dev`: one movie and one series (two seasons of two
// episodes), with small generated media really uploaded to S3. Idempotent: fixed ids, upserts.
import { createHash } from "node:crypto";
import { neon, neonConfig } from "@neondatabase/serverless";
import { drizzle } from "drizzle-orm/neon-http";
import * as schema from "../src/db/schema/index.ts";
import { keys, STREAM_TIERS } from "../src/lib/storage-keys.ts";
import { createS3 } from "../src/platform/s3.ts";

type Env = Record<string, string>;
type AssetInsert = typeof schema.mediaAssets.$inferInsert;

const MOVIE_ID = "00000000-0000-4000-8000-000000000001";
const SERIES_ID = "00000000-0000-4000-8000-000000000002";
const episodeId = (season: number, ep: number) => `00000000-0000-4000-8000-0000000${season}${String(ep).padStart(4, "0")}`;
const assetId = (n: number) => `00000000-0000-4000-9000-${String(n).padStart(12, "0")}`;

/** Deterministic pseudo-media bytes with a readable header, so every run uploads the same objects. */
function fakeMedia(label: string, size: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(size);
  const header = new TextEncoder().encode(`MOVIESNOW DEMO MEDIA ${label}\n`);
  out.set(header.slice(0, size));
  let x = createHash("sha256").update(label).digest().readUInt32LE(0);
  for (let i = header.length; i < size; i++) {
    x = (x * 1664525 + 1013904223) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

export async function seedDemo(env: Env): Promise<{ titles: number; assets: number }> {
  if (env.NEON_FETCH_ENDPOINT) neonConfig.fetchEndpoint = env.NEON_FETCH_ENDPOINT;
  const db = drizzle({ client: neon(env.DATABASE_URL ?? ""), schema, casing: "snake_case" });
  const s3 = createS3({
    AWS_BUCKET_NAME: env.AWS_BUCKET_NAME ?? "",
    AWS_REGION: env.AWS_REGION ?? "",
    AWS_ACCESS_KEY_ID: env.AWS_ACCESS_KEY_ID ?? "",
    AWS_SECRET_ACCESS_KEY: env.AWS_SECRET_ACCESS_KEY ?? "",
    S3_ENDPOINT: env.S3_ENDPOINT,
  });

  await db
    .insert(schema.titles)
    .values([
      {
        id: MOVIE_ID,
        kind: "movie",
        slug: "the-demo-movie",
        name: "The Demo Movie",
        overview: "A short film that exists to exercise downloads, streaming tiers and subtitles.",
        year: 2026,
        releaseDate: "2026-01-15",
        genres: ["drama"],
        languages: ["en"],
        ageRating: "PG",
        runtimeMinutes: 92,
        status: "published",
        popularity: 10,
      },
      {
        id: SERIES_ID,
        kind: "series",
        slug: "demo-series",
        name: "Demo Series",
        overview: "Two seasons of two episodes each, for season bundles.",
        year: 2025,
        genres: ["sci-fi"],
        languages: ["en", "fr"],
        ageRating: "TV-14",
        status: "published",
        popularity: 20,
      },
    ])
    .onConflictDoNothing();
  await db
    .insert(schema.seasons)
    .values([1, 2].map((n) => ({ titleId: SERIES_ID, number: n, name: `Season ${n}` })))
    .onConflictDoNothing();
  await db
    .insert(schema.episodes)
    .values(
      [1, 2].flatMap((s) =>
        [1, 2].map((e) => ({
          id: episodeId(s, e),
          titleId: SERIES_ID,
          seasonNumber: s,
          episodeNumber: e,
          name: `S${s}E${e}`,
          runtimeMinutes: 42,
        })),
      ),
    )
    .onConflictDoNothing();

  const assets: { row: AssetInsert; body: Uint8Array<ArrayBuffer> }[] = [];
  let n = 0;
  const add = (row: Omit<AssetInsert, "id" | "sizeBytes" | "sha256" | "uploadState">, body: Uint8Array<ArrayBuffer>) => {
    n += 1;
    const sha256 = createHash("sha256").update(body).digest("hex");
    assets.push({ row: { ...row, id: assetId(n), sizeBytes: body.length, sha256, uploadState: "finalized" }, body });
  };
  add(
    {
      titleId: MOVIE_ID,
      kind: "ORIGINAL",
      storageKey: keys.original(MOVIE_ID, null, "The Demo Movie (2026).mkv"),
      filename: "The Demo Movie (2026).mkv",
      contentType: "video/x-matroska",
      container: "mkv",
      videoCodec: "hevc",
      audioCodec: "eac3",
      width: 3840,
      height: 2160,
      hdr: "hdr10",
      channels: 6,
    },
    fakeMedia("movie original", 256 * 1024),
  );
  add(
    {
      titleId: MOVIE_ID,
      kind: "DOWNLOAD",
      storageKey: keys.download(MOVIE_ID, null, "1080p", "The Demo Movie (2026) 1080p.mp4"),
      filename: "The Demo Movie (2026) 1080p.mp4",
      contentType: "video/mp4",
      container: "mp4",
      videoCodec: "h264",
      audioCodec: "aac",
      width: 1920,
      height: 1080,
      channels: 2,
      label: "1080p H.264",
    },
    fakeMedia("movie download 1080p", 128 * 1024),
  );
  for (const tier of STREAM_TIERS) {
    const playlist = `#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:6\n#EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:6.0,\nseg-00000.ts\n#EXT-X-ENDLIST\n`;
    add(
      {
        titleId: MOVIE_ID,
        kind: "HLS",
        storageKey: keys.hls(MOVIE_ID, null, tier, "index.m3u8"),
        filename: "index.m3u8",
        contentType: "application/vnd.apple.mpegurl",
        videoCodec: "h264",
        height: tier,
        width: Math.round((tier * 16) / 9),
        streamTier: tier,
        isStreamable: true,
        isDefault: tier === 720,
        label: `${tier}p`,
      },
      new TextEncoder().encode(playlist),
    );
    // The segment is an object under the ladder's prefix, not an asset row of its own.
    await s3.put(keys.hls(MOVIE_ID, null, tier, "seg-00000.ts"), fakeMedia(`movie hls ${tier}`, 32 * 1024), { contentType: "video/mp2t" });
  }
  add(
    {
      titleId: MOVIE_ID,
      kind: "SUBTITLE",
      storageKey: keys.subtitle(MOVIE_ID, null, "en.vtt"),
      filename: "en.vtt",
      contentType: "text/vtt",
      language: "en",
      isDefault: true,
      label: "English",
    },
    new TextEncoder().encode("WEBVTT\n\n00:00:01.000 --> 00:00:04.000\nHello from the demo movie.\n"),
  );
  for (const s of [1, 2]) {
    for (const e of [1, 2]) {
      const filename = `Demo Series S${String(s).padStart(2, "0")}E${String(e).padStart(2, "0")}.mkv`;
      add(
        {
          titleId: SERIES_ID,
          episodeId: episodeId(s, e),
          kind: "ORIGINAL",
          storageKey: keys.original(SERIES_ID, episodeId(s, e), filename),
          filename,
          contentType: "video/x-matroska",
          container: "mkv",
          videoCodec: "h264",
          audioCodec: "aac",
          width: 1920,
          height: 1080,
          channels: 2,
        },
        fakeMedia(`series s${s}e${e}`, 192 * 1024),
      );
    }
  }

  for (const a of assets) {
    await s3.put(a.row.storageKey, a.body, { contentType: a.row.contentType ?? "application/octet-stream" });
  }
  await db
    .insert(schema.mediaAssets)
    .values(assets.map((a) => a.row))
    .onConflictDoNothing();
  return { titles: 2, assets: assets.length };
}
