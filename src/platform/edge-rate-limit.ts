// Public and presign limits, decided inside the isolate and counted globally in Redis behind the
// answer. Hand-written rather than @upstash/ratelimit because every algorithm there waits on Redis
// for its decision (cachedFixedWindow too, on each client's first hit of every window, and it never
// learns other isolates' counts): from a far colo that wait is 100–250 ms on every presign.
//
// The window slides like Upstash's: two fixed buckets, the previous one weighted by how much of it
// still overlaps. An isolate counts what it allowed itself at once and learns everyone else's hits
// from the reply to its own background INCRBY (hits arriving meanwhile are sent together after
// it: one request in flight per client, at most one per 50 ms), so a client's global count is known
// a round trip (and at most 50 ms) late. A client spread over many isolates can therefore pass the limit by what those
// isolates allow before their first reply; one isolate never passes it. When Redis is down the
// isolate keeps deciding on its own counts (a per-isolate limit) rather than letting all through.
import type { Clock } from "./clock";
import type { RateDecision } from "./rate-decision";
import type { RedisClient } from "./redis";
import { detachedFromRequest } from "./round-trips";

interface Bucketed {
  /** Which fixed window (floor(now / window)) `known` and `local` belong to. */
  bucket: number;
  /** The global count of this window, as Redis last answered it. */
  known: number;
  /** Hits allowed here in this window that Redis has not acknowledged yet. */
  local: number;
  /** The global count of the window before. */
  previous: number;
  /** Of `local`, what has not been sent to Redis yet. */
  unsent: number;
  /** A send for this client and window is in flight. */
  sending: boolean;
}

/** Per isolate: what it knows of each client's counts. Tests pass their own to play two isolates. */
export type EdgeLimitStore = Map<string, Bucketed>;

const isolateStore: EdgeLimitStore = new Map();
/** Past this many clients an isolate forgets the idle ones (forgetting only costs accuracy). */
const MAX_ENTRIES = 50_000;
/** Sends one background task makes for a client before leaving the rest to the next hit. */
const MAX_CHAINED_SENDS = 4;
/** How long a send waits to take in the hits that follow (the global count lags by this more). */
const FLUSH_DELAY_MS = 50;

export interface EdgeLimitRule {
  limit: number;
  windowSeconds: number;
}

export interface EdgeLimiterDeps {
  redis: RedisClient;
  clock: Clock;
  /** Keeps the background count alive after the answer (ExecutionContext.waitUntil). */
  background: (p: Promise<unknown>) => void;
  /** Told when Redis could not take a count (the decision stood on this isolate's counts). */
  onSyncError?: (e: unknown) => void;
  store?: EdgeLimitStore;
}

const COUNT_SCRIPT = `
local current = redis.call("INCRBY", KEYS[1], ARGV[1])
redis.call("PEXPIRE", KEYS[1], ARGV[2])
return { current, redis.call("GET", KEYS[2]) }`;

export const edgeLimitKey = (name: string, identifier: string, bucket: number) => `rl:edge:${name}:${identifier}:${bucket}`;

