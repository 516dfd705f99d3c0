// One URL for adaptive playback with captions: the streams endpoints' master_url opens a master
// playlist the Worker builds from the tier assets (EXT-X-STREAM-INF with what finalize recorded)
// and the WebVTT subtitle assets (EXT-X-MEDIA), every URI in it signed, down to the segments.
import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Schemas } from "../../../scripts/client/index";
import { masterPlaylistUrl } from "../../../src/features/delivery/routes-hls";
import { createApp } from "../../../src/http/app";
import { defaultDeps } from "../../../src/http/middleware/init";
import { createS3 } from "../../../src/platform/s3";
import { api, config } from "../../support/admin";
import { sha256Hex } from "../../support/admin-client";
import { publishedMovieWith } from "../../support/delivery";
import { expectProblem } from "../../support/problem";

const s3 = createS3(config);
const get = (u: string | URL) => (new URL(u).host === "api.test" ? SELF.fetch(u) : fetch(u));
const enc = (s: string) => new TextEncoder().encode(s) as Uint8Array<ArrayBuffer>;
const uris = (playlist: string) => playlist.split("\n").filter((l) => l && !l.startsWith("#"));
/** The attributes of each line starting with `tag`, as a record. */
const tagAttrs = (playlist: string, tag: string) =>
  playlist
    .split("\n")
    .filter((l) => l.startsWith(`${tag}:`))
    .map((l) =>
      Object.fromEntries(
        [...l.slice(tag.length + 1).matchAll(/([A-Z0-9-]+)=("[^"]*"|[^,]*)/g)].map((m) => [m[1], (m[2] ?? "").replace(/^"|"$/g, "")]),
      ),
    );

const media = (segs: number) =>
  [
    "#EXTM3U",
    "#EXT-X-TARGETDURATION:4",
    ...Array.from({ length: segs }, (_, i) => [`#EXTINF:4.0,`, `seg_${i}.ts`]).flat(),
    "#EXT-X-ENDLIST",
    "",
  ].join("\n");
const webvtt = (text: string) => `WEBVTT\n\n00:00:00.000 --> 00:00:02.000\n${text}\n`;

/** A published movie with three finalized tiers (segments in S3) and subtitle tracks, as an operator leaves it. */
async function streamingMovie() {
  const tiers = [
    { tier: 480, width: 854, height: 480, codecs: "avc1.64001e,mp4a.40.2" },
    { tier: 720, width: 1280, height: 720, codecs: "avc1.64001f,mp4a.40.2" },
    { tier: 1080, width: 1920, height: 1080, codecs: "avc1.640028,mp4a.40.2" },
  ];
  const subs = [
    { filename: "en.vtt", language: "en", label: "English", is_default: true, body: webvtt("Hello") },
    { filename: "fr-forced.vtt", language: "fr", label: "Français (forcé)", is_forced: true, body: webvtt("Bonjour") },
    { filename: "de.srt", language: "de", content_type: "application/x-subrip", body: "1\n00:00:00,000 --> 00:00:02,000\nHallo\n" },
  ];
  const made = await publishedMovieWith([
    ...tiers.map((t) => ({
      kind: "HLS",
      filename: "index.m3u8",
      bytes: enc(media(2)),
      extra: {
        stream_tier: t.tier,
        is_streamable: true,
        width: t.width,
        height: t.height,
        codecs: t.codecs,
        frame_rate: 25,
        content_type: "application/vnd.apple.mpegurl",
      },
    })),
    ...subs.map(({ body, ...s }) => ({
      kind: "SUBTITLE",
      filename: s.filename,
      bytes: enc(body),
      extra: { content_type: "text/vtt", ...s },
    })),
  ]);
  for (const [i, a] of made.assets.slice(0, 3).entries()) {
    const folder = a.storage_key.replace(/index\.m3u8$/, "");
    // Segment sizes make each tier's measured bit rate: 480p 1,000 bytes per 4 s, then ×2, ×4.
    for (const n of [0, 1]) await s3.put(`${folder}seg_${n}.ts`, new Uint8Array(1000 * 2 ** i).fill(71));
    const bytes = enc(media(2));
    const fin = { size_bytes: bytes.length, content_type: "application/vnd.apple.mpegurl", sha256: await sha256Hex(bytes) };
    await made.admin.ok(200, made.admin.post(`/admin/assets/${a.id}/finalize`, fin));
  }
  return { ...made, tierAssets: made.assets.slice(0, 3), subAssets: made.assets.slice(3) };
}

describe("the master playlist", () => {
  it("names every tier with what finalize measured and every WebVTT track, and plays through signed URLs only", async () => {
    const { title, tierAssets, subAssets } = await streamingMovie();
    const res = await api(`/titles/${title.id}/streams`);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const streams = (await res.json()) as Schemas["Streams"];
    expect(streams.items.map((s) => s.tier)).toEqual([480, 720, 1080]);
    const masterUrl = new URL(streams.master_url ?? "");
    expect(masterUrl.searchParams.get("sig")).toBeTruthy();

    const m = await get(masterUrl);
    expect(m.status).toBe(200);
    expect(m.headers.get("content-type")).toBe("application/vnd.apple.mpegurl");
    expect(m.headers.get("cache-control")).toBe("no-store");
    // Web players fetch it from the sites CORS_ALLOWED_ORIGINS names (loopback in tests), no others.
    expect(m.headers.get("access-control-allow-origin")).toBeNull();
    const player = await SELF.fetch(masterUrl, { headers: { origin: "http://127.0.0.1:5173" } });
    expect(player.headers.get("access-control-allow-origin")).toBe("http://127.0.0.1:5173");
    await player.body?.cancel();
    const foreign = await SELF.fetch(masterUrl, { headers: { origin: "https://elsewhere.test" } });
    expect(foreign.headers.get("access-control-allow-origin")).toBeNull();
    await foreign.body?.cancel();
    const master = await m.text();
    expect(master.startsWith("#EXTM3U\n")).toBe(true);

    // One variant per tier, lowest first: BANDWIDTH as measured (peak 1000·8/4 bits/s per KiB step), and as registered.
    const variants = tagAttrs(master, "#EXT-X-STREAM-INF");
    expect(variants).toEqual([
      {
        BANDWIDTH: "2000",
        "AVERAGE-BANDWIDTH": "2000",
        RESOLUTION: "854x480",
        CODECS: "avc1.64001e,mp4a.40.2",
        "FRAME-RATE": "25.000",
        SUBTITLES: "subs",
      },
      {
        BANDWIDTH: "4000",
        "AVERAGE-BANDWIDTH": "4000",
        RESOLUTION: "1280x720",
        CODECS: "avc1.64001f,mp4a.40.2",
        "FRAME-RATE": "25.000",
        SUBTITLES: "subs",
      },
      {
        BANDWIDTH: "8000",
        "AVERAGE-BANDWIDTH": "8000",
        RESOLUTION: "1920x1080",
        CODECS: "avc1.640028,mp4a.40.2",
        "FRAME-RATE": "25.000",
        SUBTITLES: "subs",
      },
    ]);
    // The WebVTT tracks, not the SRT one (HLS carries WebVTT only).
    const renditions = tagAttrs(master, "#EXT-X-MEDIA");
    expect(renditions.map(({ URI: _u, ...r }) => r)).toEqual([
      { TYPE: "SUBTITLES", "GROUP-ID": "subs", NAME: "English", LANGUAGE: "en", DEFAULT: "YES", AUTOSELECT: "YES", FORCED: "NO" },
      { TYPE: "SUBTITLES", "GROUP-ID": "subs", NAME: "Français (forcé)", LANGUAGE: "fr", DEFAULT: "NO", AUTOSELECT: "NO", FORCED: "YES" },
    ]);

    // Each variant opens its tier's playlist, whose segments are presigned S3 URLs that S3 serves.
    const tierUris = uris(master);
    expect(tierUris).toHaveLength(3);
    for (const [i, u] of tierUris.entries()) {
      const tierPlaylist = await (await get(u)).text();
      const segs = uris(tierPlaylist);
      expect(segs).toHaveLength(2);
      for (const s of segs) {
        expect(new URL(s).pathname).toContain(tierAssets[i]?.storage_key.replace(/index\.m3u8$/, "").replace(/^/, "/") ?? "x");
        const seg = await fetch(s);
        expect(seg.status).toBe(200);
        expect((await seg.arrayBuffer()).byteLength).toBe(1000 * 2 ** i);
        // With its signature altered S3 refuses it (403, as AWS does); without one it is not served
        // either (the local Swift answers an unauthenticated path 400 where AWS says 403).
        const forged = new URL(s);
        forged.searchParams.set("X-Amz-Signature", "0".repeat(64));
        const bare = new URL(s);
        bare.search = "";
        const [f, b] = await Promise.all([fetch(forged), fetch(bare)]);
        await Promise.all([f.body?.cancel(), b.body?.cancel()]);
        expect(f.status).toBe(403);
        expect(b.status).toBeGreaterThanOrEqual(400);
        expect(b.status).toBeLessThan(500);
      }
    }

    // Each subtitle rendition opens a one-segment playlist of its WebVTT file, as long as the tiers (8 s).
    const en = await (await get(renditions[0]?.URI ?? "")).text();
    expect(en).toContain("#EXT-X-TARGETDURATION:8\n");
    expect(en).toContain("#EXTINF:8.000,\n");
    const vtt = await fetch(uris(en)[0] ?? "");
    expect(vtt.status).toBe(200);
    expect(await vtt.text()).toBe(webvtt("Hello"));
    expect(subAssets).toHaveLength(3);
  });

  it("is refused when its signature is wrong, expired or reused for another title, and when the title is unpublished", async () => {
    const { title, admin } = await streamingMovie();
    const { master_url } = (await (await api(`/titles/${title.id}/streams`)).json()) as Schemas["Streams"];
    const u = new URL(master_url ?? "");
    const tampered = new URL(u);
    tampered.searchParams.set("exp", String(Number(u.searchParams.get("exp")) + 60));
    await expectProblem(await get(tampered), 403, "FORBIDDEN");
    const expired = await masterPlaylistUrl(u.origin, config.ADMIN_JWT_SECRET, title.id, null, Math.floor(Date.now() / 1000) - 1);
    expect((await expectProblem(await get(expired), 403, "FORBIDDEN")).detail).toMatch(/expired/);
    const unsigned = new URL(u);
    unsigned.searchParams.delete("sig");
    await expectProblem(await get(unsigned), 403, "FORBIDDEN");
    // The same signature under another title's path: refused (the title is part of what is signed).
    const other = await streamingMovie();
    const moved = new URL(u);
    moved.pathname = u.pathname.replace(title.id, other.title.id);
    await expectProblem(await get(moved), 403, "FORBIDDEN");
    // A playlist URL's signature does not open a master (the kind of URL is part of what is signed).
    const { items } = (await (await api(`/titles/${title.id}/streams`)).json()) as Schemas["Streams"];
    const tierSig = new URL(items[0]?.playback_url ?? "").searchParams;
    const crossed = new URL(u);
    crossed.searchParams.set("exp", tierSig.get("exp") ?? "");
    crossed.searchParams.set("sig", tierSig.get("sig") ?? "");
    await expectProblem(await get(crossed), 403, "FORBIDDEN");

    expect((await get(u)).status).toBe(200);
    await admin.ok(200, admin.post(`/admin/titles/${title.id}/unpublish`));
    await expectProblem(await get(u), 404, "NOT_FOUND");
  });

  it("a second viewer in the same signing window costs no database query, S3 read or signing, and an unpublish still stops it", async () => {
    // A Worker whose clock stands still: both viewers are in one signing window, and the catalog
    // version in hand never ages, however slow the machine.
    const frozen = new Date();
    const app = createApp({ logSink: () => {}, deps: (cfg, b) => ({ ...defaultDeps(cfg, b), clock: { now: () => frozen } }) });
    const adminKey = `k-${crypto.randomUUID()}`;
    const e = { ...env, ADMIN_API_KEY: adminKey };
    const viaApp = (u: string) => {
      const url = new URL(u);
      return app.request(`${url.pathname}${url.search}`, {}, e);
    };
    const trips = (res: Response, origin: string) =>
      (res.headers.get("server-timing") ?? "").split(", ").filter((t) => t.startsWith(`${origin};`)).length;
    const { title } = await streamingMovie();
    const { master_url } = (await (await app.request(`/api/v1/titles/${title.id}/streams`, {}, e)).json()) as Schemas["Streams"];

    const first = await viaApp(master_url ?? "");
    const firstBody = await first.text();
    expect(trips(first, "db")).toBeGreaterThan(0);
    const second = await viaApp(master_url ?? "");
    expect(second.status).toBe(200);
    expect([trips(second, "db"), trips(second, "redis")]).toEqual([0, 0]);
    expect(await second.text()).toBe(firstBody);

    // A tier's playlist: read from S3 and signed once per window.
    const tierUrl = uris(firstBody)[0] ?? "";
    const tierFirst = await viaApp(tierUrl);
    const tierBody = await tierFirst.text();
    expect(trips(tierFirst, "s3")).toBe(1);
    const tierSecond = await viaApp(tierUrl);
    expect([trips(tierSecond, "db"), trips(tierSecond, "s3"), trips(tierSecond, "redis")]).toEqual([0, 0, 0]);
    expect(await tierSecond.text()).toBe(tierBody);
    // The cached playlist's segments are still good for a whole viewing, and S3 serves them.
    const seg = uris(tierBody)[0] ?? "";
    expect(Number(new URL(seg).searchParams.get("X-Amz-Expires"))).toBeGreaterThanOrEqual(config.HLS_SEGMENT_TTL_SECONDS);
    expect((await fetch(seg)).status).toBe(200);

    // Through this same Worker, so its catalog version moves on at once.
    const unpublish = await app.request(
      `/api/v1/admin/titles/${title.id}/unpublish`,
      { method: "POST", headers: { "x-admin-key": adminKey } },
      e,
    );
    expect(unpublish.status).toBe(200);
    await expectProblem(await viaApp(master_url ?? ""), 404, "NOT_FOUND");
    await expectProblem(await viaApp(tierUrl), 404, "NOT_FOUND");
  });
});
