// Presign authorisation from the edge cache: a warm download-url or batch asks no database (its
// Server-Timing names no db trip); an unpublish is seen at once (the catalog version moves on);
// a cached bundle key stops being signed the moment the bundle expires.
import { env } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { bundles, titles } from "../../../src/db/schema";
import { CATALOG_VERSION_KEY, VERSION_TTL_MS, VERSIONED_CACHE_SECONDS } from "../../../src/features/catalog/catalog-version";
import { authorizeKeys } from "../../../src/features/delivery/service";
import { createApp } from "../../../src/http/app";
import { defaultDeps } from "../../../src/http/middleware/init";
import { keys } from "../../../src/lib/storage-keys";
import { createRedis, type RedisClient } from "../../../src/platform/redis";
import { config, db } from "../../support/admin";
import { seriesWithSeason } from "../../support/bundles";
import { pseudoBytes, publishedMovieWith } from "../../support/delivery";
import { expectProblem } from "../../support/problem";

let now = Date.now();
// The real stack, with a clock the test moves (for bundle expiry).
const app = createApp({
  logSink: () => {},
  deps: (config, bindings) => ({ ...defaultDeps(config, bindings), clock: { now: () => new Date(now) } }),
});
const redis = createRedis(config);
const adminKey = `k-${crypto.randomUUID()}`;
const e = { ...env, ADMIN_API_KEY: adminKey };
const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  app.request(path, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) }, e);
const tripsTo = (origin: string) => (res: Response) =>
  (res.headers.get("server-timing") ?? "").split(", ").filter((e) => e.startsWith(`${origin};`)).length;
const dbTrips = tripsTo("db");
const redisTrips = tripsTo("redis");

