// Only files that are in the bucket are offered or signed (an asset registered but not yet
// uploaded is not), and deleting a title, an episode or a stream tier removes every object under
// its folders, the HLS segments no row names included.
import { describe, expect, it } from "vitest";
import { keys } from "../../../src/lib/storage-keys";
import { createS3 } from "../../../src/platform/s3";
import { api, config, newAdmin, signIn } from "../../support/admin";
import { adminClient, pseudoBytes } from "../../support/admin-client";
import { type Created, publishedMovieWith } from "../../support/delivery";
import { expectProblem } from "../../support/problem";

const s3 = createS3(config);
const under = async (prefix: string) => (await s3.list(prefix)).objects.map((o) => o.key);
const postJson = (path: string, body: unknown) =>
  api(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

describe("assets still pending upload", () => {
  it("are neither listed nor signed nor given tokens; once uploaded they are", async () => {
    const { admin, title, assets } = await publishedMovieWith([{ kind: "ORIGINAL", filename: "here.mkv", bytes: pseudoBytes(100, 1) }]);
    // Registered, never uploaded: a file, a stream tier and a subtitle.
    const pending = await Promise.all(
      [
        { kind: "DOWNLOAD", filename: "later.mkv", size_bytes: 100, quality: "1080p" },
        { kind: "HLS", filename: "index.m3u8", size_bytes: 10, stream_tier: 720, is_streamable: true },
        { kind: "SUBTITLE", filename: "en.vtt", size_bytes: 10, language: "en" },
      ].map(async (b) => (await admin.ok(201, admin.post<Created>(`/admin/titles/${title.id}/assets`, b))).asset),
    );
    const [file, tier, subtitle] = pending as [Created["asset"], Created["asset"], Created["asset"]];

    const downloads = (await (await api(`/titles/${title.id}/downloads`)).json()) as { items: { storage_key: string }[] };
    expect(downloads.items.map((i) => i.storage_key)).toEqual([assets[0]?.storage_key]);
    expect(((await (await api(`/titles/${title.id}/streams`)).json()) as { items: unknown[] }).items).toEqual([]);
    expect(((await (await api(`/titles/${title.id}/subtitles`)).json()) as { items: unknown[] }).items).toEqual([]);
    await expectProblem(await api(`/titles/${title.id}/media/${subtitle.id}`), 404, "NOT_FOUND");
    await expectProblem(await postJson("/delivery/download-url", { storage_key: file.storage_key }), 404, "NOT_FOUND");
    const batch = await postJson("/delivery/batch-download-urls", {
      items: [{ storage_key: assets[0]?.storage_key }, { storage_key: file.storage_key }],
    });
    expect(batch.status).toBe(404);
    const minted = await admin.post("/admin/delivery/download-tokens/batch", { items: [{ asset_id: file.id }], ttl_seconds: 600 });
    expect(minted.status).toBe(404);
    void tier;

    // Uploaded and confirmed: offered and signed like any other.
    const bytes = pseudoBytes(100, 2);
    await s3.put(file.storage_key, bytes);
    await admin.ok(200, admin.get(`/admin/assets/${file.id}/head`));
    expect((await postJson("/delivery/download-url", { storage_key: file.storage_key })).status).toBe(200);
  });
});

describe("deleting removes every object under the folders", () => {
  const hlsLadder = async (prefix: string) => {
    const files = ["index.m3u8", "v/media.m3u8", "v/init.mp4", ...Array.from({ length: 30 }, (_, i) => `v/seg${i}.m4s`)];
    for (const f of files) await s3.put(`${prefix}${f}`, `#EXTM3U ${f}`);
    return files.length;
  };

  it("a title: originals, downloads, HLS segments, subtitles, artwork, bundles", async () => {
    const { admin, title } = await publishedMovieWith([
      { kind: "ORIGINAL", filename: "movie.mkv", bytes: pseudoBytes(64, 3) },
      { kind: "ARTWORK", filename: "poster.jpg", bytes: pseudoBytes(64, 4) },
    ]);
    await hlsLadder(keys.hlsPrefix(title.id, null, 480));
    await hlsLadder(keys.hlsPrefix(title.id, null, 1080));
    await s3.put(`subs/title/${title.id}/en.vtt`, "WEBVTT");
    await s3.put(`bundles/${title.id}/S01.zip`, "zip");
    // An upload left open counts too.
    const open = await s3.createMultipart(`originals/${title.id}/unfinished.mkv`);
    expect((await under(`hls/${title.id}/`)).length).toBe(66);

    expect((await admin.raw("DELETE", `/admin/titles/${title.id}?force=true`)).status).toBe(204);
    for (const prefix of keys.titlePrefixes(title.id)) expect(await under(prefix), prefix).toEqual([]);
    expect(await s3.listMultipartUploads(`originals/${title.id}/`)).toEqual([]);
    void open;
  });

  it("an episode: its own folders only; a stream tier: its own folder only", async () => {
    const admin = adminClient(await signIn(await newAdmin()));
    const t = await admin.ok(201, admin.post<{ id: string }>("/admin/titles", { kind: "series", name: `Cleanup ${crypto.randomUUID()}` }));
    const [e1, e2] = await Promise.all(
      [1, 2].map(async (n) =>
        admin.ok(201, admin.post<{ id: string }>(`/admin/titles/${t.id}/episodes`, { season_number: 1, episode_number: n })),
      ),
    );
    const ep1 = e1?.id ?? "";
    const ep2 = e2?.id ?? "";
    await hlsLadder(keys.hlsPrefix(t.id, ep1, 720));
    await hlsLadder(keys.hlsPrefix(t.id, ep2, 720));
    await s3.put(`originals/${t.id}/${ep1}/e1.mkv`, "e1");
    await s3.put(`originals/${t.id}/${ep2}/e2.mkv`, "e2");

    expect((await admin.raw("DELETE", `/admin/episodes/${ep1}?force=true`)).status).toBe(204);
    for (const prefix of keys.episodePrefixes(t.id, ep1)) expect(await under(prefix), prefix).toEqual([]);
    expect((await under(keys.hlsPrefix(t.id, ep2, 720))).length).toBe(33);
    expect(await under(`originals/${t.id}/${ep2}/`)).toEqual([`originals/${t.id}/${ep2}/e2.mkv`]);

    // The 720p tier of episode 2, as an asset: deleting it takes its folder, nothing else.
    const tier = await admin.ok(
      201,
      admin.post<Created>(`/admin/titles/${t.id}/assets`, {
        kind: "HLS",
        episode_id: ep2,
        filename: "index.m3u8",
        size_bytes: 10,
        stream_tier: 720,
      }),
    );
    expect(tier.asset.storage_key).toBe(`${keys.hlsPrefix(t.id, ep2, 720)}index.m3u8`);
    await hlsLadder(keys.hlsPrefix(t.id, ep2, 1080));
    expect((await admin.raw("DELETE", `/admin/assets/${tier.asset.id}`)).status).toBe(204);
    expect(await under(keys.hlsPrefix(t.id, ep2, 720))).toEqual([]);
    expect((await under(keys.hlsPrefix(t.id, ep2, 1080))).length).toBe(33);
  });
});
