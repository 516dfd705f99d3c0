// An HLS tier's folder, uploaded file by file: presigned PUTs for relative paths (content type by
// extension, signed in), a listing of what S3 holds there to resume, and refusals that name the
// bad path and change nothing.
import { describe, expect, it } from "vitest";
import { newAdmin, signIn } from "../../support/admin";
import { expectStatus, sha256Hex, typedAdminClient } from "../../support/admin-client";
import { expectProblemAnswer } from "../../support/problem";

async function hlsTier(tier: 480 | 720 | 1080 = 720) {
  const api = typedAdminClient(await signIn(await newAdmin()));
  const title = await expectStatus(201, api.POST("/api/v1/admin/titles", { body: { kind: "movie", name: `HLS ${crypto.randomUUID()}` } }));
  const created = await expectStatus(
    201,
    api.POST("/api/v1/admin/titles/{id}/assets", {
      params: { path: { id: title.id } },
      body: { kind: "HLS", filename: "index.m3u8", size_bytes: 100, stream_tier: tier, content_type: "application/vnd.apple.mpegurl" },
    }),
  );
  return { api, title, asset: created.asset, folder: created.asset.storage_key.replace(/index\.m3u8$/, "") };
}

const put = async (f: { url: string; headers: Record<string, string> }, body: string, headers = f.headers) => {
  const r = await fetch(f.url, { method: "PUT", body, headers });
  await r.body?.cancel();
  return r.status;
};

type Api = Awaited<ReturnType<typeof hlsTier>>["api"];

/**
 * Presigns a PUT for each path of the tier's folder and uploads those given a body; answers a
 * function that uploads one of them (again).
 */
async function uploadFolder(api: Api, assetId: string, paths: string[], bodies: Record<string, string>) {
  const { files } = await expectStatus(
    200,
    api.POST("/api/v1/admin/assets/{id}/files", { params: { path: { id: assetId } }, body: { paths } }),
  );
  const url = Object.fromEntries(files.map((f) => [f.path, f]));
  const up = (path: string, body: string) => put(url[path] as (typeof files)[number], body);
  for (const [path, body] of Object.entries(bodies)) expect(await up(path, body), path).toBe(200);
  return up;
}

/** The finalize body of a tier whose playlist is `text`. */
async function finalizeBody(text: string) {
  const bytes = new TextEncoder().encode(text) as Uint8Array<ArrayBuffer>;
  return { size_bytes: bytes.length, content_type: "application/vnd.apple.mpegurl", sha256: await sha256Hex(bytes) };
}