describe("presign authorisation", () => {
  it("is answered at the edge once warm: no database or Redis round trip, for one key or a batch", async () => {
    const { assets } = await publishedMovieWith([
      { kind: "ORIGINAL", filename: "warm-a.mkv", bytes: pseudoBytes(8, 1) },
      { kind: "DOWNLOAD", filename: "warm-b.mp4", bytes: pseudoBytes(8, 2), extra: { quality: "1080p" } },
    ]);
    const one = { storage_key: assets[0]?.storage_key };
    const cold = await post("/api/v1/delivery/download-url", one);
    expect(cold.status).toBe(200);
    expect(dbTrips(cold)).toBe(1);
    const warm = await post("/api/v1/delivery/download-url", one);
    expect(warm.status).toBe(200);
    expect(dbTrips(warm)).toBe(0);
    // Rate limits decide in the isolate and the catalog version is in hand: nothing waits on Redis.
    expect(redisTrips(warm)).toBe(0);
    // The cached answer signs the same file: S3 serves it.
    const { url } = (await warm.json()) as { url: string };
    const got = await fetch(url);
    expect(got.status).toBe(200);
    expect(new Uint8Array(await got.arrayBuffer())).toEqual(pseudoBytes(8, 1));

    const batch = { items: assets.map((a) => ({ storage_key: a.storage_key })) };
    expect(dbTrips(await post("/api/v1/delivery/batch-download-urls", batch))).toBe(1);
    const again = await post("/api/v1/delivery/batch-download-urls", batch);
    expect(again.status).toBe(200);
    expect(dbTrips(again)).toBe(0);
    expect(redisTrips(again)).toBe(0);
  });

  it("sees an unpublish at once, however warm", async () => {
    const { title, assets } = await publishedMovieWith([{ kind: "ORIGINAL", filename: "gone.mkv", bytes: pseudoBytes(8, 3) }]);
    const one = { storage_key: assets[0]?.storage_key };
    expect((await post("/api/v1/delivery/download-url", one)).status).toBe(200);
    expect(dbTrips(await post("/api/v1/delivery/download-url", one))).toBe(0);
    // Through this same Worker (the one whose cached answer it was).
    expect((await post(`/api/v1/admin/titles/${title.id}/unpublish`, {}, { "x-admin-key": adminKey })).status).toBe(200);
    await expectProblem(await post("/api/v1/delivery/download-url", one), 404, "NOT_FOUND");
  });

  it("stops signing a title unpublished in another isolate within the catalog version's staleness bound", async () => {
    const { title, assets } = await publishedMovieWith([{ kind: "ORIGINAL", filename: "far.mkv", bytes: pseudoBytes(8, 5) }]);
    now = Date.now();
    const one = { storage_key: assets[0]?.storage_key };
    expect((await post("/api/v1/delivery/download-url", one)).status).toBe(200);
    expect(dbTrips(await post("/api/v1/delivery/download-url", one))).toBe(0);
    // Another isolate's unpublish: the row changes and the version moves on in Redis, but this
    // isolate's copy of the version does not (it re-reads it at most once per VERSION_TTL_MS).
    await db.update(titles).set({ status: "draft" }).where(eq(titles.id, title.id));
    await redis.incr(CATALOG_VERSION_KEY);
    expect((await post("/api/v1/delivery/download-url", one)).status).toBe(200);
    now += VERSION_TTL_MS;
    await expectProblem(await post("/api/v1/delivery/download-url", one), 404, "NOT_FOUND");
  });

  it("stops signing a cached bundle key when the bundle expires", async () => {
    const { title } = await publishedMovieWith([{ kind: "ORIGINAL", filename: "b.mkv", bytes: pseudoBytes(8, 4) }]);
    now = Date.now();
    const key = keys.bundle(title.id, 1);
    await db
      .insert(bundles)
      .values({ titleId: title.id, seasonNumber: 1, storageKey: key, status: "ready", sizeBytes: 10, expiresAt: new Date(now + 60_000) });
    const ask = () => post("/api/v1/delivery/download-url", { storage_key: key });
    expect((await ask()).status).toBe(200);
    const warm = await ask();
    expect(warm.status).toBe(200);
    expect(dbTrips(warm)).toBe(0);
    now += 61_000;
    await expectProblem(await ask(), 404, "NOT_FOUND");
  });

  it("bundle-url once warm asks no database (cold: two trips, the second for instant_url); a bundle stops being offered when it expires", async () => {
    const { title } = await seriesWithSeason([8]);
    now = Date.now();
    const key = keys.bundle(title.id, 1);
    await db
      .insert(bundles)
      .values({ titleId: title.id, seasonNumber: 1, storageKey: key, status: "ready", sizeBytes: 10, expiresAt: new Date(now + 60_000) });
    const ask = () => post("/api/v1/delivery/bundle-url", { title_id: title.id, season_number: 1 });
    const cold = await ask();
    expect(cold.status).toBe(200);
    // One trip authorises the bundle, one plans the season to know whether instant_url can be
    // offered (every file checksummed); both answers are then kept under the catalog version.
    expect(dbTrips(cold)).toBe(2);
    const warm = await ask();
    expect(warm.status).toBe(200);
    expect(dbTrips(warm)).toBe(0);
    expect(redisTrips(warm)).toBe(0);
    expect(((await warm.json()) as { size_bytes: number }).size_bytes).toBe(10);
    // An unknown season is still a 404, cached or not.
    for (let i = 0; i < 2; i++)
      await expectProblem(await post("/api/v1/delivery/bundle-url", { title_id: title.id, season_number: 2 }), 404, "NOT_FOUND");
    now += 61_000;
    await expectProblem(await ask(), 404, "NOT_FOUND");
  });

  it("keeps one answer per set of keys: a fake key that joins the real ones cannot deny their batch", async () => {
    const { assets } = await publishedMovieWith([
      { kind: "ORIGINAL", filename: "set-a.mkv", bytes: pseudoBytes(8, 6) },
      { kind: "ORIGINAL", filename: "set-b.mkv", bytes: pseudoBytes(8, 7) },
    ]);
    const real = assets.map((a) => a.storage_key).sort();
    // Below the HTTP layer (which refuses such a key): the cache itself keeps the two sets apart.
    const deps = { ...defaultDeps(config, e as never), clock: { now: () => new Date(now) }, background: () => {} };
    expect((await authorizeKeys(deps, [real.join("\n")])).size).toBe(0);
    expect([...(await authorizeKeys(deps, real)).keys()].sort()).toEqual(real);
  });

  it("refuses a storage key or a filename with a control character, naming the field, and signs nothing", async () => {
    const { assets } = await publishedMovieWith([{ kind: "ORIGINAL", filename: "ctl.mkv", bytes: pseudoBytes(8, 8) }]);
    const key = assets[0]?.storage_key as string;
    for (const bad of [`${key}\n${key}`, `${key}\r`, `${key}\u0000`, `${key}\u0085`]) {
      const res = await post("/api/v1/delivery/batch-download-urls", { items: [{ storage_key: bad }] });
      const p = await expectProblem(res, 400, "VALIDATION_FAILED");
      expect(JSON.stringify(p.errors)).toContain("items.0.storage_key");
    }
    const named = await post("/api/v1/delivery/download-url", { storage_key: key, attachment_filename: "a\tb.mkv" });
    expect(JSON.stringify((await expectProblem(named, 400, "VALIDATION_FAILED")).errors)).toContain("attachment_filename");
    const minted = await post(
      "/api/v1/admin/delivery/download-tokens/batch",
      { items: [{ storage_key: `${key}\n` }] },
      { "x-admin-key": adminKey },
    );
    await expectProblem(minted, 400, "VALIDATION_FAILED");
    expect((await post("/api/v1/delivery/download-url", { storage_key: key })).status).toBe(200);
  });

  it("a write whose version bump fails answers 503 with Retry-After; the change is kept, and its retry (same Idempotency-Key) makes it visible", async () => {
    const { title, assets } = await publishedMovieWith([{ kind: "ORIGINAL", filename: "lost-bump.mkv", bytes: pseudoBytes(8, 9) }]);
    now = Date.now();
    const one = { storage_key: assets[0]?.storage_key };
    expect((await post("/api/v1/delivery/download-url", one)).status).toBe(200);
    expect(dbTrips(await post("/api/v1/delivery/download-url", one))).toBe(0);
    // The same Worker, whose Redis does not take the bump (every other call goes through).
    const noBump = (r: RedisClient) =>
      new Proxy(r, {
        get(target, prop, receiver) {
          if (prop === "incr")
            return async (key: string) => {
              if (key === CATALOG_VERSION_KEY) throw new Error("Redis did not answer");
              return target.incr(key);
            };
          const v = Reflect.get(target, prop, receiver) as unknown;
          return typeof v === "function" ? v.bind(target) : v;
        },
      });
    const failing = createApp({
      logSink: () => {},
      deps: (config, bindings) => {
        const d = defaultDeps(config, bindings);
        return { ...d, redis: noBump(d.redis), clock: { now: () => new Date(now) } };
      },
    });
    const key = crypto.randomUUID();
    const headers = { "content-type": "application/json", "x-admin-key": adminKey, "idempotency-key": key };
    const unpublish = (a: typeof app) =>
      a.request(`/api/v1/admin/titles/${title.id}/unpublish`, { method: "POST", headers, body: "{}" }, e);
    const lost = await expectProblem(await unpublish(failing), 503, "DEPENDENCY_UNAVAILABLE");
    expect(lost.detail).toMatch(/saved/);
    const [row] = await db.select().from(titles).where(eq(titles.id, title.id));
    expect(row?.status).toBe("draft");
    // The retry replays the kept answer and moves the version on: the title is no longer signed.
    const retried = await unpublish(app);
    expect(retried.status).toBe(200);
    expect(retried.headers.get("idempotent-replayed")).toBe("true");
    await expectProblem(await post("/api/v1/delivery/download-url", one), 404, "NOT_FOUND");
  });

  it("an answer kept under a version no bump moved on is used for VERSIONED_CACHE_SECONDS at most, in the colo and the isolate", async () => {
    const { title, assets } = await publishedMovieWith([{ kind: "ORIGINAL", filename: "bounded.mkv", bytes: pseudoBytes(8, 10) }]);
    now = Date.now();
    const one = { storage_key: assets[0]?.storage_key };
    expect((await post("/api/v1/delivery/download-url", one)).status).toBe(200);
    // Unpublished with its bump lost: the warm answer holds, within its bound.
    await db.update(titles).set({ status: "draft" }).where(eq(titles.id, title.id));
    now += (VERSIONED_CACHE_SECONDS - 1) * 1000;
    expect((await post("/api/v1/delivery/download-url", one)).status).toBe(200);
    now += 2000;
    await expectProblem(await post("/api/v1/delivery/download-url", one), 404, "NOT_FOUND");
  });
});
