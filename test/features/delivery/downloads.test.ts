// Presigned downloads: only deliverable keys, bytes intact, tampering and expiry refused by S3.
import { env } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { bundles } from "../../../src/db/schema";
import { createApp } from "../../../src/http/app";
import { defaultDeps } from "../../../src/http/middleware/init";
import { dispositionFilename } from "../../../src/lib/content-disposition";
import { parseEnv } from "../../../src/platform/env";
import { createS3 } from "../../../src/platform/s3";
import { createUrlSigner } from "../../../src/platform/url-signer";
import { api, config, db, freshIp } from "../../support/admin";
import { sha256Hex } from "../../support/admin-client";
import { pseudoBytes, publishedMovieWith } from "../../support/delivery";
import { expectProblem } from "../../support/problem";

const post = (path: string, body: unknown) =>
  api(path, { method: "POST", headers: { "content-type": "application/json", "cf-connecting-ip": freshIp() }, body: JSON.stringify(body) });
type Signed = { url: string; expires_at: string; filename: string; storage_key: string };

afterEach(() => vi.restoreAllMocks());

describe("POST /delivery/download-url", () => {
  it("signs a downloadable file: the bytes come back intact, with a non-ASCII attachment name", async () => {
    const bytes = pseudoBytes(200_000, 3);
    const { assets } = await publishedMovieWith([{ kind: "DOWNLOAD", filename: "movie.mp4", bytes, extra: { content_type: "video/mp4" } }]);
    const name = "Amélie — 東京 «final» cut.mp4";
    const res = await post("/delivery/download-url", { storage_key: assets[0]?.storage_key, ttl_seconds: 120, attachment_filename: name });
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const signed = (await res.json()) as Signed;
    expect(new Date(signed.expires_at).getTime() - Date.now()).toBeGreaterThan(100_000);

    const got = await fetch(signed.url);
    expect(got.status).toBe(200);
    expect(await sha256Hex(new Uint8Array(await got.arrayBuffer()))).toBe(await sha256Hex(bytes));
    const disposition = got.headers.get("content-disposition") ?? "";
    expect(disposition.startsWith("attachment;")).toBe(true);
    expect(dispositionFilename(disposition)).toBe(name);
    expect(disposition).toMatch(/filename="[\x20-\x7e]+"/);

    // One character changed anywhere signed: the S3 server refuses it.
    const sig = new URL(signed.url).searchParams.get("X-Amz-Signature") ?? "";
    const flipped = signed.url.replace(sig, `${sig.slice(0, -1)}${sig.endsWith("0") ? "1" : "0"}`);
    expect((await fetch(flipped)).status).toBe(403);
    expect((await fetch(signed.url.replace("X-Amz-Expires=120", "X-Amz-Expires=121"))).status).toBe(403);
  });

  it("an expired URL is refused by the S3 server", async () => {
    const bytes = pseudoBytes(1000, 4);
    const { assets } = await publishedMovieWith([{ kind: "VIDEO", filename: "v.mp4", bytes }]);
    const past = { now: () => new Date(Date.now() - 2 * 3600_000) };
    const app = createApp({
      logSink: () => {},
      deps: (cfg, b) => {
        const base = defaultDeps(cfg, b);
        const s3 = createS3(cfg, { clock: past });
        return { ...base, s3, clock: past, signer: createUrlSigner(cfg, s3, past) };
      },
    });
    const res = await app.request(
      "/api/v1/delivery/download-url",
      {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ storage_key: assets[0]?.storage_key, ttl_seconds: 60 }),
      },
      env,
    );
    const signed = (await res.json()) as Signed;
    const got = await fetch(signed.url);
    expect(got.status).toBe(403);
    expect(await got.text()).toMatch(/expired/i);
  });

  it("answers 404 for unknown, draft, traversal, HLS-internal and non-downloadable keys", async () => {
    const bytes = pseudoBytes(10, 5);
    const { title, assets } = await publishedMovieWith([
      { kind: "ORIGINAL", filename: "o.mkv", bytes },
      { kind: "HLS", filename: "index.m3u8", bytes, extra: { stream_tier: 720, is_streamable: true } },
      { kind: "ARTWORK", filename: "poster.jpg", bytes },
    ]);
    const draft = await publishedMovieWith([{ kind: "ORIGINAL", filename: "d.mkv", bytes }], false);
    const keys = [
      `originals/${crypto.randomUUID()}/nothing.mkv`,
      draft.assets[0]?.storage_key,
      `originals/${title.id}/../${title.id}/o.mkv`,
      `originals/${title.id}/./o.mkv`,
      `../../etc/passwd`,
      assets[1]?.storage_key,
      `hls/${title.id}/720p/seg-0.ts`,
      assets[2]?.storage_key,
      `bundles/${title.id}/S01.zip`,
    ];
    for (const k of keys) {
      const p = await expectProblem(await post("/delivery/download-url", { storage_key: k }), 404, "NOT_FOUND");
      expect(p.detail).not.toContain(String(k));
    }
    // The real key works, so the refusals above are about the keys.
    expect((await post("/delivery/download-url", { storage_key: assets[0]?.storage_key })).status).toBe(200);
  });

  it("keeps the TTL within the configured bounds, naming the field", async () => {
    const { assets } = await publishedMovieWith([{ kind: "ORIGINAL", filename: "o.mkv", bytes: pseudoBytes(5, 1) }]);
    for (const ttl of [config.PRESIGN_TTL_MIN_SECONDS - 1, config.PRESIGN_TTL_MAX_SECONDS + 1]) {
      const p = await expectProblem(
        await post("/delivery/download-url", { storage_key: assets[0]?.storage_key, ttl_seconds: ttl }),
        400,
        "VALIDATION_FAILED",
      );
      expect(p.errors?.[0]?.path).toBe("json.ttl_seconds");
    }
    const d = (await (await post("/delivery/download-url", { storage_key: assets[0]?.storage_key })).json()) as Signed;
    expect(new URL(d.url).searchParams.get("X-Amz-Expires")).toBe(String(config.PRESIGN_TTL_DEFAULT_SECONDS));
  });

  it("signs a ready, unexpired bundle and refuses an expired one", async () => {
    const { title } = await publishedMovieWith([]);
    const key = `bundles/${title.id}/S01.zip`;
    const { createS3: make } = await import("../../../src/platform/s3");
    await make(config).put(key, "zip");
    await db
      .insert(bundles)
      .values({ titleId: title.id, seasonNumber: 1, storageKey: key, status: "ready", expiresAt: new Date(Date.now() + 3600_000) });
    const ok = (await (await post("/delivery/download-url", { storage_key: key })).json()) as Signed;
    expect(ok.filename).toMatch(/-S01\.zip$/);
    expect(await (await fetch(ok.url)).text()).toBe("zip");
    const oldKey = `bundles/${title.id}/S02.zip`;
    await db
      .insert(bundles)
      .values({ titleId: title.id, seasonNumber: 2, storageKey: oldKey, status: "ready", expiresAt: new Date(Date.now() - 1000) });
    await expectProblem(await post("/delivery/download-url", { storage_key: oldKey }), 404, "NOT_FOUND");
  });
});