describe("an HLS tier's folder", () => {
  it("presigns a PUT per path with the type its extension calls for, and lists what was uploaded", async () => {
    const { api, asset, folder } = await hlsTier();
    const one = { params: { path: { id: asset.id } } };
    const paths = ["index.m3u8", "video/init.mp4", "video/seg_00001.m4s", "video/seg_00002.m4s", "subs/en.vtt", "keys/k1.key"];
    const { files } = await expectStatus(
      200,
      api.POST("/api/v1/admin/assets/{id}/files", { ...one, body: { paths: [...paths, "video/init.mp4"] } }),
    );
    expect(files.map((f) => f.path)).toEqual(paths);
    expect(Object.fromEntries(files.map((f) => [f.path, f.content_type]))).toEqual({
      "index.m3u8": "application/vnd.apple.mpegurl",
      "video/init.mp4": "video/mp4",
      "video/seg_00001.m4s": "video/iso.segment",
      "video/seg_00002.m4s": "video/iso.segment",
      "subs/en.vtt": "text/vtt",
      "keys/k1.key": "application/octet-stream",
    });
    for (const f of files) expect(new URL(f.url).pathname).toContain(`/${folder}${f.path}`.replace(/ /g, "%20"));

    // Nothing there yet; then two files, with the signed headers.
    expect(await expectStatus(200, api.GET("/api/v1/admin/assets/{id}/files", one))).toEqual({ files: [], truncated: false });
    const [playlist, init] = files;
    expect(await put(playlist as (typeof files)[number], "#EXTM3U\n")).toBe(200);
    expect(await put(init as (typeof files)[number], "init bytes")).toBe(200);
    // The content type is part of the signature: another one is refused by S3 itself.
    const seg = files[2] as (typeof files)[number];
    expect(await put(seg, "x", { ...seg.headers, "content-type": "text/html" })).toBe(403);

    const listed = await expectStatus(200, api.GET("/api/v1/admin/assets/{id}/files", one));
    expect(listed.truncated).toBe(false);
    expect(listed.files.map((f) => [f.path, f.size_bytes])).toEqual([
      ["index.m3u8", 8],
      ["video/init.mp4", 10],
    ]);
    expect(listed.files.every((f) => f.etag.length > 0)).toBe(true);
  });

  it("refuses paths that leave the folder or that a ladder has no use for, naming each, and signs none", async () => {
    const { api, asset } = await hlsTier(480);
    const one = { params: { path: { id: asset.id } } };
    const bad = ["../480p-escape.m4s", "/abs.m4s", "a\\b.m4s", "a//b.m4s", "./seg.m4s", "video/../../x.m4s", "seg.exe", "", "seg 1.m4s"];
    const p = await expectProblemAnswer(
      api.POST("/api/v1/admin/assets/{id}/files", { ...one, body: { paths: ["ok.m4s", ...bad] } }),
      400,
      "VALIDATION_FAILED",
    );
    const named = new Set((p.errors ?? []).map((e) => e.path));
    for (let i = 1; i <= bad.length; i++) expect(named, `json.paths.${i}`).toContain(`json.paths.${i}`);
    expect(named).not.toContain("json.paths.0");

    const tooMany = Array.from({ length: 1001 }, (_, i) => `seg_${i}.m4s`);
    await expectProblemAnswer(api.POST("/api/v1/admin/assets/{id}/files", { ...one, body: { paths: tooMany } }), 400, "VALIDATION_FAILED");
    await expectProblemAnswer(api.POST("/api/v1/admin/assets/{id}/files", { ...one, body: { paths: [] } }), 400, "VALIDATION_FAILED");
    expect(await expectStatus(200, api.GET("/api/v1/admin/assets/{id}/files", one))).toEqual({ files: [], truncated: false });
  });

  it("belongs to HLS tier assets only", async () => {
    const { api, title } = await hlsTier();
    const video = await expectStatus(
      201,
      api.POST("/api/v1/admin/titles/{id}/assets", {
        params: { path: { id: title.id } },
        body: { kind: "ORIGINAL", filename: "film.mkv", size_bytes: 10 },
      }),
    );
    const one = { params: { path: { id: video.asset.id } } };
    await expectProblemAnswer(api.POST("/api/v1/admin/assets/{id}/files", { ...one, body: { paths: ["a.m4s"] } }), 409, "CONFLICT");
    await expectProblemAnswer(api.GET("/api/v1/admin/assets/{id}/files", one), 409, "CONFLICT");
    await expectProblemAnswer(
      api.GET("/api/v1/admin/assets/{id}/files", { params: { path: { id: crypto.randomUUID() } } }),
      404,
      "NOT_FOUND",
    );
  });
});

