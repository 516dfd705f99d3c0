// From a video file to a title that plays, with only the CLI: a 10 s 1080p clip made by ffmpeg
// here (test pattern + tone) and an SRT subtitle go through `moviesnow package` against the
// Worker over HTTP; the title validates without force and is published; then the master playlist
// is read by the clients people use: ffprobe sees three video variants and audio, ffmpeg reads
// the WebVTT rendition the master names and decodes each variant to its end, through signed URLs only. A second run resumes
// without sending anything; a source ffprobe can't read fails naming the step and registers nothing.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminOverHttp, adminWorkerVars } from "../../support/http-admin.ts";
import { type HttpWorker, startHttpWorker } from "../../support/http-worker.ts";
import { makeClip, moviesnow, runProcess } from "../../support/packaged-title.ts";
import { startRewritingProxy } from "../../support/rewriting-proxy.ts";

const dir = mkdtempSync(join(tmpdir(), "mn-cli-package-"));
const adminKey = `package-${crypto.randomUUID()}`;
let worker: HttpWorker;
let admin: ReturnType<typeof adminOverHttp>;

let clip = "";
let srt = "";

beforeAll(async () => {
  worker = await startHttpWorker(adminWorkerVars(adminKey));
  admin = adminOverHttp(worker.api, adminKey);
  ({ clip, srt } = await makeClip(dir));
}, 180_000);
afterAll(async () => {
  await worker?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const cli = (args: string[]) => moviesnow(args, { cwd: dir, api: worker.api, adminKey });

type Summary = {
  tiers: { tier: number; asset_id: string; files: number; sent: number; reused: number }[];
  subtitles: { language: string; asset_id: string; converted: boolean }[];
  download: { asset_id: string; size: number } | null;
  warnings: string[];
  validation: { ok: boolean; errors: number };
};
type Stream = { codec_type: string; width?: number; height?: number; tags?: { variant_bitrate?: string; language?: string } };

describe("moviesnow package", () => {
  it("turns a video file into a title that validates without force and plays adaptively with captions in ffprobe and ffmpeg", async () => {
    const title = await admin<{ id: string; slug: string }>("POST", "/admin/titles", {
      kind: "movie",
      name: `Packaged ${crypto.randomUUID()}`,
    });
    const run = await cli(["package", clip, "--title-id", title.id, "--subtitle", `en:default=${srt}`, "--mp4", "--json"]);
    expect(run.status, run.stderr).toBe(0);
    const summary = JSON.parse(run.stdout) as Summary;
    expect(summary.tiers.map((t) => t.tier)).toEqual([480, 720, 1080]);
    for (const t of summary.tiers) expect(t.sent).toBe(t.files); // init, segments and the playlist
    expect(summary.subtitles).toEqual([{ language: "en", asset_id: expect.any(String), converted: true }]);
    expect(summary.download?.size).toBeGreaterThan(0);
    // The MP4 download, registered with what it is (probed after it was made) and finalized.
    const mp4 = await admin<Record<string, unknown>>("GET", `/admin/assets/${summary.download?.asset_id}`);
    expect(mp4).toMatchObject({
      kind: "DOWNLOAD",
      container: "mp4",
      video_codec: "h264",
      audio_codec: "aac",
      height: 1080,
      upload_state: "finalized",
    });
    expect(mp4.bitrate_kbps).toBeGreaterThan(0);
    expect(mp4.storage_key).toMatch(/^downloads\/[0-9a-f-]{36}\/1080p\/clip\.mp4$/);
    expect(summary.warnings).toEqual([]); // a 1080p source: nothing upscaled
    expect(summary.validation).toMatchObject({ ok: true, errors: 0 });

    // What finalize recorded from the ladder and the probe.
    const tiers = await Promise.all(
      summary.tiers.map((t) =>
        admin<{ height: number; codecs: string; duration_seconds: number; hls_segment_count: number; upload_state: string }>(
          "GET",
          `/admin/assets/${t.asset_id}`,
        ),
      ),
    );
    for (const [i, a] of tiers.entries()) {
      expect(a.upload_state).toBe("finalized");
      expect(a.height).toBe([480, 720, 1080][i]);
      expect(a.codecs).toMatch(/^avc1\.[0-9a-f]{6},mp4a\.40\.2$/);
      expect(a.duration_seconds).toBeCloseTo(10, 0);
      expect(a.hls_segment_count).toBe(3); // 4 s + 4 s + 2 s
    }

    // Published without force: validation is clean.
    await admin("POST", `/admin/titles/${title.id}/publish`);
    const streams = (await (await fetch(`${worker.api}/titles/${title.id}/streams`)).json()) as { master_url: string };
    const master = streams.master_url;

    const probed = await runProcess("ffprobe", ["-v", "error", "-print_format", "json", "-show_streams", master]);
    expect(probed.status, probed.stderr).toBe(0);
    const found = (JSON.parse(probed.stdout) as { streams: Stream[] }).streams;
    expect(
      found
        .filter((s) => s.codec_type === "video")
        .map((s) => s.height)
        .sort((a = 0, b = 0) => a - b),
    ).toEqual([480, 720, 1080]);
    expect(found.some((s) => s.codec_type === "audio")).toBe(true);
    // The subtitle rendition: named in the master, and read by ffmpeg through its own signed URL.
    // (Debian 12's ffmpeg 5.1 does not attach HLS subtitle renditions to the master's streams; it
    // logs "Can't support the subtitle", so the rendition is read on its own.)
    const text = await (await fetch(master)).text();
    const media = text.split("\n").find((l) => l.startsWith("#EXT-X-MEDIA:TYPE=SUBTITLES")) ?? "";
    expect(media).toContain('LANGUAGE="en"');
    expect(media).toContain("DEFAULT=YES");
    const rendition = media.match(/URI="([^"]+)"/)?.[1] ?? "";
    const vtt = await runProcess("ffmpeg", ["-v", "error", "-i", rendition, "-f", "webvtt", "-"]);
    expect(vtt.status, vtt.stderr).toBe(0);
    expect(vtt.stdout).toMatch(/^WEBVTT/);
    expect(vtt.stdout).toContain("A test pattern, and a tone.");
    expect(vtt.stdout).toContain("Still testing.");

    // Each variant decodes to its end (ffmpeg reads master → media playlist → signed segments).
    const videos = found.filter((s) => s.codec_type === "video").length;
    for (let n = 0; n < videos; n++) {
      const decoded = await runProcess("ffmpeg", ["-v", "error", "-i", master, "-map", `0:v:${n}`, "-f", "null", "-"]);
      expect(decoded.status, decoded.stderr).toBe(0);
      expect(decoded.stderr.trim()).toBe("");
    }

    // Run again: every tier is already finalized, every subtitle and the download are not sent twice.
    const again = await cli(["package", clip, "--title-id", title.id, "--json"]);
    expect(again.status, again.stderr).toBe(0);
    expect((JSON.parse(again.stdout) as Summary).tiers.map((t) => t.sent)).toEqual([0, 0, 0]);
  }, 300_000);

  it("packages a source below 1080p in all three tiers, warning that the top ones are upscaled", async () => {
    const small = join(dir, "small.mp4");
    const made = await runProcess("ffmpeg", [
      "-v",
      "error",
      "-y",
      "-f",
      "lavfi",
      "-i",
      "testsrc2=size=640x360:rate=25:duration=4",
      "-c:v",
      "libx264",
      "-preset",
      "ultrafast",
      "-pix_fmt",
      "yuv420p",
      small,
    ]);
    expect(made.status, made.stderr).toBe(0);
    const title = await admin<{ id: string }>("POST", "/admin/titles", { kind: "movie", name: `Small ${crypto.randomUUID()}` });
    const run = await cli(["package", small, "--title-id", title.id, "--json"]);
    expect(run.status, run.stderr).toBe(0);
    const summary = JSON.parse(run.stdout) as Summary;
    expect(summary.tiers.map((t) => t.tier)).toEqual([480, 720, 1080]);
    expect(summary.warnings).toEqual(["the source is 640x360: the 1080p tier is upscaled, and so is 720p"]);
    // A silent source makes tiers without audio: codecs name the video only.
    const top = await admin<{ width: number; height: number; codecs: string }>("GET", `/admin/assets/${summary.tiers[2]?.asset_id}`);
    expect(top).toMatchObject({ width: 1920, height: 1080 });
    expect(top.codecs).toMatch(/^avc1\.[0-9a-f]{6}$/);
    expect(summary.validation).toMatchObject({ ok: true, errors: 0 });
  }, 120_000);

  it("fails naming the step on a source ffprobe can't read, and registers nothing", async () => {
    const title = await admin<{ id: string }>("POST", "/admin/titles", { kind: "movie", name: `Broken ${crypto.randomUUID()}` });
    const broken = join(dir, "broken.mp4");
    writeFileSync(broken, "this is not a video");
    const run = await cli(["package", broken, "--title-id", title.id]);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/moviesnow package: ffprobe could not read .*broken\.mp4/);
    expect((await admin<{ items: unknown[] }>("GET", `/admin/titles/${title.id}/assets`)).items).toEqual([]);
    // Usage mistakes are told before anything runs.
    const bad = await cli(["package", clip, "--title-id", title.id, "--subtitle", "english=x.srt"]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/not a language tag/);
  }, 60_000);

  it("upload --hls takes a tier made elsewhere, resuming past the files S3 already holds, and finalizes it", async () => {
    const title = await admin<{ id: string }>("POST", "/admin/titles", { kind: "movie", name: `Ladder ${crypto.randomUUID()}` });
    const tier = join(dir, "made-elsewhere", "720p");
    mkdirSync(join(tier, "v"), { recursive: true });
    const playlist = "#EXTM3U\n#EXT-X-TARGETDURATION:6\n#EXTINF:6.0,\nv/a.ts\n#EXTINF:6.0,\nv/b.ts\n#EXTINF:3.0,\nv/c.ts\n#EXT-X-ENDLIST\n";
    writeFileSync(join(tier, "index.m3u8"), playlist);
    for (const n of ["a", "b", "c"]) writeFileSync(join(tier, "v", `${n}.ts`), `segment ${n} `.repeat(500));
    // An earlier run got as far as registering the tier and sending two files, one of them cut short.
    const created = await admin<{ asset: { id: string } }>("POST", `/admin/titles/${title.id}/assets`, {
      kind: "HLS",
      filename: "index.m3u8",
      size_bytes: playlist.length,
      stream_tier: 720,
      is_streamable: true,
    });
    const signed = await admin<{ files: { path: string; url: string; headers: Record<string, string> }[] }>(
      "POST",
      `/admin/assets/${created.asset.id}/files`,
      { paths: ["v/a.ts", "v/b.ts"] },
    );
    for (const f of signed.files) {
      const body = f.path === "v/a.ts" ? "segment a ".repeat(500) : "segment b";
      expect((await fetch(f.url, { method: "PUT", body, headers: f.headers })).status).toBe(200);
    }

    const run = await cli(["upload", "--hls", tier, "--tier", "720", "--title-id", title.id, "--json"]);
    expect(run.status, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout) as { asset_id: string; files: number; sent: number; reused: number; upload_state: string };
    // v/a.ts was whole and is kept; v/b.ts (cut short), v/c.ts and the playlist are sent.
    expect(out).toMatchObject({ asset_id: created.asset.id, files: 4, sent: 3, reused: 1, upload_state: "finalized" });
    expect(out).toMatchObject({ hls_segment_count: 3, duration_seconds: 15 });
    // Usage: the tier must be one of the three.
    const bad = await cli(["upload", "--hls", tier, "--tier", "360", "--title-id", title.id]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--tier 480, 720 or 1080/);
  }, 60_000);
});

