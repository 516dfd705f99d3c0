import { describe, expect, it } from "vitest";
import { createRedis } from "../../src/adapters/redis";
import type { AppError } from "../../src/lib/errors";
import { acquireLock, withLock } from "../../src/services/lock";
import { config } from "../support/admin";

const redis = createRedis(config);

describe("Redis lock", () => {
  it("has one holder at a time; only the holder releases it", async () => {
    const name = `t-${crypto.randomUUID()}`;
    const a = await acquireLock(redis, name, { ttlMs: 5000 });
    expect(a).not.toBeNull();
    expect(await acquireLock(redis, name, { ttlMs: 5000 })).toBeNull();
    expect(await a?.release()).toBe(true);
    expect(await a?.release()).toBe(false);
    const b = await acquireLock(redis, name, { ttlMs: 5000 });
    expect(b).not.toBeNull();
    await b?.release();
  });

  it("expires, after which the old holder can neither release nor extend the new holder's lock", async () => {
    const name = `t-${crypto.randomUUID()}`;
    const old = await acquireLock(redis, name, { ttlMs: 150 });
    const next = await acquireLock(redis, name, { ttlMs: 5000, waitMs: 2000, retryEveryMs: 25 });
    expect(next).not.toBeNull();
    expect(await old?.release()).toBe(false);
    expect(await old?.extend(5000)).toBe(false);
    expect(await next?.extend(10_000)).toBe(true);
    expect(await redis.pttl(`lock:${name}`)).toBeGreaterThan(5000);
    await next?.release();
  });

  it("of many concurrent contenders exactly one gets it", async () => {
    const name = `t-${crypto.randomUUID()}`;
    const got = await Promise.all(Array.from({ length: 20 }, () => acquireLock(redis, name, { ttlMs: 5000 })));
    expect(got.filter(Boolean)).toHaveLength(1);
  });

  it("withLock: a busy lock is a 409 CONFLICT, and the lock is released after the work", async () => {
    const name = `t-${crypto.randomUUID()}`;
    const inner = withLock(redis, name, { ttlMs: 5000 }, async () => {
      await expect(withLock(redis, name, { ttlMs: 5000 }, async () => 1)).rejects.toMatchObject({
        code: "CONFLICT",
      } satisfies Partial<AppError>);
      return "done";
    });
    expect(await inner).toBe("done");
    expect(await withLock(redis, name, { ttlMs: 5000 }, async () => 2)).toBe(2);
  });
});
