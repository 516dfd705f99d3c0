// How many instant season ZIPs one client (its network) streams at once, across every isolate: a
// lease per stream in a Redis sorted set, taken before the first byte, renewed while bytes flow
// and given back when the stream ends however it ends. A lost isolate's leases run out by
// themselves. The instant URL is public and reusable for its lifetime; this keeps one client (or
// one leaked URL) from holding an unbounded number of S3-backed streams.
import type { RedisClient } from "../../platform/redis";

const streamsKey = (client: string) => `instant-zip:streams:${client}`;
/** A stream's lease; renewed every third of it while the stream runs. */
export const STREAM_LEASE_MS = 60_000;
/** How soon a refused client may ask again: parallel downloads end and free their places. */
export const STREAMS_RETRY_AFTER_SECONDS = 10;

// KEYS: the client's streams. ARGV: stream id, now ms, lease end ms, cap. 1 taken, 0 full.
const TAKE = `redis.call("ZREMRANGEBYSCORE", KEYS[1], "-inf", ARGV[2])
if redis.call("ZCARD", KEYS[1]) >= tonumber(ARGV[4]) then return 0 end
redis.call("ZADD", KEYS[1], ARGV[3], ARGV[1])
redis.call("PEXPIRE", KEYS[1], tonumber(ARGV[3]) - tonumber(ARGV[2]))
return 1`;

export interface StreamLease {
  /** Keeps the lease while the stream runs; call once, then `release` when it ends. */
  keep(): void;
  release(): Promise<void>;
}

/** A lease for one stream of `client`, or null when it already streams `max`. */
export async function takeStream(redis: RedisClient, client: string, max: number, now: () => number): Promise<StreamLease | null> {
  const id = crypto.randomUUID();
  const key = streamsKey(client);
  const taken = await redis.eval<[string, string, string, string], number>(
    TAKE,
    [key],
    [id, String(now()), String(now() + STREAM_LEASE_MS), String(max)],
  );
  if (taken !== 1) return null;
  let timer: ReturnType<typeof setInterval> | undefined;
  return {
    keep() {
      timer = setInterval(() => {
        redis.zadd(key, { xx: true }, { score: now() + STREAM_LEASE_MS, member: id }).catch(() => undefined);
      }, STREAM_LEASE_MS / 3);
    },
    async release() {
      if (timer !== undefined) clearInterval(timer);
      await redis.zrem(key, id).catch(() => undefined);
    },
  };
}
