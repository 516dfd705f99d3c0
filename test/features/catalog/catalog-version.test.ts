// The catalog version is read from Redis at most once per VERSION_TTL_MS per isolate: a bump made
// here is seen at once, one made elsewhere (another isolate) within the TTL.
import { describe, expect, it } from "vitest";
import { bumpCatalogVersion, CATALOG_VERSION_KEY, catalogVersion, VERSION_TTL_MS } from "../../../src/features/catalog/catalog-version";
import { createRedis } from "../../../src/platform/redis";
import { config } from "../../support/admin";

describe("catalog version", () => {
  it("a bump here is seen at once; one made elsewhere within the TTL", async () => {
    const redis = createRedis(config);
    const t0 = Date.now();
    const before = Number(await catalogVersion(redis, t0));
    const bumped = await bumpCatalogVersion(redis);
    expect(Number(await catalogVersion(redis))).toBe(bumped);
    expect(bumped).toBeGreaterThan(before);

    // Another isolate's write: straight to Redis, not through this module.
    const now = Date.now();
    await catalogVersion(redis, now);
    const elsewhere = await redis.incr(CATALOG_VERSION_KEY);
    expect(Number(await catalogVersion(redis, now + 1))).toBeLessThan(elsewhere);
    expect(Number(await catalogVersion(redis, now + VERSION_TTL_MS))).toBe(elsewhere);
  });
});
