// Bounds on TOTP guessing. A six-digit code has a million values, so what protects an account
// whose password is known is how many codes get evaluated at all:
// - per challenge: an attempt is taken (atomically, before the code is looked at) from a budget
//   of MAX_MFA_ATTEMPTS; past it the challenge is gone, however many requests arrive at once;
// - per account: every code evaluated reserves a slot in a sliding window (RATE_LIMIT_MFA_ACCOUNT,
//   20 an hour by default) that a correct code gives back; a full window is a cool-down.
// Both run as one Redis script each, so concurrency cannot slip past them.
import type { RedisClient } from "../../platform/redis";

export const MAX_MFA_ATTEMPTS = 5;

/** INCR + EXPIRE on first use, in one step: the number of this attempt. */
const TAKE_ATTEMPT = `local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return n`;

/**
 * Sliding window of evaluated codes per account, kept as a sorted set of (time, id): drop what
 * left the window, refuse when full (answering ms until the oldest leaves), else add this one.
 */
const RESERVE = `redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1] - ARGV[2])
local n = redis.call('ZCARD', KEYS[1])
if n >= tonumber(ARGV[3]) then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return -(tonumber(oldest[2]) + ARGV[2] - ARGV[1])
end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return n + 1`;

export type Reservation = { ok: true; release: () => Promise<void> } | { ok: false; retryAfterSeconds: number };

export function createMfaGuard(redis: RedisClient, rule: { limit: number; windowSeconds: number }) {
  return {
    /** Takes one attempt of the challenge's budget; false when it is spent. */
    async takeAttempt(challengeKey: string, ttlSeconds: number): Promise<boolean> {
      const n = await redis.eval<[string], number>(TAKE_ATTEMPT, [`${challengeKey}:attempts`], [String(ttlSeconds)]);
      return n <= MAX_MFA_ATTEMPTS;
    },

    /** Reserves one evaluated code for the account; a correct code releases it again. */
    async reserve(userId: string, nowMs: number): Promise<Reservation> {
      const key = `mfa:account:${userId}`;
      const id = crypto.randomUUID();
      const windowMs = rule.windowSeconds * 1000;
      const r = await redis.eval<[string, string, string, string], number>(
        RESERVE,
        [key],
        [String(nowMs), String(windowMs), String(rule.limit), id],
      );
      if (r < 0) return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(-r / 1000)) };
      return {
        ok: true,
        release: async () => {
          await redis.zrem(key, id);
        },
      };
    },

    /** Marks the account as cooling down; true only for the request that started the cool-down. */
    async startCooldown(userId: string, seconds: number): Promise<boolean> {
      return (await redis.set(`mfa:cooldown:${userId}`, 1, { nx: true, ex: Math.max(1, seconds) })) === "OK";
    },
  };
}
