// Fixtures for bundle tests: a published series whose episodes have real files in S3.
import { expect, inject } from "vitest";
import type { components } from "../../scripts/client/api";
import type { ArchiveCheck } from "../../scripts/stack/archive-report";
import { keys } from "../../src/lib/storage-keys";
import { createS3, type ObjectStore } from "../../src/platform/s3";
import { api, config, newAdmin, signIn } from "./admin";
import { adminClient, expectStatus, pseudoBytes, sha256Hex, typedAdminClient } from "./admin-client";

export async function seriesWithSeason(sizes: number[], opts: { checksum?: boolean; season?: number } = {}) {
  const token = await signIn(await newAdmin());
  const admin = adminClient(token);
  const typed = typedAdminClient(token);
  const season = opts.season ?? 1;
  const t = await expectStatus(
    201,
    typed.POST("/api/v1/admin/titles", { body: { kind: "series", name: `Bundle ${crypto.randomUUID()}` } }),
  );
  const title = { params: { path: { id: t.id } } };
  const files: { key: string; bytes: Uint8Array<ArrayBuffer>; name: string }[] = [];
  for (const [i, size] of sizes.entries()) {
    const ep = await expectStatus(
      201,
      typed.POST("/api/v1/admin/titles/{id}/episodes", { ...title, body: { season_number: season, episode_number: i + 1 } }),
    );
    const bytes = pseudoBytes(size, i + 7);
    const name = `Episode ${i + 1} – ${["Pilot", "Zweite", "東京"][i % 3]}.mkv`;
    const asset = await uploadAsset(
      typed,
      t.id,
      { kind: "ORIGINAL", episode_id: ep.id, filename: name, content_type: "video/x-matroska" },
      bytes,
      // Every other file checksummed: the job must measure the CRC of the others itself.
      opts.checksum !== false && i % 2 === 0,
    );
    files.push({ key: asset.storage_key, bytes, name });
  }
  await expectStatus(
    200,
    typed.POST("/api/v1/admin/titles/{id}/publish", { ...title, params: { ...title.params, query: { force: "true" } } }),
  );
  return { admin, title: t, season, files };
}

type TypedAdmin = ReturnType<typeof typedAdminClient>;

/** An asset of `titleId` registered, uploaded with one PUT and its size recorded (HEAD); checksummed when asked. */
export async function uploadAsset(
  typed: TypedAdmin,
  titleId: string,
  body: Omit<components["schemas"]["CreateAsset"], "size_bytes">,
  bytes: Uint8Array<ArrayBuffer>,
  checksum = false,
): Promise<{ id: string; storage_key: string }> {
  const title = { params: { path: { id: titleId } } };
  const c = await expectStatus(
    201,
    typed.POST("/api/v1/admin/titles/{id}/assets", { ...title, body: { ...body, size_bytes: bytes.length } }),
  );
  if (c.upload.method !== "single") throw new Error("a small file is uploaded with one PUT");
  const put = await fetch(c.upload.url, { method: "PUT", body: bytes, headers: c.upload.headers });
  await put.body?.cancel(); // an unread body keeps one of the test's few connections open
  expect(put.status).toBe(200);
  const asset = { params: { path: { id: c.asset.id } } };
  await expectStatus(200, typed.GET("/api/v1/admin/assets/{id}/head", asset));
  if (checksum) await expectStatus(200, typed.POST("/api/v1/admin/assets/{id}/checksum", asset));
  return c.asset;
}

export type BuildStatus = {
  state: string;
  attempt: number;
  error: string | null;
  progress: { bytes_done: number; bytes_total: number } | null;
};

export async function bundleStatus(titleId: string, season: number, presign = false) {
  const r = await api(`/delivery/bundle-status?title_id=${titleId}&season_number=${season}${presign ? "&presign=true" : ""}`);
  expect(r.status).toBe(200);
  return (await r.json()) as {
    status: BuildStatus;
    bundle: { sha256: string; size_bytes: number; item_count: number } | null;
    download: { url: string; sha256: string } | null;
  };
}

