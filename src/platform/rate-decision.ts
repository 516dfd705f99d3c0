// What a rate limiter answers, whichever decides (Redis, or the isolate at the edge).
export interface RateDecision {
  success: boolean;
  limit: number;
  remaining: number;
  /** Unix ms when the window frees up again. */
  reset: number;
  /** Redis did not answer: no decision could be made. */
  unavailable: boolean;
}