export function createEdgeLimiter(name: string, rule: EdgeLimitRule, deps: EdgeLimiterDeps) {
  const store = deps.store ?? isolateStore;
  const windowMs = rule.windowSeconds * 1000;

  const stateFor = (identifier: string, bucket: number): Bucketed => {
    const id = `${name}:${identifier}`;
    const s = store.get(id);
    if (s && s.bucket === bucket) return s;
    // A new window: what was this window's count becomes the previous one's.
    const previous = s && s.bucket === bucket - 1 ? s.known + s.local : 0;
    const fresh = { bucket, known: 0, local: 0, previous, unsent: 0, sending: false };
    if (!s && store.size >= MAX_ENTRIES) forgetIdle(store, bucket);
    store.set(id, fresh);
    return fresh;
  };

  /**
   * One command (a script, so Upstash bills one, not three): count the hits (or a refund), keep
   * the key two windows, and read the window before.
   */
  // Made at the first send, not per request (a script hashes itself when made).
  let countScript: ReturnType<typeof deps.redis.createScript<[number, number | string | null]>> | null = null;
  const count = async (identifier: string, bucket: number, by: number) => {
    const keys = [edgeLimitKey(name, identifier, bucket), edgeLimitKey(name, identifier, bucket - 1)];
    countScript ??= deps.redis.createScript<[number, number | string | null]>(COUNT_SCRIPT);
    const [current, previous] = await countScript.exec(keys, [String(by), String(2 * windowMs)]);
    return { current: Number(current), previous: Number(previous ?? 0) };
  };

  const decide = (identifier: string, cost: number): RateDecision => {
    const now = deps.clock.now().getTime();
    const bucket = Math.floor(now / windowMs);
    const s = stateFor(identifier, bucket);
    const overlap = 1 - (now % windowMs) / windowMs;
    const used = s.previous * overlap + s.known + s.local;
    const reset = (bucket + 1) * windowMs;
    if (used + cost > rule.limit) return { success: false, limit: rule.limit, remaining: 0, reset, unavailable: false };
    return { success: true, limit: rule.limit, remaining: Math.floor(rule.limit - used - cost), reset, unavailable: false };
  };

  /**
   * Sends what this isolate counted for a client and not yet sent, as one INCRBY, and again after
   * each reply while more came in meanwhile: at most one request per client in flight, however
   * busy the client (a few chained sends at most; then the next hit starts a new chain, so no
   * background task outlives its request's waitUntil budget).
   */
  const flush = async (identifier: string, s: Bucketed) => {
    s.sending = true;
    try {
      for (let sends = 0; s.unsent !== 0 && sends < MAX_CHAINED_SENDS; sends++) {
        // Hits arriving in the next moment go in the same send: a busy client costs Redis (and
        // this isolate's CPU) a few sends a second, not one per request, even when Redis is near.
        await new Promise((r) => setTimeout(r, FLUSH_DELAY_MS));
        const n = s.unsent;
        s.unsent = 0;
        const r = await detachedFromRequest(() => count(identifier, s.bucket, n));
        // Replies may come back out of order (another chain, a newer window): the largest is the latest.
        s.known = Math.max(s.known, r.current);
        s.local -= n;
        s.previous = Math.max(s.previous, r.previous);
        const latest = store.get(`${name}:${identifier}`);
        if (latest && latest !== s && latest.bucket === s.bucket + 1) latest.previous = Math.max(latest.previous, r.current);
      }
    } catch (e) {
      // What was sent and unacknowledged stays counted here (`local`): this isolate holds the line alone.
      deps.onSyncError?.(e);
    } finally {
      s.sending = false;
    }
  };

  /** Counts `by` (1, or -1 for a refund) here now, and in Redis behind the answer. */
  const record = (identifier: string, by: 1 | -1) => {
    const s = stateFor(identifier, Math.floor(deps.clock.now().getTime() / windowMs));
    s.local += by;
    s.unsent += by;
    if (!s.sending) deps.background(flush(identifier, s));
  };

  return {
    /** Decides at once; a hit that is allowed is counted. */
    hit(identifier: string): RateDecision {
      const d = decide(identifier, 1);
      if (d.success) record(identifier, 1);
      return d;
    },
    /** What is left, counting nothing. */
    peek(identifier: string): RateDecision {
      const d = decide(identifier, 0);
      return { ...d, success: d.remaining > 0 };
    },
    refund(identifier: string): void {
      record(identifier, -1);
    },
  };
}

function forgetIdle(store: EdgeLimitStore, bucket: number) {
  for (const [id, s] of store) if (s.bucket < bucket - 1) store.delete(id);
  // Still full (a flood of new clients within one window): drop the oldest-seen half.
  if (store.size >= MAX_ENTRIES) {
    let drop = Math.floor(store.size / 2);
    for (const id of store.keys()) {
      if (drop-- <= 0) break;
      store.delete(id);
    }
  }
}
