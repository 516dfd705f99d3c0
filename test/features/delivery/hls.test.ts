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
type Admin = Awaited<ReturnType<typeof publishedMovieWith>>["admin"];
/** Finalize an HLS tier as an operator does: finalize reads its playlist chain, and only then is it offered. */
const finalize = async (admin: Admin, assetId: string, playlist: string) => {
  const bytes = enc(playlist);
  return admin.raw("POST", `/admin/assets/${assetId}/finalize`, {
    size_bytes: bytes.length,
    content_type: "application/vnd.apple.mpegurl",
    sha256: await sha256Hex(bytes),
  });
};
const GOOD = "#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXTINF:4.0,\nseg0.ts\n#EXT-X-ENDLIST\n";
/**
 * A finalized 480p tier whose playlist is then replaced in S3 by `playlist` (the folder stays
 * writable): what the rewriter must refuse or make safe however it got there.
 */
async function finalizedThenReplaced(playlist: string) {
  const made = await publishedMovieWith([
    {
      kind: "HLS",
      filename: "index.m3u8",
      bytes: enc(GOOD),
      extra: { stream_tier: 480, is_streamable: true, content_type: "application/vnd.apple.mpegurl" },
    },
  ]);
  const asset = made.assets[0] as { id: string; storage_key: string };
  const dir = asset.storage_key.replace(/index\.m3u8$/, "");
  await s3.put(`${dir}seg0.ts`, "segment zero");
  expect((await finalize(made.admin, asset.id, GOOD)).status).toBe(200);
  await s3.put(asset.storage_key, playlist);
  const { items } = (await (await api(`/titles/${made.title.id}/streams`)).json()) as { items: { playback_url: string }[] };
  expect(items).toHaveLength(1);
  return { ...made, asset, dir, playbackUrl: items[0]?.playback_url ?? "" };
}

