// HLS playback through signed URLs only: the playback URL from /streams, a master playlist whose
// variant is re-served (signed) by the Worker, and segments presigned on S3.
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { playbackUrl } from "../../../src/features/delivery/routes-hls";
import { createS3 } from "../../../src/platform/s3";
import { api, config } from "../../support/admin";
import { sha256Hex } from "../../support/admin-client";
import { publishedMovieWith } from "../../support/delivery";
import { expectProblem } from "../../support/problem";

const s3 = createS3(config);
/** Worker URLs go to the Worker under test; everything else (S3) over the network. */
const get = (u: string | URL) => (new URL(u).host === "api.test" ? SELF.fetch(u) : fetch(u));
const enc = (s: string) => new TextEncoder().encode(s) as Uint8Array<ArrayBuffer>;

describe("signed HLS playback", () => {
  it("plays a master → media playlist → segment chain through signed URLs only", async () => {
    const master = "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=2800000,RESOLUTION=1280x720\nvariant/media.m3u8\n";
    const { title, assets } = await publishedMovieWith([
      {
        kind: "HLS",
        filename: "index.m3u8",
        bytes: enc(master),
        extra: { stream_tier: 720, is_streamable: true, content_type: "application/vnd.apple.mpegurl" },
      },
    ]);
    const dir = (assets[0]?.storage_key ?? "").replace(/index\.m3u8$/, "");
    await s3.put(
      `${dir}variant/media.m3u8`,
      '#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXT-X-MAP:URI="init.mp4"\n#EXTINF:4.0,\nseg 0.m4s\n#EXTINF:4.0,\n../variant/seg%201.m4s\n#EXT-X-ENDLIST\n',
    );
    await s3.put(`${dir}variant/init.mp4`, "init bytes");
    await s3.put(`${dir}variant/seg 0.m4s`, "segment zero");
    await s3.put(`${dir}variant/seg 1.m4s`, "segment one");

    const streams = await api(`/titles/${title.slug}/streams`);
    expect(streams.headers.get("cache-control")).toBe("no-store");
    const { items } = (await streams.json()) as { items: { tier: number; playback_url: string }[] };
    expect(items.map((i) => i.tier)).toEqual([720]);
    const playback = new URL(items[0]?.playback_url ?? "");
    expect(playback.searchParams.get("sig")).toBeTruthy();
    expect(Number(playback.searchParams.get("exp"))).toBeGreaterThan(Date.now() / 1000);

    const m = await get(playback);
    expect(m.status).toBe(200);
    expect(m.headers.get("content-type")).toBe("application/vnd.apple.mpegurl");
    expect(m.headers.get("cache-control")).toBe("no-store");
    const variantUrl = (await m.text()).split("\n").find((l) => l && !l.startsWith("#")) ?? "";
    expect(new URL(variantUrl).pathname).toBe(playback.pathname);
    expect(new URL(variantUrl).searchParams.get("path")).toBe("variant/media.m3u8");

    const media = await (await get(variantUrl)).text();
    const segs = media.split("\n").filter((l) => l && !l.startsWith("#"));
    expect(segs.every((u) => new URL(u).searchParams.has("X-Amz-Signature"))).toBe(true);
    expect(await Promise.all(segs.map(async (u) => (await fetch(u)).text()))).toEqual(["segment zero", "segment one"]);
    const init = media.match(/URI="([^"]+)"/)?.[1] ?? "";
    expect(await (await fetch(init)).text()).toBe("init bytes");

    // The playlist URL itself is signed and expires.
    const unsigned = `${playback.origin}${playback.pathname}`;
    expect((await get(unsigned)).status).toBe(403);
    const tampered = new URL(variantUrl);
    tampered.searchParams.set("path", "../../../originals/x.m3u8");
    expect((await get(tampered)).status).toBe(403);
    const expired = await playbackUrl(playback.origin, config.ADMIN_JWT_SECRET, assets[0]?.id ?? "", "", Math.floor(Date.now() / 1000) - 1);
    const exp = await get(expired);
    expect(exp.status).toBe(403);
    expect(((await exp.json()) as { detail: string }).detail).toMatch(/expired/);
  });

  it("refuses a playlist that points outside its title's folder", async () => {
    const { title, assets } = await publishedMovieWith([
      {
        kind: "HLS",
        filename: "index.m3u8",
        bytes: enc("#EXTM3U\n#EXTINF:4.0,\n../../../originals/other/secret.mkv\n"),
        extra: { stream_tier: 480, is_streamable: true },
      },
    ]);
    const { items } = (await (await api(`/titles/${title.id}/streams`)).json()) as { items: { playback_url: string }[] };
    expect(items).toHaveLength(1);
    expect((await get(items[0]?.playback_url ?? "")).status).toBe(422);
    void assets;
  });

  it("stops serving once the title is unpublished", async () => {
    const { admin, title, assets } = await publishedMovieWith([
      { kind: "HLS", filename: "index.m3u8", bytes: enc("#EXTM3U\n"), extra: { stream_tier: 1080, is_streamable: true } },
    ]);
    const { items } = (await (await api(`/titles/${title.id}/streams`)).json()) as { items: { playback_url: string }[] };
    await admin.ok(200, admin.post(`/admin/titles/${title.id}/unpublish`));
    expect((await get(items[0]?.playback_url ?? "")).status).toBe(404);
    void assets;
  });
});

