import { env } from "cloudflare:test";
import { Ratelimit } from "@upstash/ratelimit";
import { Redis } from "@upstash/redis/cloudflare";
import { describe, expect, it } from "vitest";
import { parseEnv } from "../../src/platform/env";
import { createRedis } from "../../src/platform/redis";
import { uid } from "../support/ids";

const config = parseEnv(env);
const redis = createRedis(config);

describe("Redis through the Upstash REST protocol", () => {
  it("serves plain commands with base64-encoded replies, including non-ASCII and JSON values", async () => {
    const k = uid("k");
    expect(await redis.set(k, "héllo wörld ✓", { ex: 60 })).toBe("OK");
    expect(await redis.get(k)).toBe("héllo wörld ✓");
    const j = uid("j");
    await redis.set(j, { a: 1, b: ["x"] });
    expect(await redis.get(j)).toEqual({ a: 1, b: ["x"] });
    expect(await redis.incr(uid("n"))).toBe(1);
    expect(await redis.get(uid("missing"))).toBeNull();
    expect(await redis.ping()).toBe("PONG");
  });

  it("GETDEL hands a value to exactly one of many concurrent callers", async () => {
    const k = uid("token");
    await redis.set(k, "payload");
    const results = await Promise.all(Array.from({ length: 20 }, () => redis.getdel<string>(k)));
    expect(results.filter((r) => r === "payload")).toHaveLength(1);
  });

  it("runs pipelines and atomic multi-exec transactions", async () => {
    const k = uid("p");
    const p = redis.pipeline();
    p.set(k, "1");
    p.incr(k);
    p.get(k);
    expect(await p.exec()).toEqual(["OK", 2, 2]);

    const t = redis.multi();
    t.incr(k);
    t.hset(`${k}:h`, { f: "v" });
    t.hgetall(`${k}:h`);
    expect(await t.exec()).toEqual([3, 1, { f: "v" }]);
  });

  it("reports command errors as errors", async () => {
    const k = uid("e");
    await redis.set(k, "not a number");
    await expect(redis.incr(k)).rejects.toThrow(/not an integer/);
  });

  it("refuses a wrong bearer token", async () => {
    const bad = new Redis({ url: config.UPSTASH_REDIS_REST_URL, token: "wrong", enableTelemetry: false, retry: false });
    await expect(bad.ping()).rejects.toThrow(/Unauthorized/);
  });

  it("runs an @upstash/ratelimit sliding window: allowed, then limited", async () => {
    const limiter = new Ratelimit({ redis, limiter: Ratelimit.slidingWindow(3, "30 s"), prefix: uid("rl") });
    const id = "203.0.113.7";
    const outcomes = [];
    for (let i = 0; i < 5; i++) outcomes.push(await limiter.limit(id));
    expect(outcomes.map((o) => o.success)).toEqual([true, true, true, false, false]);
    expect(outcomes[2]?.remaining).toBe(0);
    expect(outcomes[3]?.limit).toBe(3);
    expect(outcomes[3]?.reset).toBeGreaterThan(Date.now());
  });
});