describe("signed HLS playback", () => {
  it("plays a finalized tier's media playlist → segment chain through signed URLs only; an unfinalized tier is not offered", async () => {
    const master = "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=2800000,RESOLUTION=1280x720\nvariant/media.m3u8\n";
    const { admin, title, assets } = await publishedMovieWith([
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
    // Uploaded but not yet finalized: not offered, and its playback URL serves nothing.
    const early = (await (await api(`/titles/${title.slug}/streams`)).json()) as { items: unknown[] };
    expect(early.items).toEqual([]);
    const unfinalized = await playbackUrl(
      "http://api.test",
      config.ADMIN_JWT_SECRET,
      assets[0]?.id ?? "",
      "",
      Math.floor(Date.now() / 1000) + 60,
    );
    expect((await get(unfinalized)).status).toBe(404);
    expect((await finalize(admin, assets[0]?.id ?? "", master)).status).toBe(200);

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
    // Finalize recorded the ladder's media playlist: players are sent straight to it.
    expect(playback.searchParams.get("path")).toBe("variant/media.m3u8");
    const variantUrl = playback.toString();
    const media = await m.text();
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
    const { playbackUrl: url } = await finalizedThenReplaced("#EXTM3U\n#EXTINF:4.0,\n../../../originals/other/secret.mkv\n");
    expect((await get(url)).status).toBe(422);
  });

  it("stops serving once the title is unpublished", async () => {
    const { admin, title, playbackUrl: url } = await finalizedThenReplaced(GOOD);
    expect((await get(url)).status).toBe(200);
    await admin.ok(200, admin.post(`/admin/titles/${title.id}/unpublish`));
    expect((await get(url)).status).toBe(404);
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
    const { asset, dir } = await finalizedThenReplaced(GOOD);
    const other = dir.replace(/480p\/$/, "720p/");
    await s3.put(`${other}index.m3u8`, "#EXTM3U\n#EXTINF:4.0,\nother-tier.ts\n");
    for (const path of ["%2E%2E%2F720p%2Findex.m3u8", "..%2F720p%2Findex.m3u8", "../720p/index.m3u8"]) {
      const r = await get(await signedPath(asset.id, path));
      expect(r.status, path).toBe(404);
      expect(await r.text()).not.toContain("other-tier");
    }
  });

  it("absolute and root-relative URIs are refused, not passed through unsigned, whatever the line ends or quoting", async () => {
    for (const playlist of [
      "#EXTM3U\n#EXTINF:4.0,\nhttps://cdn.example/seg0.ts\n",
      '#EXTM3U\n#EXT-X-KEY:METHOD=AES-128,URI="https://keys.example/k1"\n#EXTINF:4.0,\nseg0.ts\n',
      "#EXTM3U\n#EXTINF:4.0,\n/hls/elsewhere/seg0.ts\n",
      // Bare CR line ends (RFC 8216 allows them; players split on them).
      "#EXTM3U\r#EXTINF:4.0,\rhttps://cdn.example/seg0.ts\r",
      "#EXTM3U\r\n#EXTINF:4.0,\r\nhttps://cdn.example/seg0.ts\r\n",
      // Unquoted and other URI-bearing attributes.
      "#EXTM3U\n#EXT-X-MAP:URI=https://cdn.example/init.mp4\n#EXTINF:4.0,\nseg0.ts\n",
      '#EXTM3U\n#EXT-X-CONTENT-STEERING:SERVER-URI="https://cdn.example/steer"\n#EXTINF:4.0,\nseg0.ts\n',
      '#EXTM3U\n#EXT-X-DATERANGE:ID="ad",START-DATE="2026-01-01T00:00:00Z",CLASS="com.apple.hls.interstitial",X-ASSET-URI="https://cdn.example/ad.m3u8"\n#EXTINF:4.0,\nseg0.ts\n',
      '#EXTM3U\n#EXT-X-DATERANGE:ID="ad",X-ASSET-LIST="https://cdn.example/ads.json"\n#EXTINF:4.0,\nseg0.ts\n',
      '#EXTM3U\n#EXT-X-DATERANGE:ID="x",X-COM-EXAMPLE-LINK="https://cdn.example/page"\n#EXTINF:4.0,\nseg0.ts\n',
      // Attributes that can't be read cannot be made safe.
      '#EXTM3U\n#EXT-X-MAP:URI="https://cdn.example/init.mp4\n#EXTINF:4.0,\nseg0.ts\n',
    ]) {
      const { playbackUrl: url } = await finalizedThenReplaced(playlist);
      const r = await get(url);
      expect(r.status, JSON.stringify(playlist)).toBe(422);
      expect(await r.text()).not.toMatch(/cdn\.example|keys\.example|elsewhere/);
    }
  });

  it("signs URIs on every line end and in unquoted attributes: each line is a line, each URI a signed URL", async () => {
    const { dir, playbackUrl: url } = await finalizedThenReplaced(
      "#EXTM3U\r#EXT-X-TARGETDURATION:4\r#EXT-X-MAP:URI=init.mp4\r#EXTINF:4.0,\rseg0.ts\r\n#EXTINF:4.0,\nseg1.ts\r#EXT-X-ENDLIST\r",
    );
    await s3.put(`${dir}init.mp4`, "init bytes");
    await s3.put(`${dir}seg1.ts`, "segment one");
    const r = await get(url);
    expect(r.status).toBe(200);
    const lines = (await r.text()).split("\n");
    expect(lines.every((l) => !l.includes("\r"))).toBe(true);
    const segs = lines.filter((l) => l && !l.startsWith("#"));
    expect(await Promise.all(segs.map(async (u) => (await fetch(u)).text()))).toEqual(["segment zero", "segment one"]);
    const map = lines.find((l) => l.startsWith("#EXT-X-MAP:")) ?? "";
    const init = map.match(/^#EXT-X-MAP:URI="([^"]+)"$/)?.[1] ?? "";
    expect(await (await fetch(init)).text()).toBe("init bytes");
  });

  it("another tier's folder of the same title is outside: its segments are not signed", async () => {
    const { playbackUrl: url } = await finalizedThenReplaced("#EXTM3U\n#EXTINF:4.0,\n../720p/seg0.ts\n");
    expect((await get(url)).status).toBe(422);
  });

  it("finalize reads lines and attributes as players do: bare CR and unquoted URIs are checked too", async () => {
    for (const [playlist, problem] of [
      [
        "#EXTM3U\r#EXT-X-TARGETDURATION:4\r#EXTINF:4.0,\rhttps://cdn.example/seg0.ts\r",
        "index.m3u8: https://cdn.example/seg0.ts is an absolute URL",
      ],
      [
        "#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXT-X-MAP:URI=https://cdn.example/init.mp4\n#EXTINF:4.0,\nseg0.ts\n",
        "index.m3u8: https://cdn.example/init.mp4 is an absolute URL",
      ],
    ] as const) {
      const { admin, asset, dir } = await tierWith(playlist);
      await s3.put(`${dir}seg0.ts`, "segment zero");
      const p = (await expectProblem(await finalize(admin, asset.id, playlist), 409, "CONFLICT")) as { problems?: string[] };
      expect(p.problems).toEqual([problem]);
    }
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
