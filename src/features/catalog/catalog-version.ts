// The catalog version: a counter every admin write bumps. Public responses and presign
// authorisations are cached at the edge under it, so a write makes every older cached entry
// unreachable: at once in the isolate that wrote, and within VERSION_TTL_MS everywhere else.
//
// An isolate reads it ahead of need and never makes a warm request wait on Redis for it: past half
// the TTL a request answers with the version it has and one read runs behind the answer. An idle
// isolate (its version older than the TTL) waits for that read at most IDLE_WAIT_MS, and not at all
// when the last read failed or one is already hanging. When Redis stays away, the version in hand
// is used for VERSION_STALE_LIMIT_MS after the last read that worked; past that it is null: every
// versioned answer is computed again from Postgres (or, if Postgres is away too, refused).
import { sha256Hex } from "../../lib/crypto/encoding";
import type { Clock } from "../../platform/clock";
import type { EdgeCache } from "../../platform/edge-cache";
import type { RedisClient } from "../../platform/redis";
import { detachedFromRequest } from "../../platform/round-trips";

export const CATALOG_VERSION_KEY = "catalog:version";
export const VERSION_TTL_MS = 1000;
/** How long the last version read stays usable while Redis can't be read. */
export const VERSION_STALE_LIMIT_MS = 60_000;
/** How long an idle isolate's request waits for a fresh read before going on with the version it has. */
const IDLE_WAIT_MS = 250;

export interface CatalogVersionDeps {
  redis: RedisClient;
  clock: Clock;
  /** Keeps the read-ahead alive after the answer (ExecutionContext.waitUntil). */
  background: (p: Promise<unknown>) => void;
}

let memo: { value: string; at: number } | null = null;
let refreshing: Promise<void> | null = null;
let lastReadFailed = false;

const read = async (redis: RedisClient, at: number) => {
  const value = String((await redis.get<number | string>(CATALOG_VERSION_KEY)) ?? 0);
  // A read that started before a newer one (or a bump here) landed must not replace it.
  if (!memo || memo.at <= at) memo = { value, at };
  return value;
};

/**
 * One read at a time: its outcome says whether Redis is answering. Behind the answers, unless the
 * request that starts it waits for it (then it is that request's round trip, in its Server-Timing).
 */
function refresh(deps: CatalogVersionDeps, now: number, waited: boolean): Promise<void> {
  if (!refreshing) {
    refreshing = (waited ? read(deps.redis, now) : detachedFromRequest(() => read(deps.redis, now)))
      .then(
        () => {
          lastReadFailed = false;
        },
        () => {
          lastReadFailed = true;
        },
      )
      .finally(() => {
        refreshing = null;
      });
    deps.background(refreshing);
  }
  return refreshing;
}

/**
 * The current version, or null when there is none to trust (Redis away for longer than
 * VERSION_STALE_LIMIT_MS, or never read): callers then compute their answer and don't cache it.
 */
export async function catalogVersion(deps: CatalogVersionDeps): Promise<string | null> {
  const now = deps.clock.now().getTime();
  const age = memo ? now - memo.at : Number.POSITIVE_INFINITY;
  if (memo && age < VERSION_TTL_MS / 2) return memo.value;
  const hanging = refreshing !== null;
  if (memo && age < VERSION_TTL_MS) {
    refresh(deps, now, false);
    return memo.value;
  }
  // Redis answering and no read hanging: an idle isolate waits a little for the current version.
  const waits = !lastReadFailed && !hanging;
  const read = refresh(deps, now, waits);
  if (memo && age < VERSION_STALE_LIMIT_MS) {
    if (waits) await Promise.race([read, new Promise((r) => setTimeout(r, IDLE_WAIT_MS))]);
    return memo.value;
  }
  // Nothing to go on: wait for the read, unless Redis is known to be failing (then answer at once).
  if (lastReadFailed) return null;
  await read;
  return !lastReadFailed && memo ? memo.value : null;
}

