// A Redis lock for mutations two writers could race: SET NX PX with a random token; only the
// holder (same token) can release or extend it, checked atomically in Lua.
import type { RedisClient } from "../adapters/redis";
import { AppError } from "../lib/errors";

const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;
const EXTEND = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;

export interface Lock {
  readonly key: string;
  readonly token: string;
  /** True if this holder still held it and it is now released. */
  release(): Promise<boolean>;
  /** True if this holder still holds it and its lifetime was reset to `ttlMs`. */
  extend(ttlMs: number): Promise<boolean>;
}

export interface AcquireOptions {
  ttlMs: number;
  /** Keep trying this long before giving up (0: one attempt). */
  waitMs?: number;
  retryEveryMs?: number;
}

export async function acquireLock(redis: RedisClient, name: string, opts: AcquireOptions): Promise<Lock | null> {
  const key = `lock:${name}`;
  const token = crypto.randomUUID();
  const deadline = Date.now() + (opts.waitMs ?? 0);
  for (;;) {
    const ok = await redis.set(key, token, { nx: true, px: opts.ttlMs });
    if (ok === "OK") {
      return {
        key,
        token,
        release: async () => (await redis.eval<[string], number>(RELEASE, [key], [token])) === 1,
        extend: async (ttlMs) => (await redis.eval<[string, string], number>(EXTEND, [key], [token, String(ttlMs)])) === 1,
      };
    }
    if (Date.now() >= deadline) return null;
    await new Promise((r) => setTimeout(r, opts.retryEveryMs ?? 50));
  }
}

/** Runs `fn` holding the lock; a busy lock is a 409 CONFLICT. */
export async function withLock<T>(redis: RedisClient, name: string, opts: AcquireOptions, fn: () => Promise<T>): Promise<T> {
  const lock = await acquireLock(redis, name, opts);
  if (!lock) throw new AppError("CONFLICT", "Another change to this resource is in progress; retry shortly.");
  try {
    return await fn();
  } finally {
    await lock.release().catch(() => false);
  }
}
