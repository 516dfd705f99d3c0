// The gate in front of public season builds, which cost container time and storage: at most
// `maxConcurrent` builds hold a slot at once across every season, at most `dailyBudget` start per
// UTC day, and each client (its network, as every other limit keys it) holds at most its own small
// share of both, so one client walking the public seasons can't take every slot or spend the day's
// budget. Over any, the build is refused, never queued. One Lua script decides, so concurrent
// requests for different seasons can't all slip under a cap. Admin rebuilds don't pass the gate.
//
// A slot is a lease: the SeasonBundle object renews it whenever it schedules its next step and
// frees it when the build ends, so a lost object's slot frees itself when the lease runs out.
import type { RedisClient } from "../../platform/redis";

export interface GateLimits {
  maxConcurrent: number;
  dailyBudget: number;
  /** The client's share: its own cap and daily budget, counted under its id (a network). */
  client: { id: string; maxConcurrent: number; dailyBudget: number };
}

export type GateDecision = { ok: true } | { ok: false; reason: "busy" | "budget" | "client_busy" | "client_budget"; retryAfter: number };

const RUNNING = "bundle-builds:running";
/** Which client holds each season's slot (to free its share with the slot). */
const OWNERS = "bundle-builds:owners";
const dayKey = (now: Date) => `bundle-builds:day:${now.toISOString().slice(0, 10)}`;
const clientRunning = (client: string) => `bundle-builds:client:${client}:running`;
const clientDayKey = (client: string, now: Date) => `bundle-builds:client:${client}:day:${now.toISOString().slice(0, 10)}`;
/** How soon to ask again when every slot is taken: builds take tens of seconds to minutes. */
export const BUSY_RETRY_AFTER_SECONDS = 30;

// KEYS: running set, today's counter, the client's running set, its counter today, owners.
// ARGV: member, now ms, lease end ms, cap, budget, client cap, client budget, client id.
// A season that already holds a slot keeps it (a retried or joined build is not a new one).
const ACQUIRE = `redis.call("ZREMRANGEBYSCORE", KEYS[1], "-inf", ARGV[2])
redis.call("ZREMRANGEBYSCORE", KEYS[3], "-inf", ARGV[2])
if redis.call("ZSCORE", KEYS[1], ARGV[1]) then
  redis.call("ZADD", KEYS[1], ARGV[3], ARGV[1])
  return 1
end
if redis.call("ZCARD", KEYS[3]) >= tonumber(ARGV[6]) then return -2 end
if redis.call("ZCARD", KEYS[1]) >= tonumber(ARGV[4]) then return 0 end
if tonumber(redis.call("GET", KEYS[4]) or "0") >= tonumber(ARGV[7]) then return -3 end
if tonumber(redis.call("GET", KEYS[2]) or "0") >= tonumber(ARGV[5]) then return -1 end
redis.call("INCR", KEYS[2])
redis.call("EXPIRE", KEYS[2], 172800)
redis.call("INCR", KEYS[4])
redis.call("EXPIRE", KEYS[4], 172800)
redis.call("ZADD", KEYS[1], ARGV[3], ARGV[1])
redis.call("ZADD", KEYS[3], ARGV[3], ARGV[1])
redis.call("PEXPIRE", KEYS[3], tonumber(ARGV[3]) - tonumber(ARGV[2]))
redis.call("HSET", KEYS[5], ARGV[1], ARGV[8])
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
  const c = limits.client;
  const r = await redis.eval(
    ACQUIRE,
    [RUNNING, dayKey(now), clientRunning(c.id), clientDayKey(c.id, now), OWNERS],
    [
      season,
      String(now.getTime()),
      String(now.getTime() + leaseMs),
      String(limits.maxConcurrent),
      String(limits.dailyBudget),
      String(c.maxConcurrent),
      String(c.dailyBudget),
      c.id,
    ],
  );
  switch (r) {
    case 1:
      return { ok: true };
    case 0:
      return { ok: false, reason: "busy", retryAfter: BUSY_RETRY_AFTER_SECONDS };
    case -2:
      return { ok: false, reason: "client_busy", retryAfter: BUSY_RETRY_AFTER_SECONDS };
    case -3:
      return { ok: false, reason: "client_budget", retryAfter: secondsToNextUtcDay(now) };
    default:
      return { ok: false, reason: "budget", retryAfter: secondsToNextUtcDay(now) };
  }
}

/** Extends a held slot's lease, and its client's (XX: a slot already freed is not taken again). */
export async function renewBuildSlot(redis: RedisClient, season: string, leaseMs: number, now: Date): Promise<void> {
  const entry = { score: now.getTime() + leaseMs, member: season };
  await redis.zadd(RUNNING, { xx: true }, entry);
  const owner = await redis.hget<string>(OWNERS, season);
  if (owner) {
    await redis.zadd(clientRunning(owner), { xx: true }, entry);
    await redis.pexpire(clientRunning(owner), leaseMs);
  }
}

export async function releaseBuildSlot(redis: RedisClient, season: string): Promise<void> {
  const owner = await redis.hget<string>(OWNERS, season);
  await redis.zrem(RUNNING, season);
  if (owner) {
    await redis.zrem(clientRunning(owner), season);
    await redis.hdel(OWNERS, season);
  }
}

/** Builds started today (UTC), whoever asked. */
export async function buildsStartedToday(redis: RedisClient, now: Date): Promise<number> {
  return Number((await redis.get<number>(dayKey(now))) ?? 0);
}

/** Builds holding a slot now. */
export async function buildsRunning(redis: RedisClient, now: Date): Promise<number> {
  return redis.zcount(RUNNING, now.getTime(), "+inf");
}
