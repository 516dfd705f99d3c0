// The global gate in front of season builds, which cost container time and storage: at most
// `maxConcurrent` builds hold a slot at once across every season, and at most `dailyBudget` builds
// start per UTC day when the caller is subject to the budget (public requests; admins are not).
// Over either, the build is refused, never queued. One Lua script decides, so concurrent
// requests for different seasons can't all slip under the cap.
//
// A slot is a lease: the SeasonBundle object renews it whenever it schedules its next step and
// frees it when the build ends, so a lost object's slot frees itself when the lease runs out.
import type { RedisClient } from "../../platform/redis";

export interface GateLimits {
  maxConcurrent: number;
  /** null: not counted against the daily budget (admin rebuilds). */
  dailyBudget: number | null;
}

export type GateDecision = { ok: true } | { ok: false; reason: "busy" | "budget"; retryAfter: number };

const RUNNING = "bundle-builds:running";
const dayKey = (now: Date) => `bundle-builds:day:${now.toISOString().slice(0, 10)}`;
/** How soon to ask again when every slot is taken: builds take tens of seconds to minutes. */
export const BUSY_RETRY_AFTER_SECONDS = 30;

// KEYS: running set, today's counter. ARGV: member, now ms, lease end ms, cap, budget (-1: none).
// A season that already holds a slot keeps it (a retried or joined build is not a new one).
const ACQUIRE = `redis.call("ZREMRANGEBYSCORE", KEYS[1], "-inf", ARGV[2])
if redis.call("ZSCORE", KEYS[1], ARGV[1]) then
  redis.call("ZADD", KEYS[1], ARGV[3], ARGV[1])
  return 1
end
if redis.call("ZCARD", KEYS[1]) >= tonumber(ARGV[4]) then return 0 end
local budget = tonumber(ARGV[5])
if budget >= 0 and tonumber(redis.call("GET", KEYS[2]) or "0") >= budget then return -1 end
redis.call("INCR", KEYS[2])
redis.call("EXPIRE", KEYS[2], 172800)
redis.call("ZADD", KEYS[1], ARGV[3], ARGV[1])
return 1`;

const secondsToNextUtcDay = (now: Date) => {
  const next = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
  return Math.max(1, Math.ceil((next - now.getTime()) / 1000));
};

export async function acquireBuildSlot(
  redis: RedisClient,
  season: string,
  limits: GateLimits,
  leaseMs: number,
  now: Date,
): Promise<GateDecision> {
  const r = await redis.eval(
    ACQUIRE,
    [RUNNING, dayKey(now)],
    [season, String(now.getTime()), String(now.getTime() + leaseMs), String(limits.maxConcurrent), String(limits.dailyBudget ?? -1)],
  );
  if (r === 1) return { ok: true };
  return r === 0
    ? { ok: false, reason: "busy", retryAfter: BUSY_RETRY_AFTER_SECONDS }
    : { ok: false, reason: "budget", retryAfter: secondsToNextUtcDay(now) };
}

/** Extends a held slot's lease (XX: a slot already freed is not taken again). */
export async function renewBuildSlot(redis: RedisClient, season: string, leaseMs: number, now: Date): Promise<void> {
  await redis.zadd(RUNNING, { xx: true }, { score: now.getTime() + leaseMs, member: season });
}

export async function releaseBuildSlot(redis: RedisClient, season: string): Promise<void> {
  await redis.zrem(RUNNING, season);
}

/** Builds started today (UTC), whoever asked. */
export async function buildsStartedToday(redis: RedisClient, now: Date): Promise<number> {
  return Number((await redis.get<number>(dayKey(now))) ?? 0);
}

/** Builds holding a slot now. */
export async function buildsRunning(redis: RedisClient, now: Date): Promise<number> {
  return redis.zcount(RUNNING, now.getTime(), "+inf");
}