describe("POST /delivery/batch-download-urls", () => {
  it("signs a batch of 50 with one database query", async () => {
    const files = Array.from({ length: 50 }, (_, i) => ({ kind: "DOWNLOAD", filename: `part-${i}.mp4`, bytes: pseudoBytes(8, i + 1) }));
    const { assets } = await publishedMovieWith(files);
    const neon = parseEnv(env).NEON_FETCH_ENDPOINT ?? "";
    const spy = vi.spyOn(globalThis, "fetch");
    const res = await post("/delivery/batch-download-urls", {
      items: assets.map((a) => ({ storage_key: a.storage_key })),
      ttl_seconds: 300,
    });
    const dbCalls = spy.mock.calls.filter(([input]) => String(input instanceof Request ? input.url : input).startsWith(neon));
    expect(res.status).toBe(200);
    expect(dbCalls).toHaveLength(1);
    const body = (await res.json()) as { items: Signed[] };
    expect(body.items.map((i) => i.storage_key)).toEqual(assets.map((a) => a.storage_key));
    expect(await (await fetch(body.items[49]?.url ?? "")).arrayBuffer()).toEqual(pseudoBytes(8, 50).buffer);
  });

  it("refuses more than BATCH_DOWNLOAD_MAX_ITEMS and names the bad items of a batch", async () => {
    const { assets } = await publishedMovieWith([{ kind: "ORIGINAL", filename: "a.mkv", bytes: pseudoBytes(3, 1) }]);
    const tooMany = Array.from({ length: config.BATCH_DOWNLOAD_MAX_ITEMS + 1 }, () => ({ storage_key: assets[0]?.storage_key }));
    expect(
      (await expectProblem(await post("/delivery/batch-download-urls", { items: tooMany }), 400, "VALIDATION_FAILED")).errors?.[0]?.path,
    ).toBe("json.items");
    const mixed = await post("/delivery/batch-download-urls", {
      items: [{ storage_key: assets[0]?.storage_key }, { storage_key: "originals/nope" }],
    });
    const p = await expectProblem(mixed, 404, "NOT_FOUND");
    expect(p.errors).toEqual([{ path: "json.items.1.storage_key", message: expect.any(String) }]);
  });
});