describe("finalizing an HLS tier", () => {
  it("lists every segment, init section and key the chain names that is missing or empty, and finalizes once they are there", async () => {
    const { api, asset } = await hlsTier(1080);
    const one = { params: { path: { id: asset.id } } };
    const media = `#EXTM3U
#EXT-X-TARGETDURATION:4
#EXT-X-KEY:METHOD=AES-128,URI="keys/k1.key"
#EXT-X-MAP:URI="init.mp4"
#EXTINF:4.0,
seg_1.m4s
#EXTINF:4.0,
seg_2.m4s
#EXTINF:4.0,
seg_3.m4s
#EXT-X-ENDLIST
`;
    const paths = ["index.m3u8", "init.mp4", "seg_1.m4s", "seg_2.m4s", "seg_3.m4s", "keys/k1.key"];
    // seg_2 empty (a cut-off upload); seg_3 and the key not uploaded.
    const up = await uploadFolder(api, asset.id, paths, { "index.m3u8": media, "init.mp4": "init", "seg_1.m4s": "one", "seg_2.m4s": "" });
    await expectStatus(200, api.GET("/api/v1/admin/assets/{id}/head", one));
    const body = await finalizeBody(media);
    const refused = await expectProblemAnswer(api.POST("/api/v1/admin/assets/{id}/finalize", { ...one, body }), 409, "CONFLICT");
    expect(refused.problems).toEqual([
      "index.m3u8: keys/k1.key is not uploaded",
      "index.m3u8: seg_2.m4s is empty",
      "index.m3u8: seg_3.m4s is not uploaded",
    ]);
    const still = await expectStatus(200, api.GET("/api/v1/admin/assets/{id}", one));
    expect(still.upload_state).not.toBe("finalized");

    expect(await up("seg_2.m4s", "two")).toBe(200);
    expect(await up("seg_3.m4s", "three")).toBe(200);
    expect(await up("keys/k1.key", "0123456789abcdef")).toBe(200);
    const done = await expectStatus(200, api.POST("/api/v1/admin/assets/{id}/finalize", { ...one, body }));
    expect(done.upload_state).toBe("finalized");
    // What the chain says, recorded: bit rates from the segments' sizes (11 bytes over 12 s, 5 bytes in the largest 4 s).
    expect(done).toMatchObject({
      hls_media_path: "",
      hls_segment_count: 3,
      duration_seconds: 12,
      hls_target_duration: 4,
      bitrate_kbps: 1,
      average_bitrate_kbps: 1,
    });
  });

  it("records the ladder its master playlist declares: bandwidths, resolution, codecs, frame rate, and its media playlist's segments", async () => {
    const { api, asset } = await hlsTier(1080);
    const one = { params: { path: { id: asset.id } } };
    const master = [
      "#EXTM3U",
      "#EXT-X-INDEPENDENT-SEGMENTS",
      '#EXT-X-STREAM-INF:BANDWIDTH=5000000,AVERAGE-BANDWIDTH=4200000,RESOLUTION=1920x1080,CODECS="avc1.640028,mp4a.40.2",FRAME-RATE=25.000',
      "v/media.m3u8",
      "",
    ].join("\n");
    const media = ["#EXTM3U", "#EXT-X-TARGETDURATION:6", "#EXTINF:6.0,", "s1.ts", "#EXTINF:4.5,", "s2.ts", "#EXT-X-ENDLIST", ""].join("\n");
    const bodies = { "index.m3u8": master, "v/media.m3u8": media, "v/s1.ts": "one", "v/s2.ts": "two" };
    await uploadFolder(api, asset.id, Object.keys(bodies), bodies);
    await expectStatus(200, api.GET("/api/v1/admin/assets/{id}/head", one));
    const body = await finalizeBody(master);
    const done = await expectStatus(200, api.POST("/api/v1/admin/assets/{id}/finalize", { ...one, body }));
    expect(done).toMatchObject({
      upload_state: "finalized",
      hls_media_path: "v/media.m3u8",
      hls_segment_count: 2,
      duration_seconds: 10.5,
      hls_target_duration: 6,
      bitrate_kbps: 5000,
      average_bitrate_kbps: 4200,
      width: 1920,
      height: 1080,
      codecs: "avc1.640028,mp4a.40.2",
      frame_rate: 25,
    });
  });
});

describe("finalizing an HLS tier whose file is not a playlist", () => {
  it("is a 422 that says so, and leaves the asset as it was", async () => {
    const { api, asset } = await hlsTier(480);
    const one = { params: { path: { id: asset.id } } };
    const { files } = await expectStatus(200, api.POST("/api/v1/admin/assets/{id}/files", { ...one, body: { paths: ["index.m3u8"] } }));
    const text = "<html>not a playlist</html>";
    expect(await put(files[0] as (typeof files)[number], text)).toBe(200);
    await expectStatus(200, api.GET("/api/v1/admin/assets/{id}/head", one));
    const bytes = new TextEncoder().encode(text) as Uint8Array<ArrayBuffer>;
    const body = { size_bytes: bytes.length, content_type: "application/vnd.apple.mpegurl", sha256: await sha256Hex(bytes) };
    const p = await expectProblemAnswer(api.POST("/api/v1/admin/assets/{id}/finalize", { ...one, body }), 422, "UNPROCESSABLE");
    expect(p.detail).toMatch(/index\.m3u8 is not an HLS playlist/);
    const after = await expectStatus(200, api.GET("/api/v1/admin/assets/{id}", one));
    expect(after.upload_state).toBe("uploaded");
    expect(after.sha256).toBeNull();
  });
});
