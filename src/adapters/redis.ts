// Redis through the Upstash REST client (fetch-based, works in Workers).
import { Redis } from "@upstash/redis/cloudflare";

export type RedisClient = Redis;

export interface RedisConfig {
  UPSTASH_REDIS_REST_URL: string;
  UPSTASH_REDIS_REST_TOKEN: string;
}

export function createRedis(cfg: RedisConfig, opts: { retries?: number } = {}): RedisClient {
  return new Redis({
    url: cfg.UPSTASH_REDIS_REST_URL,
    token: cfg.UPSTASH_REDIS_REST_TOKEN,
    enableTelemetry: false,
    // Network errors are retried a little; Redis command errors never are.
    retry: { retries: opts.retries ?? 2, backoff: (n) => 25 * 2 ** n },
  });
}

export async function pingRedis(redis: RedisClient): Promise<void> {
  const r = await redis.ping();
  if (r !== "PONG") throw new Error(`unexpected PING reply ${JSON.stringify(r)}`);
}
