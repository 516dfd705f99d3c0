// Rate limits, one rule per class (configurable). Public reads and presigning are decided in the
// isolate and counted in Redis behind the answer (edge-rate-limit.ts): no request waits on Redis
// for them. Sign-in, MFA and admin limits stay exact and global: @upstash/ratelimit sliding
// windows, decided in Redis. When Redis can't answer those, the decision says so (`unavailable`);
// whether that fails open or closed is the caller's policy (see middleware/rate-limit.ts).
import { Ratelimit } from "@upstash/ratelimit";
import type { Clock } from "./clock";
import { createEdgeLimiter, type EdgeLimitStore } from "./edge-rate-limit";
import type { AppConfig, RateRule } from "./env";
import type { RateDecision } from "./rate-decision";
import type { RedisClient } from "./redis";

export type { RateDecision };

export const RATE_LIMIT_CLASSES = ["public", "presign", "admin", "login_ip", "login_account", "login_account_all"] as const;
export type RateLimitClass = (typeof RATE_LIMIT_CLASSES)[number];
/** The classes decided at the edge (per isolate, counted globally a round trip late). */
export const EDGE_CLASSES: ReadonlySet<RateLimitClass> = new Set(["public", "presign"]);

export interface RateLimiter {
  /** Counts one hit against `identifier` and says whether it is allowed. */
  hit(cls: RateLimitClass, identifier: string): Promise<RateDecision>;
  /** Says what is left without counting a hit. */
  peek(cls: RateLimitClass, identifier: string): Promise<RateDecision>;
  /** Gives back one hit counted earlier (best effort: a Redis failure leaves it counted). */
  refund(cls: RateLimitClass, identifier: string): Promise<void>;
}

const RULE: Record<RateLimitClass, (c: AppConfig) => RateRule> = {
  public: (c) => c.RATE_LIMIT_PUBLIC,
  presign: (c) => c.RATE_LIMIT_PRESIGN,
  admin: (c) => c.RATE_LIMIT_ADMIN,
  login_ip: (c) => c.RATE_LIMIT_LOGIN_IP,
  login_account: (c) => c.RATE_LIMIT_LOGIN_ACCOUNT,
  login_account_all: (c) => c.RATE_LIMIT_LOGIN_ACCOUNT_ALL,
};

export interface RateLimiterDeps {
  clock: Clock;
  /** Keeps work alive after the answer is sent (ExecutionContext.waitUntil). */
  background: (p: Promise<unknown>) => void;
  /** Told when an edge-decided hit could not be counted in Redis. */
  onSyncError?: (e: unknown) => void;
  /** The edge classes' per-isolate counts (tests give each simulated isolate its own). */
  edgeStore?: EdgeLimitStore;
}

export function createRateLimiter(redis: RedisClient, config: AppConfig, deps: RateLimiterDeps): RateLimiter {
  // Built when a class is first used: a request touches one or two classes of six.
  const edgeLimiters = new Map<RateLimitClass, ReturnType<typeof createEdgeLimiter>>();
  const atEdge = (cls: RateLimitClass) => {
    if (!EDGE_CLASSES.has(cls)) return null;
    let l = edgeLimiters.get(cls);
    if (!l) {
      l = createEdgeLimiter(cls, RULE[cls](config), { redis, ...deps, store: deps.edgeStore });
      edgeLimiters.set(cls, l);
    }
    return l;
  };
  const limiters = new Map<RateLimitClass, Ratelimit>();
  const limiter = (cls: RateLimitClass) => {
    let l = limiters.get(cls);
    if (!l) {
      const rule = RULE[cls](config);
      l = new Ratelimit({
        redis,
        limiter: Ratelimit.slidingWindow(rule.limit, `${rule.windowSeconds} s`),
        prefix: `rl:${cls}`,
        ephemeralCache: false,
        timeout: config.RATE_LIMIT_TIMEOUT_MS,
        analytics: false,
      });
      limiters.set(cls, l);
    }
    return l;
  };
  const unavailable = (cls: RateLimitClass): RateDecision => ({
    success: false,
    limit: RULE[cls](config).limit,
    remaining: 0,
    reset: 0,
    unavailable: true,
  });

  return {
    async hit(cls, identifier) {
      const edge = atEdge(cls);
      if (edge) return edge.hit(identifier);
      try {
        const r = await limiter(cls).limit(identifier);
        // On timeout the library answers "allowed"; we report that no decision was made.
        if (r.reason === "timeout") return unavailable(cls);
        return { success: r.success, limit: r.limit, remaining: r.remaining, reset: r.reset, unavailable: false };
      } catch {
        return unavailable(cls);
      }
    },
    async refund(cls, identifier) {
      const edge = atEdge(cls);
      if (edge) return edge.refund(identifier);
      // A negative rate decrements the window without checking the limit (@upstash/ratelimit ≥ 2.0).
      await limiter(cls)
        .limit(identifier, { rate: -1 })
        .catch(() => undefined);
    },
    async peek(cls, identifier) {
      const edge = atEdge(cls);
      if (edge) return edge.peek(identifier);
      try {
        const r = await limiter(cls).getRemaining(identifier);
        const limit = RULE[cls](config).limit;
        return { success: r.remaining > 0, limit, remaining: r.remaining, reset: r.reset, unavailable: false };
      } catch {
        return unavailable(cls);
      }
    },
  };
}
