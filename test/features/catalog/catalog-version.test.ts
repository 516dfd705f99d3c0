// The catalog version is read from Redis at most once per VERSION_TTL_MS per isolate: a bump made
// here is seen at once, one made elsewhere (another isolate) within the TTL. Past half the TTL it
// is re-read behind the answer, so steady traffic never waits on Redis for it.
import { describe, expect, it } from "vitest";
import { bumpCatalogVersion, CATALOG_VERSION_KEY, catalogVersion, VERSION_TTL_MS } from "../../../src/features/catalog/catalog-version";
import { createRedis } from "../../../src/platform/redis";
import { recordRoundTrips } from "../../../src/platform/round-trips";
import { config } from "../../support/admin";

const redis = createRedis(config);
/** A caller at time `at` whose background work the test can await. */
const at = (now: number) => {
  const pending: Promise<unknown>[] = [];
  const deps = { redis, clock: { now: () => new Date(now) }, background: (p: Promise<unknown>) => void pending.push(p) };
  return { deps, settled: () => Promise.all(pending) };
};
const versionAt = async (now: number) => {
  const caller = at(now);
  const { result, trips } = await recordRoundTrips(() => catalogVersion(caller.deps));
  await caller.settled();
  return { version: Number(result), redisTrips: trips.filter((t) => t.origin === "redis").length };
};

describe("catalog version", () => {
  it("a bump here is seen at once; one made elsewhere within the TTL", async () => {
    const t0 = Date.now();
    const before = (await versionAt(t0)).version;
    const bumped = await bumpCatalogVersion(at(t0).deps);
    expect((await versionAt(t0 + 1)).version).toBe(bumped);
    expect(bumped).toBeGreaterThan(before);

    // Another isolate's write: straight to Redis, not through this module.
    const now = t0 + 10 * VERSION_TTL_MS;
    expect((await versionAt(now)).redisTrips).toBe(1);
    const elsewhere = await redis.incr(CATALOG_VERSION_KEY);
    expect((await versionAt(now + 1)).version).toBeLessThan(elsewhere);
    expect((await versionAt(now + VERSION_TTL_MS)).version).toBe(elsewhere);
  });

  it("past half the TTL answers at once and re-reads behind the answer; only an idle isolate waits", async () => {
    const t0 = Date.now() + 100 * VERSION_TTL_MS;
    expect((await versionAt(t0)).redisTrips).toBe(1);
    const elsewhere = await redis.incr(CATALOG_VERSION_KEY);
    // Half the TTL on: the answer is the version in hand, and no request-time round trip…
    const half = await versionAt(t0 + VERSION_TTL_MS / 2);
    expect(half).toEqual({ version: elsewhere - 1, redisTrips: 0 });
    // …but the read-ahead has landed: the next caller has the new version, still without waiting.
    expect(await versionAt(t0 + VERSION_TTL_MS / 2 + 1)).toEqual({ version: elsewhere, redisTrips: 0 });
    // Idle for longer than the TTL: the request waits for a fresh read.
    expect((await versionAt(t0 + 10 * VERSION_TTL_MS)).redisTrips).toBe(1);
  });
});
