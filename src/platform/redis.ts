// Redis through the Upstash REST client (fetch-based, works in Workers).
import { Redis } from "@upstash/redis/cloudflare";
import { DEFAULT_DEPENDENCY_TIMEOUT_MS, dependencyError } from "./dependency";
import { roundTrip } from "./round-trips";

export type RedisClient = Redis;

export interface RedisConfig {
  UPSTASH_REDIS_REST_URL: string;
  UPSTASH_REDIS_REST_TOKEN: string;
  DEPENDENCY_TIMEOUT_MS?: number;
}

/**
 * Redis itself unreachable, as opposed to a command Redis refused (WRONGTYPE, NOSCRIPT…), which
 * stays as it is: the rate limiter relies on NOSCRIPT to load its scripts.
 */
const unreachable = (e: unknown) =>
  !(e instanceof Error) || e.name !== "UpstashError" || /unavailable|connect|timeout/i.test(e.message.split(", command was:")[0] ?? "");

export function createRedis(cfg: RedisConfig, opts: { retries?: number } = {}): RedisClient {
  const timeoutMs = cfg.DEPENDENCY_TIMEOUT_MS ?? DEFAULT_DEPENDENCY_TIMEOUT_MS;
  // Built on first use: most hot-path requests never reach Redis, and building the client (its
  // command pipeline) was about 7% of a catalog miss's CPU. Not shared across requests: its
  // auto-pipeline would answer one request's command with another's fetch.
  let redis: Redis | undefined;
  const client = () =>
    (redis ??= new Redis({
      url: cfg.UPSTASH_REDIS_REST_URL,
      token: cfg.UPSTASH_REDIS_REST_TOKEN,
      enableTelemetry: false,
      // Network errors are retried a little; Redis command errors never are.
      retry: { retries: opts.retries ?? 2, backoff: (n) => 25 * 2 ** n },
      signal: () => AbortSignal.timeout(timeoutMs),
    }));
  // Every command's rejection for an unreachable Redis becomes a 503 naming it.
  return new Proxy({} as Redis, {
    has(_, prop) {
      return Reflect.has(client(), prop);
    },
    get(_, prop) {
      const target = client();
      const v = Reflect.get(target, prop, target) as unknown;
      if (typeof v !== "function") return v;
      return (...args: unknown[]) => {
        const r = (v as (...a: unknown[]) => unknown).apply(target, args);
        if (!(r instanceof Promise)) return r;
        // A command that answers a promise is one round trip to Redis (timed for Server-Timing).
        return roundTrip("redis", () => r).catch((e: unknown) => {
          throw unreachable(e) ? dependencyError("Redis", e) : e;
        });
      };
    },
  });
}

export async function pingRedis(redis: RedisClient): Promise<void> {
  const r = await redis.ping();
  if (r !== "PONG") throw new Error(`unexpected PING reply ${JSON.stringify(r)}`);
}
