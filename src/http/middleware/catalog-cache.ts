// Public catalog GETs: ETag + 304, shared-cache headers, and the edge Cache API keyed by the
// catalog version (features/catalog/catalog-version.ts). A body with a signed URL never comes here.
import { createMiddleware } from "hono/factory";
import { bumpCatalogVersion, catalogVersion, VERSIONED_CACHE_SECONDS } from "../../features/catalog/catalog-version";
import { sha256Hex } from "../../lib/crypto/encoding";
import { AppError } from "../../lib/errors";
import type { AppEnv } from "../context";

/**
 * How long a catalog answer may be given after it was made when it can't be made again (Postgres
 * away): the edge answers it (X-Cache: STALE), and shared caches may too (stale-if-error).
 */
export const STALE_IF_ERROR_SECONDS = 3600;
export const CATALOG_CACHE_CONTROL = `public, max-age=0, s-maxage=60, stale-while-revalidate=300, stale-if-error=${STALE_IF_ERROR_SECONDS}`;
const CACHE_HOST = "https://catalog-cache.moviesnow.internal";
const STORED_AT = "x-stored-at";

/**
 * Keys this isolate has answered once without storing: a key is written to the edge cache on its
 * second miss, so a one-off read (most free-text searches, every prefix a search box sends) costs
 * no cache write and pushes nothing useful out of the colo's cache. A read that repeats is stored
 * at its second miss in an isolate. Bounded; the oldest key is forgotten first.
 */
const SEEN_ONCE_MAX = 10_000;
const seenOnce = new Set<string>();
/** True when `key` missed before in this isolate (then it is forgotten here: the cache holds it). */
function missedBefore(key: string): boolean {
  if (seenOnce.delete(key)) return true;
  seenOnce.add(key);
  if (seenOnce.size > SEEN_ONCE_MAX) seenOnce.delete(seenOnce.values().next().value as string);
  return false;
}

const etagMatches = (header: string | undefined, etag: string) => !!header?.split(",").some((t) => t.trim().replace(/^W\//, "") === etag);

function notModified(res: Response): Response {
  const headers = new Headers();
  for (const h of ["etag", "cache-control", "x-request-id", "x-cache", "vary"]) {
    const v = res.headers.get(h);
    if (v !== null) headers.set(h, v);
  }
  return new Response(null, { status: 304, headers });
}

export const catalogCache = createMiddleware<AppEnv>(async (c, next) => {
  if (c.req.method !== "GET") return next();
  const url = new URL(c.req.url);
  url.searchParams.sort();
  const version = await catalogVersion(c.var);
  const key = version === null ? null : new Request(`${CACHE_HOST}/v${version}${url.pathname}?${url.searchParams}`);
  // The latest answer for the URL whatever the version: what is given when no answer can be made.
  const last = new Request(`${CACHE_HOST}/last${url.pathname}?${url.searchParams}`);
  const ifNoneMatch = c.req.header("if-none-match");

  if (key) {
    const hit = await c.var.edgeCache.match(key);
    if (hit) {
      const etag = hit.headers.get("etag") ?? "";
      const res = new Response(hit.body, hit);
      res.headers.set("x-cache", "HIT");
      c.res = etagMatches(ifNoneMatch, etag) ? notModified(res) : res;
      return;
    }
  }

  await next();
  if (c.res.status === 503) {
    const kept = await c.var.edgeCache.match(last);
    const storedAt = Number(kept?.headers.get(STORED_AT));
    if (kept && storedAt + STALE_IF_ERROR_SECONDS * 1000 > c.var.clock.now().getTime()) {
      const res = new Response(kept.body, kept);
      res.headers.delete(STORED_AT);
      res.headers.set("x-cache", "STALE");
      res.headers.set("cache-control", CATALOG_CACHE_CONTROL);
      const etag = res.headers.get("etag") ?? "";
      c.res = undefined; // Hono would carry the 503's headers (no-store, Retry-After) over to the answer
      c.res = etagMatches(ifNoneMatch, etag) ? notModified(res) : res;
    } else await kept?.body?.cancel();
    return;
  }
  if (c.res.status !== 200) return;
  // c.res is replaced below, so its body is read as it is (no copy).
  const body = await c.res.arrayBuffer();
  const etag = `"${(await sha256Hex(new Uint8Array(body))).slice(0, 32)}"`;
  const res = new Response(body, c.res);
  res.headers.set("etag", etag);
  res.headers.set("cache-control", CATALOG_CACHE_CONTROL);
  res.headers.set("x-cache", key ? "MISS" : "BYPASS");
  if (key && missedBefore(key.url)) {
    const stored = new Response(body, res);
    stored.headers.delete("x-request-id");
    const kept = new Response(body, stored);
    kept.headers.set(STORED_AT, String(c.var.clock.now().getTime()));
    kept.headers.set("cache-control", `max-age=${STALE_IF_ERROR_SECONDS}`);
    await Promise.all([c.var.edgeCache.put(key, stored), c.var.edgeCache.put(last, kept)]);
  }
  c.res = etagMatches(ifNoneMatch, etag) ? notModified(res) : res;
});

/**
 * After an admin write that succeeded, move the catalog version on, so every cache sees the change.
 * A bump that fails is not swallowed: the change is kept (it is committed) but the admin gets 503
 * with Retry-After, since public answers can show the old state for up to VERSIONED_CACHE_SECONDS.
 * Mounted outside Idempotency-Key, so the retry with the same key replays the kept answer, and a
 * replay bumps too: the retry is what makes the change visible.
 */
export const bumpCatalogOnWrite = createMiddleware<AppEnv>(async (c, next) => {
  await next();
  if (!["POST", "PATCH", "PUT", "DELETE"].includes(c.req.method) || c.res.status >= 400) return;
  try {
    await bumpCatalogVersion(c.var);
  } catch (e) {
    c.var.logger.error("catalog version bump failed", { error: (e as Error).message });
    throw new AppError(
      "DEPENDENCY_UNAVAILABLE",
      `The change was saved, but caches could not be told (Redis did not answer): public answers may show the old state for up to ${VERSIONED_CACHE_SECONDS} s. Send the same request again (same Idempotency-Key) to make it visible now.`,
      { headers: { "retry-after": "5" } },
    );
  }
});
