// Bounds on TOTP guessing. A six-digit code has a million values, so what protects an account
// whose password is known is how many codes get evaluated at all:
// - per challenge: an attempt is taken (atomically, before the code is looked at) from a budget
//   of MAX_MFA_ATTEMPTS; past it the challenge is gone, however many requests arrive at once;
// - per account: every code evaluated reserves a slot in a sliding window (RATE_LIMIT_MFA_ACCOUNT,
//   20 an hour by default) that a correct code gives back; a full window locks the account, for
//   the window's length the first time and twice as long each time again (up to a day), until a
//   sign-in succeeds or a week passes without a lock. Even the right code waits out a lock.
// Each runs as one Redis script, so concurrency cannot slip past them.
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

/**
 * Starts the account's lock unless one runs: the period doubles with each lock kept in the
 * account's count (which lives a week). Answers the seconds locked (negative when a lock already
 * ran: this request did not start it) and the count.
 */
const LOCK = `local ttl = redis.call('TTL', KEYS[1])
if ttl > 0 then return {-ttl, tonumber(redis.call('GET', KEYS[2]) or '1')} end
local n = redis.call('INCR', KEYS[2])
redis.call('EXPIRE', KEYS[2], ARGV[3])
local period = math.min(tonumber(ARGV[1]) * 2 ^ (n - 1), tonumber(ARGV[2]))
redis.call('SET', KEYS[1], n, 'EX', period)
return {period, n}`;

export const MAX_MFA_LOCK_SECONDS = 24 * 3600;
const LOCK_MEMORY_SECONDS = 7 * 24 * 3600;

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

    /** Seconds the account stays locked; 0 when it is not. */
    async lockedFor(userId: string): Promise<number> {
      return Math.max(0, await redis.ttl(`mfa:lock:${userId}`));
    },

    /**
     * Locks the account (its window is full): for the window's length, doubled for each earlier
     * lock this week. `started` only for the request that locked it; `seconds` is how long.
     */
    async lock(userId: string): Promise<{ started: boolean; seconds: number; count: number }> {
      const [r, count] = await redis.eval<[string, string, string], [number, number]>(
        LOCK,
        [`mfa:lock:${userId}`, `mfa:locks:${userId}`],
        [String(rule.windowSeconds), String(Math.max(rule.windowSeconds, MAX_MFA_LOCK_SECONDS)), String(LOCK_MEMORY_SECONDS)],
      );
      return r > 0 ? { started: true, seconds: r, count } : { started: false, seconds: -r, count };
    },

    /** A sign-in succeeded: the escalation starts again from the window's length. */
    async forgetLocks(userId: string): Promise<void> {
      await redis.del(`mfa:locks:${userId}`);
    },
  };
}
