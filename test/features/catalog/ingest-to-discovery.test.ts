// The operator's workflow end to end (seed: "Typical Admin Workflow" → "Public Discovery"):
// create a series, upload episodes (one presigned PUT, one 3-part multipart), head, checksum,
// finalize, validate, publish; then find it, page it, fetch it by slug, revalidate, see edits.
import { describe, expect, it } from "vitest";
import type { Schemas } from "../../../scripts/client/index";
import { api, newAdmin, signIn } from "../../support/admin";
import { adminClient, pseudoBytes, sha256Hex, uniqueWord } from "../../support/admin-client";

// The API's own shapes (generated from its OpenAPI document), not retyped here.
type Asset = Schemas["MediaAsset"];
type Created = { asset: Asset; upload: Schemas["AssetUpload"] };
type Report = Schemas["MediaValidationReport"];
type SignedFiles = { files: { path: string; url: string; headers: Record<string, string> }[] };

const MiB = 1024 * 1024;

describe("ingest → validation → publish → discovery", () => {
  it("runs the whole operator and viewer workflow against the real stack", async () => {
    const admin = adminClient(await signIn(await newAdmin()));
    const word = uniqueWord();
    const name = `Marmalade Skyline ${word}`;

    // 1. A series with one season of two episodes.
    const series = await admin.ok(
      201,
      admin.post<{ id: string; slug: string; status: string }>("/admin/titles", {
        kind: "series",
        name,
        year: 2026,
        genres: ["Drama", `g-${word.toLowerCase()}`],
        languages: ["en"],
        overview: "A lighthouse keeper's daughter inherits a failing jam factory.",
      }),
    );
    expect(series.status).toBe("draft");
    expect(series.slug).toBe(`marmalade-skyline-${word.toLowerCase()}-2026`);
    const ep1 = await admin.ok(
      201,
      admin.post<{ id: string }>(`/admin/titles/${series.id}/episodes`, { season_number: 1, episode_number: 1, name: "Pilot" }),
    );
    const ep2 = await admin.ok(
      201,
      admin.post<{ id: string }>(`/admin/titles/${series.id}/episodes`, { season_number: 1, episode_number: 2, name: "Preserves" }),
    );

    // Drafts never leak.
    expect((await api(`/titles/${series.id}`)).status).toBe(404);
    expect((await api(`/titles/${series.slug}`)).status).toBe(404);
    expect((await api(`/titles/${series.id}/downloads`)).status).toBe(404);
    const hidden = (await (await api(`/titles?q=${encodeURIComponent(name)}`)).json()) as { items: unknown[] };
    expect(hidden.items).toEqual([]);

    const register = (body: Record<string, unknown>) => admin.ok(201, admin.post<Created>(`/admin/titles/${series.id}/assets`, body));
    const registerOriginal = (episodeId: string, filename: string, bytes: Uint8Array, more: Record<string, unknown>) =>
      register({ kind: "ORIGINAL", episode_id: episodeId, filename, size_bytes: bytes.length, content_type: "video/x-matroska", ...more });

    // 2a. Episode 1: a plain HTTP PUT to the presigned URL.
    const e1bytes = pseudoBytes(300_000, 11);
    const e1 = await registerOriginal(ep1.id, "S01E01 Pilot.mkv", e1bytes, { container: "mkv", video_codec: "hevc" });
    expect(e1.asset.storage_key).toBe(`originals/${series.id}/${ep1.id}/S01E01 Pilot.mkv`);
    expect(e1.upload.method).toBe("single");
    if (e1.upload.method !== "single") throw new Error("expected a single upload");
    const put = await fetch(e1.upload.url, { method: "PUT", body: e1bytes, headers: e1.upload.headers });
    expect(put.status).toBe(200);

    // 2b. Episode 2: a 3-part multipart upload, resumable from the parts list.
    const e2bytes = pseudoBytes(11 * MiB, 22);
    const e2 = await registerOriginal(ep2.id, "S01E02 Preserves.mkv", e2bytes, { upload_method: "multipart" });
    if (e2.upload.method !== "multipart") throw new Error("expected multipart");
    expect(e2.upload).toMatchObject({ part_size: 5 * MiB, part_count: 3 });
    const { parts: urls } = await admin.ok(
      200,
      admin.post<{ parts: { part_number: number; url: string }[] }>(`/admin/assets/${e2.asset.id}/upload/parts`, {
        part_numbers: [1, 2, 3],
      }),
    );
    const etags: { part_number: number; etag: string }[] = [];
    for (const p of urls.slice(0, 2)) {
      const chunk = e2bytes.slice((p.part_number - 1) * 5 * MiB, p.part_number * 5 * MiB);
      const r = await fetch(p.url, { method: "PUT", body: chunk });
      expect(r.status).toBe(200);
      etags.push({ part_number: p.part_number, etag: r.headers.get("etag") ?? "" });
    }
    // Resume: the server knows parts 1 and 2 are there.
    const listed = await admin.ok(
      200,
      admin.get<{ parts: { part_number: number; size: number }[] }>(`/admin/assets/${e2.asset.id}/upload/parts`),
    );
    expect(listed.parts.map((p) => [p.part_number, p.size])).toEqual([
      [1, 5 * MiB],
      [2, 5 * MiB],
    ]);
    const last = urls[2] as { part_number: number; url: string };
    const r3 = await fetch(last.url, { method: "PUT", body: e2bytes.slice(10 * MiB) });
    etags.push({ part_number: 3, etag: r3.headers.get("etag") ?? "" });
    const completed = await admin.ok(200, admin.post<Asset>(`/admin/assets/${e2.asset.id}/upload/complete`, { parts: etags }));
    expect(completed).toMatchObject({ upload_state: "uploaded", size_bytes: 11 * MiB });

    // 3. Head, checksum (the stored SHA-256 is the bytes'), finalize (idempotent; contradictions refused).
    for (const [asset, bytes] of [
      [e1.asset, e1bytes],
      [e2.asset, e2bytes],
    ] as const) {
      const head = await admin.ok(200, admin.get<Asset>(`/admin/assets/${asset.id}/head`));
      expect(head).toMatchObject({ size_bytes: bytes.length, content_type: "video/x-matroska" });
      const sum = await admin.ok(200, admin.post<{ asset: Asset; computed: boolean }>(`/admin/assets/${asset.id}/checksum`));
      expect(sum.computed).toBe(true);
      expect(sum.asset.sha256).toBe(await sha256Hex(bytes));
      expect(typeof sum.asset.crc32).toBe("number");
      const fin = { size_bytes: bytes.length, content_type: "video/x-matroska", sha256: sum.asset.sha256 };
      expect((await admin.ok(200, admin.post<Asset>(`/admin/assets/${asset.id}/finalize`, fin))).upload_state).toBe("finalized");
      expect((await admin.ok(200, admin.post<Asset>(`/admin/assets/${asset.id}/finalize`, fin))).upload_state).toBe("finalized");
      const contradiction = await admin.post<{ code: string }>(`/admin/assets/${asset.id}/finalize`, {
        ...fin,
        size_bytes: bytes.length + 1,
      });
      expect(contradiction.status).toBe(409);
    }

    // 4. Validation names what is missing, then passes once each episode streams in three tiers.
    const before = await admin.ok(200, admin.get<Report>(`/admin/titles/${series.id}/validate-media`));
    expect(before.ok).toBe(false);
    expect(before.errors.filter((e) => e.code === "HLS_TIER_MISSING")).toHaveLength(6);
    const refused = await admin.post<{ code: string; validation: Report }>(`/admin/titles/${series.id}/publish`);
    expect(refused.status).toBe(422);
    expect(refused.body.validation.ok).toBe(false);

    for (const ep of [ep1, ep2]) {
      for (const tier of [480, 720, 1080]) {
        const playlist = new TextEncoder().encode(`#EXTM3U\n#EXT-X-TARGETDURATION:6\n#EXTINF:6.0,\nseg-0.ts\n#EXT-X-ENDLIST\n`);
        const h = await register({
          kind: "HLS",
          episode_id: ep.id,
          filename: "index.m3u8",
          size_bytes: playlist.length,
          content_type: "application/vnd.apple.mpegurl",
          stream_tier: tier,
          is_streamable: true,
          height: tier,
          bitrate_kbps: tier * 4,
          video_codec: "h264",
        });
        if (h.upload.method !== "single") throw new Error("expected single");
        expect((await fetch(h.upload.url, { method: "PUT", body: playlist, headers: h.upload.headers })).status).toBe(200);
        // Its one segment, through the tier folder's own presigned PUT.
        const seg = await admin.ok(200, admin.post<SignedFiles>(`/admin/assets/${h.asset.id}/files`, { paths: ["seg-0.ts"] }));
        const [segUrl] = seg.files;
        if (!segUrl) throw new Error("expected a signed segment PUT");
        expect((await fetch(segUrl.url, { method: "PUT", body: pseudoBytes(1000, tier), headers: segUrl.headers })).status).toBe(200);
        // Confirmed in the bucket and its playlist chain checked: only then is the tier offered.
        await admin.ok(200, admin.get(`/admin/assets/${h.asset.id}/head`));
        const fin = {
          size_bytes: playlist.length,
          content_type: "application/vnd.apple.mpegurl",
          sha256: await sha256Hex(playlist as Uint8Array<ArrayBuffer>),
        };
        await admin.ok(200, admin.post(`/admin/assets/${h.asset.id}/finalize`, fin));
      }
    }
    const after = await admin.ok(200, admin.get<Report>(`/admin/titles/${series.id}/validate-media`));
    expect(after.errors).toEqual([]);
    expect(after.ok).toBe(true);
    const published = await admin.ok(200, admin.post<{ title: { status: string } }>(`/admin/titles/${series.id}/publish`));
    expect(published.title.status).toBe("published");

    // 5. Found by search, also with typos; by genre filter; by slug.
    const search = async (q: string) =>
      ((await (await api(`/titles?q=${encodeURIComponent(q)}`)).json()) as { items: { id: string }[] }).items.map((i) => i.id);
    expect(await search(name)).toContain(series.id);
    expect(await search(`marmalde skylin ${word}`)).toContain(series.id);
    expect(await search("jam factory lighthouse")).toContain(series.id);
    const bySlug = await api(`/titles/${series.slug}`);
    expect(bySlug.status).toBe(200);
    const detail = (await bySlug.json()) as { title: { id: string }; seasons: { number: number; episodes: { id: string }[] }[] };
    expect(detail.title.id).toBe(series.id);
    expect(detail.seasons[0]?.episodes.map((e) => e.id)).toEqual([ep1.id, ep2.id]);

    // Downloads per season and episode carry what a client needs.
    const downloads = (await (await api(`/titles/${series.id}/downloads`)).json()) as {
      seasons: { episodes: { items: { asset_id: string; sha256: string; size_bytes: number }[] }[] }[];
    };
    const items = downloads.seasons[0]?.episodes.map((e) => e.items.map((i) => i.asset_id));
    expect(items).toEqual([[e1.asset.id], [e2.asset.id]]);
    const epDl = (await (await api(`/titles/${series.id}/episodes/${ep2.id}/downloads`)).json()) as {
      items: { sha256: string; size_bytes: number }[];
    };
    expect(epDl.items[0]).toMatchObject({ sha256: await sha256Hex(e2bytes), size_bytes: 11 * MiB });

    // Streams: three tiers per episode with a playback URL, and the master that plays them.
    const streams = (await (await api(`/titles/${series.id}/streams?episode_id=${ep1.id}`)).json()) as Schemas["Streams"];
    expect(streams.items.map((s) => s.tier)).toEqual([480, 720, 1080]);
    // The bit rate finalize measured from the ladder (1,000 bytes in 6 s), not the 1,920 kbps registered.
    expect(streams.items[0]?.bandwidth).toBe(2000);
    expect(streams.master_url).toMatch(/\/delivery\/hls\/titles\/[0-9a-f-]{36}\/master\.m3u8\?episode_id=/);
    const byPath = (await (await api(`/titles/${series.id}/episodes/${ep1.id}/streams`)).json()) as Schemas["Streams"];
    expect(byPath.items.map((s) => s.asset_id)).toEqual(streams.items.map((s) => s.asset_id));
    // A series asked for every episode's tiers at once has no single master.
    const all = (await (await api(`/titles/${series.id}/streams`)).json()) as Schemas["Streams"];
    expect(all.items).toHaveLength(6);
    expect(all.master_url).toBeNull();

    // 6. Conditional GET: the same ETag revalidates with 304; an admin edit shows on the next read.
    const first = await api(`/titles/${series.id}`);
    const etag = first.headers.get("etag") ?? "";
    expect(etag).toMatch(/^"[0-9a-f]{32}"$/);
    expect(first.headers.get("cache-control")).toContain("s-maxage");
    const revalidated = await api(`/titles/${series.id}`, { headers: { "if-none-match": etag } });
    expect(revalidated.status).toBe(304);
    expect(await revalidated.text()).toBe("");

    await admin.ok(200, admin.patch(`/admin/titles/${series.id}`, { overview: "Now with a second season." }));
    const edited = await api(`/titles/${series.id}`, { headers: { "if-none-match": etag } });
    expect(edited.status).toBe(200);
    expect(((await edited.json()) as { title: { overview: string } }).title.overview).toBe("Now with a second season.");

    // Unpublished again: gone from every public route at once.
    await admin.ok(200, admin.post(`/admin/titles/${series.id}/unpublish`));
    expect((await api(`/titles/${series.slug}`)).status).toBe(404);
    expect(await search(name)).not.toContain(series.id);
  }, 120_000);
});
