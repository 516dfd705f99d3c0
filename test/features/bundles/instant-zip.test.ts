// Instant season ZIPs: streamed by the Worker from the files in S3 the moment every file is
// checksummed, byte for byte the stored rebuild, with an exact length, byte ranges, If-Range,
// If-None-Match, resume and parallel ranges; a bad or expired signature is refused, and a source
// replaced after it was finalized cuts the stream instead of sending wrong bytes.
import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { playbackSignature } from "../../../src/features/delivery/playback-urls";
import { createApp } from "../../../src/http/app";
import { createS3 } from "../../../src/platform/s3";
import { config, freshIp } from "../../support/admin";
import { sha256Hex } from "../../support/admin-client";
import { bundleStatus, checkArchive, librarySeries, requestBundle, waitReady } from "../../support/bundles";
import { expectProblem } from "../../support/problem";

const get = (url: string, headers: Record<string, string> = {}, method = "GET") => SELF.fetch(url, { method, headers });
const bytesOf = async (r: Response) => new Uint8Array(await r.arrayBuffer());
/** Where `needle` first occurs in `hay` (-1: nowhere). */
function offsetOf(hay: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** A published, fully checksummed library season, its instant URL and its stored rebuild's bytes. */
async function instantSeason() {
  const made = await librarySeries({ checksumAll: true });
  const asked = await requestBundle(made.title.id, 1);
  expect(asked.status).toBe(202);
  const instantUrl = ((await asked.json()) as { instant_url: string | null }).instant_url;
  expect(instantUrl).toMatch(/\/api\/v1\/delivery\/instant-bundle\/[0-9a-f-]{36}\/1\?exp=\d+&sig=/);
  const ready = await waitReady(made.title.id, 1);
  const stored = new Uint8Array(await (await fetch(ready.download?.url ?? "")).arrayBuffer());
  return { ...made, instantUrl: instantUrl as string, stored, storedUrl: ready.download?.url ?? "" };
}

/** The origins a response's Server-Timing names (each round trip it waited on). */
const trips = (r: Response) =>
  (r.headers.get("server-timing") ?? "")
    .split(", ")
    .map((t) => t.split(";")[0])
    .filter((o) => o && o !== "total");

describe("instant season ZIPs", () => {
  it("streams at most INSTANT_ZIP_MAX_STREAMS_PER_CLIENT at once per client network; another network still streams; a place frees when a stream ends", async () => {
    const { instantUrl, stored } = await instantSeason();
    const app = createApp({ logSink: () => {} });
    const e = { ...env, INSTANT_ZIP_MAX_STREAMS_PER_CLIENT: "2" };
    const from = (ip: string, headers: Record<string, string> = {}) =>
      app.request(instantUrl, { headers: { "cf-connecting-ip": ip, ...headers } }, e);
    const ip = freshIp();
    // Two downloads held open (bodies not read: the stream waits on the client).
    const open = [await from(ip), await from(ip)];
    expect(open.map((r) => r.status)).toEqual([200, 200]);
    const third = await from(ip);
    const p = await expectProblem(third, 429, "RATE_LIMITED");
    expect(p.detail).toMatch(/at once/);
    expect(Number(third.headers.get("retry-after"))).toBeGreaterThan(0);
    // What the plan alone answers takes no place.
    expect((await from(ip, { range: "bytes=0-29" })).status).toBe(206);
    // Another network is not affected.
    const other = await from(freshIp());
    expect(other.status).toBe(200);
    expect((await bytesOf(other)).length).toBe(stored.length);
    // One download is read to its end, one given up: both places come back.
    expect((await bytesOf(open[0] as Response)).length).toBe(stored.length);
    await open[1]?.body?.cancel();
    let again: Response | undefined;
    for (let i = 0; i < 50; i++) {
      again = await from(ip);
      if (again.status === 200) break;
      await again.body?.cancel();
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(again?.status).toBe(200);
    expect((await bytesOf(again as Response)).length).toBe(stored.length);
  }, 90_000);

  it("answers HEAD, 304, 416 and ranges inside the headers from the kept plan, with no Postgres or S3 round trip", async () => {
    const { instantUrl, stored } = await instantSeason();
    const first = await get(instantUrl, {}, "HEAD");
    expect(first.status).toBe(200);
    const etag = first.headers.get("etag") ?? "";
    const answers = [
      await get(instantUrl, {}, "HEAD"),
      await get(instantUrl, { "if-none-match": etag }),
      await get(instantUrl, { range: `bytes=${stored.length + 10}-` }),
      await get(instantUrl, { range: "bytes=0-29" }),
      await get(instantUrl, { range: "bytes=0-0" }, "HEAD"),
    ];
    expect(answers.map((r) => r.status)).toEqual([200, 304, 416, 206, 206]);
    for (const r of answers) expect(trips(r), `${r.status}`).toEqual([]);
    // The header bytes come from the plan and are the stored archive's.
    expect(await bytesOf(answers[3] as Response)).toEqual(stored.subarray(0, 30));
    for (const r of answers) if (!r.bodyUsed) await r.body?.cancel();
  }, 90_000);

  it("are byte for byte the stored rebuild, with exact length, strong ETag and ranges anywhere", async () => {
    const { title, instantUrl, stored, storedUrl } = await instantSeason();
    const whole = await get(instantUrl);
    expect(whole.status).toBe(200);
    expect(Number(whole.headers.get("content-length"))).toBe(stored.length);
    expect(whole.headers.get("accept-ranges")).toBe("bytes");
    expect(whole.headers.get("cache-control")).toBe("private, no-store");
    expect(whole.headers.get("content-type")).toBe("application/zip");
    expect(whole.headers.get("content-disposition")).toMatch(/^attachment; filename="the-keepers-.*-S01\.zip"/);
    expect(whole.headers.get("last-modified")).toBeTruthy();
    const etag = whole.headers.get("etag") ?? "";
    expect(etag).toMatch(/^"[0-9a-f]{64}"$/);
    expect(await sha256Hex(await bytesOf(whole))).toBe(await sha256Hex(stored));
    // The same bytes every extractor accepts (the stored one, checked outside workerd).
    const check = await checkArchive(storedUrl);
    for (const tool of ["unzip", "python", "sevenZip", "bsdtar"] as const)
      expect(check[tool], check[tool].output).toMatchObject({ ok: true });

    // HEAD: the headers, no body; a second URL for the same season has the same ETag.
    const head = await get(instantUrl, {}, "HEAD");
    expect(head.status).toBe(200);
    expect(Number(head.headers.get("content-length"))).toBe(stored.length);
    expect((await bytesOf(head)).length).toBe(0);
    const again = ((await bundleStatus(title.id, 1)) as { instant_url?: string | null }).instant_url ?? "";
    expect((await get(again, {}, "HEAD")).headers.get("etag")).toBe(etag);

    // Ranges: the first and last bytes, inside the first header, inside and across members, the tail.
    const n = stored.length;
    const ranges: [string, number, number][] = [
      ["bytes=0-0", 0, 0],
      [`bytes=${n - 1}-${n - 1}`, n - 1, n - 1],
      ["bytes=10-40", 10, 40],
      ["bytes=100-300000", 100, 300_000],
      [`bytes=${Math.floor(n / 2)}-`, Math.floor(n / 2), n - 1],
      ["bytes=-1000", n - 1000, n - 1],
      [`bytes=${n - 5}-${n + 100}`, n - 5, n - 1],
    ];
    for (let i = 0; i < 6; i++) {
      const a = Math.floor(((i * 7919 + 13) % 97) * (n / 97));
      const b = Math.min(n - 1, a + ((i * 104_729) % 400_000));
      ranges.push([`bytes=${a}-${b}`, a, b]);
    }
    for (const [header, a, b] of ranges) {
      const r = await get(instantUrl, { range: header });
      expect(r.status, header).toBe(206);
      expect(r.headers.get("content-range"), header).toBe(`bytes ${a}-${b}/${n}`);
      expect(Number(r.headers.get("content-length")), header).toBe(b - a + 1);
      expect(await sha256Hex(await bytesOf(r)), header).toBe(await sha256Hex(stored.slice(a, b + 1)));
    }

    // If-Range with the ETag: the range; with another: the whole archive. If-None-Match: 304.
    expect((await get(instantUrl, { range: "bytes=5-9", "if-range": etag })).status).toBe(206);
    const stale = await get(instantUrl, { range: "bytes=5-9", "if-range": '"another"' });
    expect(stale.status).toBe(200);
    expect((await bytesOf(stale)).length).toBe(n);
    const notModified = await get(instantUrl, { "if-none-match": etag });
    expect(notModified.status).toBe(304);
    await notModified.body?.cancel();
    // Several ranges: answered whole. Past the end: 416 naming the size.
    const several = await get(instantUrl, { range: "bytes=0-1,5-6" });
    expect(several.status).toBe(200);
    await several.body?.cancel();
    const past = await get(instantUrl, { range: `bytes=${n}-` });
    await expectProblem(past, 416, "RANGE_NOT_SATISFIABLE");
    expect(past.headers.get("content-range")).toBe(`bytes */${n}`);
  }, 90_000);

  it("resumes a cut download with Range to identical bytes, and four parallel ranges join to the whole", async () => {
    const { instantUrl, stored } = await instantSeason();
    const n = stored.length;
    // A download cut part-way: what arrived, then the rest from where it stopped.
    const first = await get(instantUrl);
    const reader = (first.body as ReadableStream<Uint8Array>).getReader();
    const got: Uint8Array[] = [];
    let have = 0;
    while (have < n / 3) {
      const { value, done } = await reader.read();
      if (done) break;
      got.push(value);
      have += value.length;
    }
    await reader.cancel();
    const rest = await get(instantUrl, { range: `bytes=${have}-`, "if-range": first.headers.get("etag") ?? "" });
    expect(rest.status).toBe(206);
    got.push(await bytesOf(rest));
    const joined = new Uint8Array(n);
    let at = 0;
    for (const g of got) {
      joined.set(g.subarray(0, Math.min(g.length, n - at)), at);
      at += g.length;
    }
    expect(at).toBe(n);
    expect(await sha256Hex(joined)).toBe(await sha256Hex(stored));

    // Four ranges at once, as download managers fetch.
    const quarter = Math.ceil(n / 4);
    const parts = await Promise.all(
      [0, 1, 2, 3].map(async (k) => {
        const r = await get(instantUrl, { range: `bytes=${k * quarter}-${Math.min(n, (k + 1) * quarter) - 1}` });
        expect(r.status).toBe(206);
        return bytesOf(r);
      }),
    );
    const all = new Uint8Array(n);
    parts.forEach((p, k) => {
      all.set(p, k * quarter);
    });
    expect(await sha256Hex(all)).toBe(await sha256Hex(stored));
  }, 90_000);

  it("refuses a tampered or expired URL, and has no instant URL until every file is checksummed", async () => {
    const { title, instantUrl } = await instantSeason();
    const tampered = instantUrl.replace(/sig=./, (m) => (m.endsWith("A") ? "sig=B" : "sig=A"));
    await expectProblem(await get(tampered), 403, "FORBIDDEN");
    const other = instantUrl.replace(/\/1\?/, "/2?"); // the signature names season 1
    await expectProblem(await get(other), 403, "FORBIDDEN");
    const exp = Math.floor(Date.now() / 1000) - 10;
    const sig = await playbackSignature(config.ADMIN_JWT_SECRET, `season-zip:${title.id}`, "1", exp);
    const expired = await get(`http://api.test/api/v1/delivery/instant-bundle/${title.id}/1?exp=${exp}&sig=${sig}`);
    const p = await expectProblem(expired, 403, "FORBIDDEN");
    expect(p.detail).toMatch(/expired/);

    // The second episode's video is not checksummed here: no instant URL, and the route says why.
    const partial = await librarySeries();
    const asked = (await (await requestBundle(partial.title.id, 1)).json()) as { instant_url: string | null };
    expect(asked.instant_url).toBeNull();
    const exp2 = Math.floor(Date.now() / 1000) + 60;
    const sig2 = await playbackSignature(config.ADMIN_JWT_SECRET, `season-zip:${partial.title.id}`, "1", exp2);
    await expectProblem(
      await get(`http://api.test/api/v1/delivery/instant-bundle/${partial.title.id}/1?exp=${exp2}&sig=${sig2}`),
      404,
      "NOT_FOUND",
    );
  }, 90_000);

  it("cuts the stream, rather than send other bytes, when a file was replaced after it was finalized", async () => {
    const { instantUrl, files, title } = await instantSeason();
    const s3 = createS3(config);
    // The first episode's video, replaced in S3 behind the catalog's back by one of another size.
    const listed = await s3.list(`originals/${title.id}/`);
    const video = listed.objects.find((o) => o.size === files.video1?.length);
    expect(video).toBeDefined();
    await s3.put(video?.key ?? "", new Uint8Array((files.video1?.length ?? 0) + 1));
    const r = await get(instantUrl);
    expect(r.status).toBe(200);
    const declared = Number(r.headers.get("content-length"));
    const received = await bytesOf(r).then(
      (b) => b.length,
      () => -1,
    );
    expect(received).not.toBe(declared);
  }, 90_000);

  it("cuts the stream when a file was replaced by other bytes of the same size (If-Match on the checksummed version)", async () => {
    const { instantUrl, files, title, stored } = await instantSeason();
    const s3 = createS3(config);
    const listed = await s3.list(`originals/${title.id}/`);
    const video = listed.objects.find((o) => o.size === files.video1?.length);
    expect(video).toBeDefined();
    const other = (files.video1 ?? new Uint8Array()).map((b) => b ^ 0xff);
    await s3.put(video?.key ?? "", other);
    const r = await get(instantUrl);
    expect(r.status).toBe(200);
    expect(Number(r.headers.get("content-length"))).toBe(stored.length);
    const received = await bytesOf(r).then(
      (b) => b,
      () => null,
    );
    // Cut short (or refused outright), never the declared length with the replacement inside.
    expect(received?.length ?? -1).not.toBe(stored.length);
    // A range inside the replaced video is cut the same way.
    const start = offsetOf(stored, (files.video1 ?? new Uint8Array()).subarray(0, 64)) + 1000;
    expect(start).toBeGreaterThan(1000);
    const ranged = await get(instantUrl, { range: `bytes=${start}-${start + 99}` });
    const part = await bytesOf(ranged).then(
      (b) => b.length,
      () => -1,
    );
    expect(part).not.toBe(100);
  }, 90_000);
});
