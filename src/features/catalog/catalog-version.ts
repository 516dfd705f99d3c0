// The catalog version: a counter every admin write bumps. Public responses are cached at the
// edge under it, so a write makes every older cached entry unreachable: at once in the isolate
// that wrote, and within VERSION_TTL_MS everywhere else (each isolate re-reads it that often,
// rather than on every cached read).
import type { RedisClient } from "../../platform/redis";

export const CATALOG_VERSION_KEY = "catalog:version";
export const VERSION_TTL_MS = 1000;

let memo: { value: string; at: number } | null = null;

/** The current version, or null when Redis can't say (callers then skip the edge cache). */
export async function catalogVersion(redis: RedisClient, now = Date.now()): Promise<string | null> {
  if (memo && now - memo.at < VERSION_TTL_MS) return memo.value;
  try {
    const value = String((await redis.get<number | string>(CATALOG_VERSION_KEY)) ?? 0);
    memo = { value, at: now };
    return value;
  } catch {
    memo = null;
    return null;
  }
}

export async function bumpCatalogVersion(redis: RedisClient): Promise<number> {
  const v = await redis.incr(CATALOG_VERSION_KEY);
  memo = { value: String(v), at: Date.now() };
  return v;
}