/**
 * A hostile or mistaken API in front of the real one: every answer passes, but the presigned
 * paths of POST /admin/assets/{id}/files come back as `path` (e.g. a file outside the folder),
 * and their URLs point at this proxy, which records what would have been uploaded.
 */
async function lyingApi(target: string, path: string) {
  const received: string[] = [];
  let origin = "";
  const proxy = await startRewritingProxy(target, {
    intercept: (req, res) => {
      if (req.method !== "PUT") return false;
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        received.push(body);
        res.writeHead(200, { etag: '"x"' }).end();
      });
      return true;
    },
    rewrite: (req, status, body) => {
      if (req.method !== "POST" || !/\/admin\/assets\/[^/]+\/files$/.test(req.url ?? "") || status !== 200) return body;
      const j = JSON.parse(body.toString()) as { files: { path: string; url: string }[] };
      for (const f of j.files) {
        f.path = path;
        f.url = `${origin}/put`;
      }
      return Buffer.from(JSON.stringify(j));
    },
  });
  origin = proxy.origin;
  return { base: `${proxy.origin}${new URL(target).pathname}`, received, close: proxy.close };
}

describe("the CLI with hostile inputs", () => {
  it("upload --hls reads only files found in the folder: a reply naming another path stops it before a byte is read", async () => {
    const title = await admin<{ id: string }>("POST", "/admin/titles", { kind: "movie", name: `Hostile ${crypto.randomUUID()}` });
    const secret = join(dir, "secret.txt");
    writeFileSync(secret, "the operator's private key");
    const tier = join(dir, "hostile", "480p");
    mkdirSync(tier, { recursive: true });
    writeFileSync(join(tier, "index.m3u8"), "#EXTM3U\n#EXT-X-TARGETDURATION:6\n#EXTINF:6.0,\na.ts\n#EXT-X-ENDLIST\n");
    writeFileSync(join(tier, "a.ts"), "segment a");
    const liar = await lyingApi(worker.api, "../../secret.txt");
    try {
      const run = await moviesnow(["upload", "--hls", tier, "--tier", "480", "--title-id", title.id], {
        cwd: dir,
        api: liar.base,
        adminKey,
      });
      expect(run.status).not.toBe(0);
      expect(run.stderr).toMatch(/not asked for/);
      expect(liar.received.join("")).not.toContain("private key");
    } finally {
      liar.close();
    }
  }, 60_000);

  it("package refuses a source that is really a playlist of other local files (ffconcat), registering nothing", async () => {
    const title = await admin<{ id: string }>("POST", "/admin/titles", { kind: "movie", name: `Concat ${crypto.randomUUID()}` });
    const sub = join(dir, "concat");
    mkdirSync(sub, { recursive: true });
    copyFileSync(clip, join(sub, "private.mp4"));
    // A "movie" whose bytes are a concat list naming a file beside it: ffmpeg would encode that file.
    const fake = join(sub, "movie.avi");
    writeFileSync(fake, "ffconcat version 1.0\nfile private.mp4\n");
    const run = await cli(["package", fake, "--title-id", title.id]);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/ffprobe could not read .*movie\.avi/);
    expect((await admin<{ items: unknown[] }>("GET", `/admin/titles/${title.id}/assets`)).items).toEqual([]);
  }, 60_000);

  it("sends credentials only over https or to loopback: plain http elsewhere is refused before any request", async () => {
    for (const api of ["http://api.moviesnow.test/api/v1", "http://10.0.0.7:8787/api/v1", "ftp://127.0.0.1/api/v1"]) {
      const run = await moviesnow(["whoami"], { cwd: dir, api, adminKey });
      expect(run.status, api).not.toBe(0);
      expect(run.stderr, api).toMatch(/refusing|not a URL/);
    }
    // Loopback over plain http is the local stack.
    const local = await moviesnow(["whoami"], { cwd: dir, api: worker.api, adminKey });
    expect(local.stderr).not.toMatch(/refusing/);
  }, 60_000);
});
