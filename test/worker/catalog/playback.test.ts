// Streams play from the private bucket: the playlist comes back with every segment signed.
import { describe, expect, it } from "vitest";
import { createS3 } from "../../../src/adapters/s3";
import { api, config, newAdmin, signIn } from "../../support/admin";
import { adminClient } from "../../support/admin-client";

const s3 = createS3(config);
type Created = { asset: { id: string; storage_key: string }; upload: { url: string; headers: Record<string, string> } };

describe("signed HLS playback", () => {
  it("serves the tier's playlist with signed segment URLs, only for published titles", async () => {
    const admin = adminClient(await signIn(await newAdmin()));
    const t = await admin.ok(
      201,
      admin.post<{ id: string; slug: string }>("/admin/titles", { kind: "movie", name: `Play ${crypto.randomUUID()}` }),
    );
    const playlist =
      '#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXT-X-MAP:URI="init.mp4"\n#EXTINF:4.0,\nseg 0.m4s\n#EXTINF:4.0,\n./seg%201.m4s\n#EXT-X-ENDLIST\n';
    const h = await admin.ok(
      201,
      admin.post<Created>(`/admin/titles/${t.id}/assets`, {
        kind: "HLS",
        filename: "index.m3u8",
        size_bytes: playlist.length,
        stream_tier: 720,
        is_streamable: true,
        content_type: "application/vnd.apple.mpegurl",
      }),
    );
    await fetch(h.upload.url, { method: "PUT", body: playlist, headers: h.upload.headers });
    const dir = h.asset.storage_key.replace(/index\.m3u8$/, "");
    await s3.put(`${dir}init.mp4`, "init");
    await s3.put(`${dir}seg 0.m4s`, "segment zero");
    await s3.put(`${dir}seg 1.m4s`, "segment one");

    const url = `/delivery/hls/${h.asset.id}/playlist.m3u8`;
    expect((await api(url)).status).toBe(404); // still a draft
    await admin.ok(200, admin.post(`/admin/titles/${t.id}/publish?force=true`));

    const streams = (await (await api(`/titles/${t.slug}/streams`)).json()) as { items: { playback_url: string }[] };
    expect(streams.items.map((s) => s.playback_url)).toEqual([`/api/v1${url}`]);
    const res = await api(url);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/vnd.apple.mpegurl");
    expect(res.headers.get("cache-control")).toBe("no-store");
    const lines = (await res.text()).split("\n");
    const uris = lines.filter((l) => l && !l.startsWith("#"));
    expect(uris).toHaveLength(2);
    expect(await (await fetch(uris[0] ?? "")).text()).toBe("segment zero");
    expect(await (await fetch(uris[1] ?? "")).text()).toBe("segment one");
    const map = lines.find((l) => l.startsWith("#EXT-X-MAP"))?.match(/URI="([^"]+)"/)?.[1] ?? "";
    expect(await (await fetch(map)).text()).toBe("init");
    expect((await fetch((uris[0] ?? "").replace("X-Amz-Expires=", "X-Amz-Expires=9"))).status).toBe(403);
  });

  it("refuses a playlist that points outside its title's folder", async () => {
    const admin = adminClient(await signIn(await newAdmin()));
    const t = await admin.ok(201, admin.post<{ id: string }>("/admin/titles", { kind: "movie", name: `Escape ${crypto.randomUUID()}` }));
    const playlist = "#EXTM3U\n#EXTINF:4.0,\n../../../originals/other/secret.mkv\n";
    const h = await admin.ok(
      201,
      admin.post<Created>(`/admin/titles/${t.id}/assets`, {
        kind: "HLS",
        filename: "index.m3u8",
        size_bytes: playlist.length,
        stream_tier: 480,
        is_streamable: true,
      }),
    );
    await fetch(h.upload.url, { method: "PUT", body: playlist, headers: h.upload.headers });
    await admin.ok(200, admin.post(`/admin/titles/${t.id}/publish?force=true`));
    expect((await api(`/delivery/hls/${h.asset.id}/playlist.m3u8`)).status).toBe(422);
  });
});