export async function waitReady(titleId: string, season: number, timeoutMs = 45_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await bundleStatus(titleId, season, true);
    if (s.status.state === "ready" && s.download) return s;
    if (s.status.state === "failed") throw new Error(`bundle failed: ${s.status.error}`);
    if (Date.now() > deadline) throw new Error(`bundle not ready: ${JSON.stringify(s.status)}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

/** Waits (up to about 10 s) until a job's multipart upload for `zipKey` is open: bytes are flowing. */
async function openUploadCount(s3: ObjectStore, zipKey: string): Promise<number> {
  let open = 0;
  for (let i = 0; i < 1000 && open === 0; i++) {
    open = (await s3.listMultipartUploads(zipKey)).length;
    if (open === 0) await new Promise((r) => setTimeout(r, 10));
  }
  return open;
}

/** A season (files not checksummed, so the job reads them) whose bundle job is writing its archive. */
export async function seasonBeingBuilt(sizes: number[]) {
  const made = await seriesWithSeason(sizes, { checksum: false });
  const s3 = createS3(config);
  const zipKey = keys.bundle(made.title.id, made.season);
  expect((await requestBundle(made.title.id, made.season)).status).toBe(202);
  expect(await openUploadCount(s3, zipKey)).toBe(1); // bytes are flowing
  return { ...made, s3, zipKey };
}

/** A ready bundle left no multipart upload behind, and its archive has the SHA-256 it records. */
export async function expectSoundBundle(
  s3: ObjectStore,
  zipKey: string,
  ready: Awaited<ReturnType<typeof waitReady>>,
): Promise<Uint8Array> {
  expect(await s3.listMultipartUploads(zipKey)).toEqual([]);
  const zip = new Uint8Array(await (await fetch(ready.download?.url ?? "")).arrayBuffer());
  expect(await sha256Hex(zip)).toBe(ready.bundle?.sha256);
  return zip;
}

/** POST /delivery/request-bundle, from an address of its own unless given one (it is under the presign limit). */
export const requestBundle = (titleId: string, season: number, ip?: string) =>
  api("/delivery/request-bundle", {
    method: "POST",
    headers: { "content-type": "application/json", ...(ip ? { "cf-connecting-ip": ip } : {}) },
    body: JSON.stringify({ title_id: titleId, season_number: season }),
  });

/** Downloads `url` outside workerd and checks it with `unzip -t` and Python's zipfile. */
export async function checkArchive(url: string): Promise<ArchiveCheck & { status: number }> {
  const r = await fetch(`${inject("controlUrl")}/tools/zip-check`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ url }),
  });
  expect(r.status, await r.clone().text()).toBe(200);
  return (await r.json()) as ArchiveCheck & { status: number };
}

const encode = (s: string) => Uint8Array.from(new TextEncoder().encode(s));

/** A published series of three named episodes with subtitles (one default, one forced) and posters. */
export async function librarySeries(opts: { checksumAll?: boolean } = {}) {
  const token = await signIn(await newAdmin());
  const typed = typedAdminClient(token);
  const tag = crypto.randomUUID().slice(0, 8);
  const name = `The Keepers: ${tag}`;
  const t = await expectStatus(
    201,
    typed.POST("/api/v1/admin/titles", {
      body: { kind: "series", name, year: 2024, overview: 'Storms & <secrets> on a "quiet" island.', genres: ["drama", "mystery"] },
    }),
  );
  const title = { params: { path: { id: t.id } } };
  const episodes = [
    { name: "Pilot", air_date: "2024-03-01", runtime_minutes: 52, overview: "The light goes out.", file: "pilot-final.mkv" },
    { name: "Storm / Surge", air_date: "2024-03-08", runtime_minutes: 48, overview: null, file: "e2.mkv" },
    { name: "東京", air_date: null, runtime_minutes: null, overview: null, file: "Episode 3.mp4" },
  ];
  const files: Record<string, Uint8Array<ArrayBuffer>> = {};
  for (const [i, e] of episodes.entries()) {
    const ep = await expectStatus(
      201,
      typed.POST("/api/v1/admin/titles/{id}/episodes", {
        ...title,
        body: {
          season_number: 1,
          episode_number: i + 1,
          name: e.name,
          air_date: e.air_date,
          runtime_minutes: e.runtime_minutes,
          overview: e.overview,
        },
      }),
    );
    files[`video${i + 1}`] = pseudoBytes(512 * 1024 + i * 1000 + 3, i + 40);
    // Unless all are asked for, the second video is not checksummed: the job measures its CRC-32 itself.
    await uploadAsset(
      typed,
      t.id,
      { kind: "ORIGINAL", episode_id: ep.id, filename: e.file },
      files[`video${i + 1}`] as Uint8Array<ArrayBuffer>,
      opts.checksumAll || i !== 1,
    );
    if (i < 2) {
      files[`en${i + 1}`] = encode(`1\n00:00:01,000 --> 00:00:02,000\nHello from episode ${i + 1}.\n\n`.repeat(40));
      await uploadAsset(
        typed,
        t.id,
        { kind: "SUBTITLE", episode_id: ep.id, filename: `ep${i + 1}.en.srt`, language: "en", is_default: true },
        files[`en${i + 1}`] as Uint8Array<ArrayBuffer>,
        opts.checksumAll,
      );
    }
    if (i === 0) {
      files.fr1 = encode("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nBonjour.\n");
      await uploadAsset(
        typed,
        t.id,
        { kind: "SUBTITLE", episode_id: ep.id, filename: "forced.fr.vtt", language: "fr", is_forced: true, label: "Français (forcé)" },
        files.fr1,
        opts.checksumAll,
      );
    }
  }
  files.poster = pseudoBytes(20_000, 50);
  files.season = pseudoBytes(15_000, 51);
  await uploadAsset(typed, t.id, { kind: "ARTWORK", filename: "key-art.jpg", label: "Poster" }, files.poster, opts.checksumAll);
  await uploadAsset(typed, t.id, { kind: "ARTWORK", filename: "season01.png", label: "Season 1" }, files.season, opts.checksumAll);
  await uploadAsset(typed, t.id, { kind: "ARTWORK", filename: "backdrop.jpg", label: "Backdrop" }, pseudoBytes(9_000, 52));
  await expectStatus(
    200,
    typed.POST("/api/v1/admin/titles/{id}/publish", { ...title, params: { ...title.params, query: { force: "true" } } }),
  );
  return { token, title: t, tag, files };
}
