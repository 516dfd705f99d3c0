// The catalog version: a counter every admin write bumps. Public responses are cached at the
// edge under it, so a write makes every older cached entry unreachable at once.
import type { RedisClient } from "../adapters/redis";

export const CATALOG_VERSION_KEY = "catalog:version";

/** The current version, or null when Redis can't say (callers then skip the edge cache). */
export async function catalogVersion(redis: RedisClient): Promise<string | null> {
  try {
    return String((await redis.get<number | string>(CATALOG_VERSION_KEY)) ?? 0);
  } catch {
    return null;
  }
}

export const bumpCatalogVersion = (redis: RedisClient) => redis.incr(CATALOG_VERSION_KEY);