export async function bumpCatalogVersion(deps: { redis: RedisClient; clock: Clock }): Promise<number> {
  const v = await deps.redis.incr(CATALOG_VERSION_KEY);
  memo = { value: String(v), at: deps.clock.now().getTime() };
  return v;
}

/**
 * How long a versioned answer is used, in the colo's cache and in an isolate's copy alike, counted
 * from when it was computed: a new catalog version makes it unreachable long before, and when a
 * bump is lost (Redis down at the write) this is how long an old answer can still be given.
 */
export const VERSIONED_CACHE_SECONDS = 300;
const STORED_AT = "x-stored-at";
/**
 * The isolate's own copy of the answers it used last, in front of the colo's cache: a warm
 * presign or playlist in a busy isolate skips the Cache API lookup and the JSON parse (about a
 * quarter of a warm presign's CPU in bench:http). Keyed like the colo's cache, so it is exactly as
 * fresh; bounded by size (a signed playlist of a long film is most of a megabyte), oldest dropped
 * first. Answers are shared, so callers never mutate them.
 */
const isolateCopies = new Map<string, { value: unknown; bytes: number; until: number }>();
const MAX_ISOLATE_COPY_BYTES = 16 * 1024 * 1024;
let isolateCopyBytes = 0;

/**
 * `compute()` as of the current catalog version, kept in the colo's cache under that version: one
 * origin query per colo and version, and an admin write (which moves the version on) is seen
 * everywhere within VERSION_TTL_MS. `name` separates the kinds of answer; `key` names one. When
 * Redis can't say the version the answer is computed, not cached. The answer must be plain JSON.
 * The key's parts are encoded as a JSON array, never joined: a part may hold any character (a
 * storage key with a newline), and two different lists must never share an entry.
 */
export type VersionedCacheDeps = CatalogVersionDeps & { edgeCache: EdgeCache };

export async function underCatalogVersion<T>(
  deps: VersionedCacheDeps,
  name: string,
  parts: readonly (string | number | null)[],
  compute: () => Promise<T>,
): Promise<T> {
  const version = await catalogVersion(deps);
  if (version === null) return compute();
  const key = JSON.stringify(parts);
  const now = deps.clock.now().getTime();
  const copyKey = `${name}\u0000${version}\u0000${key}`;
  const copy = isolateCopies.get(copyKey);
  if (copy && copy.until > now) return copy.value as T;
  const keep = (value: T, json: string, storedAt: number) => {
    // Two bytes a character, roughly what V8 holds for the value and its key.
    const bytes = 2 * (json.length + copyKey.length);
    if (bytes > MAX_ISOLATE_COPY_BYTES / 4) return value;
    // Two requests that missed together keep it once.
    const before = isolateCopies.get(copyKey);
    if (before) {
      isolateCopies.delete(copyKey);
      isolateCopyBytes -= before.bytes;
    }
    for (const [k, old] of isolateCopies) {
      if (isolateCopyBytes + bytes <= MAX_ISOLATE_COPY_BYTES) break;
      isolateCopies.delete(k);
      isolateCopyBytes -= old.bytes;
    }
    isolateCopies.set(copyKey, { value, bytes, until: storedAt + VERSIONED_CACHE_SECONDS * 1000 });
    isolateCopyBytes += bytes;
    return value;
  };
  const cacheKey = new Request(`https://${name}.moviesnow.internal/v${version}/${await sha256Hex(key)}`);
  const cached = await deps.edgeCache.match(cacheKey);
  const storedAt = Number(cached?.headers.get(STORED_AT));
  if (cached && storedAt + VERSIONED_CACHE_SECONDS * 1000 > now) {
    const json = await cached.text();
    return keep(JSON.parse(json) as T, json, storedAt);
  }
  await cached?.body?.cancel();
  const value = await compute();
  const json = JSON.stringify(value);
  await deps.edgeCache.put(
    cacheKey,
    new Response(json, {
      headers: { "content-type": "application/json", "cache-control": `max-age=${VERSIONED_CACHE_SECONDS}`, [STORED_AT]: String(now) },
    }),
  );
  return keep(value, json, now);
}
