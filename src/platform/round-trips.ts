// Every round trip a request makes to an origin (Postgres, Redis, S3, the job service), with its
// duration, so a response can say what it waited on (Server-Timing) and benchmarks can count
// origin trips. Kept per request in an AsyncLocalStorage: the adapters are shared by every
// request an isolate serves (Postgres's fetch function is global to the driver), so the request
// a trip belongs to is whichever async context made it.
import { AsyncLocalStorage } from "node:async_hooks";

export type Origin = "db" | "redis" | "s3" | "job";

export interface RoundTrip {
  origin: Origin;
  ms: number;
  /** Given up on after the dependency's timeout. */
  timedOut?: boolean;
}

const current = new AsyncLocalStorage<RoundTrip[] | null>();

/** Runs `fn` recording its round trips into `trips` (a fresh list unless given); answers both. */
export async function recordRoundTrips<T>(fn: () => Promise<T>, trips: RoundTrip[] = []): Promise<{ result: T; trips: RoundTrip[] }> {
  const result = await current.run(trips, fn);
  return { result, trips };
}

/** Per origin: milliseconds waited and round trips made; and how many timed out. For metrics. */
export function tripTotals(trips: readonly RoundTrip[]): { ms: Record<Origin, number>; count: number; timeouts: number } {
  const ms: Record<Origin, number> = { db: 0, redis: 0, s3: 0, job: 0 };
  let timeouts = 0;
  for (const t of trips) {
    ms[t.origin] += t.ms;
    if (t.timedOut) timeouts += 1;
  }
  return { ms, count: trips.length, timeouts };
}

/**
 * Times `call` as one round trip to `origin`, in the request that made it (if any is recording).
 * `timedOut`, asked when the call fails, says whether the caller gave up on it after its timeout.
 */
export async function roundTrip<T>(origin: Origin, call: () => Promise<T>, timedOut?: () => boolean): Promise<T> {
  const trips = current.getStore();
  if (!trips) return call();
  const t0 = performance.now();
  try {
    const out = await call();
    trips.push({ origin, ms: performance.now() - t0 });
    return out;
  } catch (e) {
    trips.push({ origin, ms: performance.now() - t0, ...(timedOut?.() ? { timedOut: true } : {}) });
    throw e;
  }
}

/**
 * Runs `fn` outside the request's record: work the answer does not wait for (counts sent behind
 * it, refreshes ahead of need) is not a round trip the request made.
 */
export const detachedFromRequest = <T>(fn: () => Promise<T>): Promise<T> => current.run(null, fn);

/** The Server-Timing header value: one entry per round trip, in the order they were made. */
export const serverTiming = (trips: { origin: string; ms: number }[]) => trips.map((t) => `${t.origin};dur=${t.ms.toFixed(1)}`).join(", ");
