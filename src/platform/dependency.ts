// One rule for every outside service a request depends on (Postgres, Redis, S3): it answers in
// time or the request fails with 503 DEPENDENCY_UNAVAILABLE naming it. Never a hang, never a 500.
import { AppError } from "../lib/errors";
import { type Origin, roundTrip } from "./round-trips";

/** DEPENDENCY_TIMEOUT_MS when a caller (a script, the seed) builds an adapter without the env. */
export const DEFAULT_DEPENDENCY_TIMEOUT_MS = 5000;

type Fetch = (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>;

/**
 * The answer names the dependency only; what went wrong (hosts, ports, driver messages) stays on
 * the error as its `cause`, which the log line of the request carries.
 */
export const dependencyError = (name: string, cause: unknown): AppError => {
  if (cause instanceof AppError) return cause;
  const e = new AppError("DEPENDENCY_UNAVAILABLE", `${name} is unavailable; retry shortly.`, { dependency: name });
  e.cause = cause;
  return e;
};

/**
 * fetch for a dependency's HTTP API: response headers within `timeoutMs` (a slow body is the
 * caller's to bound), network failures and 5xx answers become 503 problems.
 */
export function dependencyFetch(name: string, origin: Origin, timeoutMs: number, base: Fetch = (i, init) => fetch(i, init)): Fetch {
  return async (input, init) => {
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    const signal = init?.signal ? AbortSignal.any([init.signal, ctl.signal]) : ctl.signal;
    let res: Response;
    try {
      res = await roundTrip(
        origin,
        () => base(input, { ...init, signal }),
        () => ctl.signal.aborted,
      );
    } catch (e) {
      throw dependencyError(name, ctl.signal.aborted ? ctl.signal.reason : e);
    } finally {
      clearTimeout(timer);
    }
    if (res.status >= 500) {
      await res.body?.cancel();
      throw dependencyError(name, new Error(`HTTP ${res.status}`));
    }
    return res;
  };
}
