// For tests and benchmarks that drive the Worker under wrangler dev from Node: rate limits out of
// the way (every Node client is 127.0.0.1, and limits are tested on their own), and a JSON client
// that acts with the Worker's ADMIN_API_KEY.

import { testWorkerVars } from "./stack-env.ts";

/**
 * Every limit but sign-in's, lifted. The counters live in the shared Redis and are keyed by class
 * and client (always 127.0.0.1 here), so a file's own limit must not be one another file's burst
 * can use up.
 */
export const liftedLimits = {
  RATE_LIMIT_PUBLIC: "1000000/60s",
  RATE_LIMIT_PRESIGN: "1000000/60s",
  RATE_LIMIT_ADMIN: "1000000/60s",
} as const;

/** The test stack's Worker vars with an admin key and every limit but sign-in's lifted. */
export const adminWorkerVars = (adminKey: string, extra: Record<string, string> = {}): Record<string, string> => ({
  ...testWorkerVars(),
  ADMIN_API_KEY: adminKey,
  ...liftedLimits,
  ...extra,
});

/** `(method, path, body?)` → the parsed JSON answer; throws on any status from 300 up. */
export function adminOverHttp(api: string, adminKey: string) {
  return async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${api}${path}`, {
      method,
      headers: { "x-admin-key": adminKey, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return (text ? JSON.parse(text) : null) as T;
  };
}