describe("an HLS tier's playlists stay inside the tier's own folder", () => {
  const tierWith = async (playlist: string, tier = 480) => {
    const made = await publishedMovieWith([
      {
        kind: "HLS",
        filename: "index.m3u8",
        bytes: enc(playlist),
        extra: { stream_tier: tier, is_streamable: true, content_type: "application/vnd.apple.mpegurl" },
      },
    ]);
    const asset = made.assets[0] as { id: string; storage_key: string };
    return { ...made, asset, dir: asset.storage_key.replace(/index\.m3u8$/, "") };
  };
  const signedPath = (assetId: string, path: string) =>
    playbackUrl("http://api.test", config.ADMIN_JWT_SECRET, assetId, path, Math.floor(Date.now() / 1000) + 300);

  it("a sub-playlist path is decoded once: an escaped ../ can't reach another tier's folder", async () => {
    const { asset, dir } = await tierWith("#EXTM3U\n");
    const other = dir.replace(/480p\/$/, "720p/");
    await s3.put(`${other}index.m3u8`, "#EXTM3U\n#EXTINF:4.0,\nother-tier.ts\n");
    for (const path of ["%2E%2E%2F720p%2Findex.m3u8", "..%2F720p%2Findex.m3u8", "../720p/index.m3u8"]) {
      const r = await get(await signedPath(asset.id, path));
      expect(r.status, path).toBe(404);
      expect(await r.text()).not.toContain("other-tier");
    }
  });

  it("absolute and root-relative URIs are refused, not passed through unsigned", async () => {
    for (const playlist of [
      "#EXTM3U\n#EXTINF:4.0,\nhttps://cdn.example/seg0.ts\n",
      '#EXTM3U\n#EXT-X-KEY:METHOD=AES-128,URI="https://keys.example/k1"\n#EXTINF:4.0,\nseg0.ts\n',
      "#EXTM3U\n#EXTINF:4.0,\n/hls/elsewhere/seg0.ts\n",
    ]) {
      const { title } = await tierWith(playlist);
      const { items } = (await (await api(`/titles/${title.id}/streams`)).json()) as { items: { playback_url: string }[] };
      const r = await get(items[0]?.playback_url ?? "");
      expect(r.status, playlist).toBe(422);
      expect(await r.text()).not.toMatch(/cdn\.example|keys\.example|elsewhere/);
    }
  });

  it("another tier's folder of the same title is outside: its segments are not signed", async () => {
    const { title } = await tierWith("#EXTM3U\n#EXTINF:4.0,\n../720p/seg0.ts\n");
    const { items } = (await (await api(`/titles/${title.id}/streams`)).json()) as { items: { playback_url: string }[] };
    expect((await get(items[0]?.playback_url ?? "")).status).toBe(422);
  });

  it("finalize refuses a playlist chain that leaves the folder or points to absolute URLs, naming each", async () => {
    const master =
      "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=800000\nvariant/media.m3u8\n#EXT-X-STREAM-INF:BANDWIDTH=900000\nhttps://cdn.example/v.m3u8\n";
    const { admin, asset, dir } = await tierWith(master);
    await s3.put(`${dir}variant/media.m3u8`, "#EXTM3U\n#EXTINF:4.0,\n../../720p/seg0.ts\n#EXTINF:4.0,\nseg1.ts\n");
    await s3.put(`${dir}variant/seg1.ts`, "segment one"); // present: only the URIs themselves are wrong here
    const bytes = enc(master);
    const finalize = await admin.raw("POST", `/admin/assets/${asset.id}/finalize`, {
      size_bytes: bytes.length,
      content_type: "application/vnd.apple.mpegurl",
      sha256: await sha256Hex(bytes),
    });
    const p = (await expectProblem(finalize, 409, "CONFLICT")) as { problems?: string[]; detail?: string };
    expect(p.detail, p.detail).toMatch(/playlist chain/);
    expect(p.problems).toEqual([
      "index.m3u8: https://cdn.example/v.m3u8 is an absolute URL",
      "variant/media.m3u8: ../../720p/seg0.ts is outside the tier's folder",
    ]);
    expect((await admin.get<{ upload_state: string }>(`/admin/assets/${asset.id}`)).body.upload_state).not.toBe("finalized");
  });
});
