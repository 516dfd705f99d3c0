// Public and presign limits decided in the isolate: no request waits on Redis for them, one isolate
// never passes the limit, others learn the global count from the reply to their own first hit, and
// with Redis gone each isolate still holds the line on its own counts.
import { describe, expect, it } from "vitest";
import { createEdgeLimiter, type EdgeLimitStore, edgeLimitKey } from "../../src/platform/edge-rate-limit";
import { createRedis } from "../../src/platform/redis";
import { recordRoundTrips } from "../../src/platform/round-trips";
import { config } from "../support/admin";

const redis = createRedis(config);
const WINDOW_S = 60;

/** One simulated isolate: its own counts, its own background work, a clock the test sets. */
function isolate(limit: number, opts: { redis?: typeof redis; now?: () => number } = {}) {
  const pending: Promise<unknown>[] = [];
  const syncErrors: unknown[] = [];
  const store: EdgeLimitStore = new Map();
  const limiter = createEdgeLimiter(
    "test",
    { limit, windowSeconds: WINDOW_S },
    {
      redis: opts.redis ?? redis,
      clock: { now: () => new Date(opts.now?.() ?? Date.now()) },
      background: (p) => void pending.push(p),
      onSyncError: (e) => void syncErrors.push(e),
      store,
    },
  );
  return { limiter, syncErrors, pending, settled: () => Promise.all(pending.splice(0)) };
}

const client = () => `ip-${crypto.randomUUID()}`;
const bucketOf = (ms: number) => Math.floor(ms / (WINDOW_S * 1000));

describe("edge rate limits", () => {
  it("one isolate admits exactly N of 3N concurrent hits, waits on no Redis round trip, and counts them in Redis behind the answer", async () => {
    const a = isolate(7);
    const id = client();
    const { result, trips } = await recordRoundTrips(async () => Promise.all(Array.from({ length: 21 }, () => a.limiter.hit(id))));
    expect(result.filter((d) => d.success)).toHaveLength(7);
    expect(result.filter((d) => !d.success).every((d) => d.remaining === 0 && d.reset > Date.now())).toBe(true);
    expect(trips).toEqual([]);
    // One send in flight per client: the burst goes to Redis as one background task.
    expect(a.pending).toHaveLength(1);
    await a.settled();
    expect(a.syncErrors).toEqual([]);
    expect(Number(await redis.get(edgeLimitKey("test", id, bucketOf(Date.now()))))).toBe(7);
  });

  it("another isolate learns the global count from the reply to its own first hit", async () => {
    const id = client();
    const a = isolate(5);
    for (let i = 0; i < 5; i++) expect(a.limiter.hit(id).success).toBe(true);
    await a.settled();
    const b = isolate(5);
    // B has never seen this client: it can't know, so its first hit passes and is counted…
    expect(b.limiter.hit(id).success).toBe(true);
    await b.settled();
    // …and the reply taught it the global count: from here on it refuses.
    const next = b.limiter.hit(id);
    expect(next.success).toBe(false);
    expect(b.limiter.peek(id).remaining).toBe(0);
  });

  it("the previous window still counts, by how much of it overlaps the sliding window", async () => {
    const id = client();
    const windowMs = WINDOW_S * 1000;
    const start = (bucketOf(Date.now()) + 10) * windowMs;
    let now = start + windowMs - 1;
    const a = isolate(8, { now: () => now });
    for (let i = 0; i < 8; i++) expect(a.limiter.hit(id).success).toBe(true);
    await a.settled();
    // Just into the next window all 8 still overlap it.
    now = start + windowMs + 1;
    expect(a.limiter.hit(id).success).toBe(false);
    // Three quarters in, a quarter of them (2) still count: 6 more pass.
    now = start + windowMs + 0.75 * windowMs;
    const later = Array.from({ length: 10 }, () => a.limiter.hit(id));
    expect(later.filter((d) => d.success)).toHaveLength(6);
    await a.settled();
  });

  it("with Redis unreachable an isolate still holds the line on its own counts, and says so", async () => {
    const down = createRedis({ ...config, UPSTASH_REDIS_REST_URL: "http://127.0.0.1:9", DEPENDENCY_TIMEOUT_MS: 500 }, { retries: 0 });
    const a = isolate(4, { redis: down });
    const id = client();
    const decisions = Array.from({ length: 10 }, () => a.limiter.hit(id));
    expect(decisions.filter((d) => d.success)).toHaveLength(4);
    expect(decisions.every((d) => !d.unavailable)).toBe(true);
    await a.settled();
    // One send in flight per client, so one failure for the burst.
    expect(a.syncErrors).toHaveLength(1);
    // The hits stay counted here after the failed sends.
    expect(a.limiter.hit(id).success).toBe(false);
  });

  it("a refund gives one hit back, here and in Redis", async () => {
    const a = isolate(2);
    const id = client();
    expect(a.limiter.hit(id).success).toBe(true);
    expect(a.limiter.hit(id).success).toBe(true);
    expect(a.limiter.hit(id).success).toBe(false);
    a.limiter.refund(id);
    expect(a.limiter.peek(id).remaining).toBe(1);
    expect(a.limiter.hit(id).success).toBe(true);
    a.limiter.refund(id);
    await a.settled();
    expect(Number(await redis.get(edgeLimitKey("test", id, bucketOf(Date.now()))))).toBe(1);
  });
});
