// Turning a rate-limit decision into headers and errors, shared by the middleware and by
// sign-in (which checks two limits of its own).

import { AppError } from "../lib/errors";
import type { Clock } from "./clock";
import type { RateDecision } from "./rate-limit";

export type { RateDecision, RateLimiter } from "./rate-limit";

/** IETF RateLimit header fields: the limit, what is left, seconds until the window frees up. */
export function rateLimitHeaders(d: RateDecision, clock: Clock): Record<string, string> {
  const resetSeconds = Math.max(0, Math.ceil((d.reset - clock.now().getTime()) / 1000));
  return {
    "ratelimit-limit": String(d.limit),
    "ratelimit-remaining": String(Math.max(0, d.remaining)),
    "ratelimit-reset": String(resetSeconds),
  };
}

/** Throws 429 when limited and 503 when no decision could be made (fail closed). */
export function assertAllowed(d: RateDecision, clock: Clock): void {
  if (d.unavailable)
    throw new AppError("DEPENDENCY_UNAVAILABLE", "Rate limiting is unavailable, so this request is refused; retry shortly.");
  if (!d.success) {
    const headers = rateLimitHeaders(d, clock);
    throw new AppError("RATE_LIMITED", `Too many requests; retry in ${headers["ratelimit-reset"]} s.`, {
      headers: { ...headers, "retry-after": String(Math.max(1, Number(headers["ratelimit-reset"]))) },
    });
  }
}
