// CORS for browsers on other sites: a catalog site or web player on its own domain may call the
// public API and play its playlists when its origin is in CORS_ALLOWED_ORIGINS; an operator
// console on its own domain may call /admin when in CORS_ADMIN_ORIGINS. Preflights are answered
// here, before any client is built or any limit counted: no origin round trip, and browsers keep
// the answer for Access-Control-Max-Age.
//
// Not hono/cors: it sets Access-Control-Allow-Origin on the response before the handler runs, so
// the edge cache (catalog-cache.ts) would store one origin's header and serve it to every other.
// Here the headers go on after the answer is made, and the cache never sees them.
import type { MiddlewareHandler } from "hono";
import { parseEnv } from "../../platform/env";
import type { AppEnv } from "../context";

/** Chromium keeps a preflight at most 2 hours, whatever a server asks. */
export const CORS_MAX_AGE_SECONDS = 7200;
const LOOPBACK = /^http:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$/;

/** Response headers a script on an allowed origin may read. */
export const CORS_EXPOSED_HEADERS = [
  "ETag",
  "Retry-After",
  "RateLimit-Limit",
  "RateLimit-Remaining",
  "RateLimit-Reset",
  "X-Request-Id",
  "Content-Disposition",
  "Content-Range",
  "Accept-Ranges",
  "Location",
];

interface Policy {
  methods: string[];
  headers: string[];
  origins(env: object): string[] | "loopback";
}

const PUBLIC: Policy = {
  methods: ["GET", "HEAD", "POST"],
  headers: ["Content-Type", "X-API-Key", "Idempotency-Key", "X-Request-Id", "If-None-Match", "Range", "If-Range"],
  origins: (env) => {
    const c = parseEnv(env);
    return c.CORS_ALLOWED_ORIGINS.length > 0 || c.ENVIRONMENT === "production" ? c.CORS_ALLOWED_ORIGINS : "loopback";
  },
};
const ADMIN: Policy = {
  methods: ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"],
  headers: [...PUBLIC.headers, "Authorization", "X-Admin-Key"],
  origins: (env) => parseEnv(env).CORS_ADMIN_ORIGINS,
};

function allowed(policy: Policy, env: object, origin: string): boolean {
  const list = policy.origins(env);
  return list === "loopback" ? LOOPBACK.test(origin) : list.includes(origin);
}

function middleware(policy: Policy): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const origin = c.req.header("origin");
    if (origin === undefined) return next();
    const ok = allowed(policy, c.env, origin);
    if (c.req.method === "OPTIONS" && c.req.header("access-control-request-method")) {
      // A refused origin gets no Allow-* headers: the browser then refuses the request itself.
      const headers = new Headers({ vary: "Origin, Access-Control-Request-Method, Access-Control-Request-Headers" });
      if (ok) {
        headers.set("access-control-allow-origin", origin);
        headers.set("access-control-allow-methods", policy.methods.join(", "));
        headers.set("access-control-allow-headers", policy.headers.join(", "));
        headers.set("access-control-max-age", String(CORS_MAX_AGE_SECONDS));
      }
      return c.body(null, 204, Object.fromEntries(headers));
    }
    await next();
    // An answer read back from the edge cache has immutable headers: copied once, then set.
    let res = c.res;
    try {
      res.headers.append("vary", "Origin");
    } catch {
      res = new Response(res.body, res);
      res.headers.append("vary", "Origin");
    }
    if (ok) {
      res.headers.set("access-control-allow-origin", origin);
      res.headers.set("access-control-expose-headers", CORS_EXPOSED_HEADERS.join(", "));
    } else res.headers.delete("access-control-allow-origin");
    if (res !== c.res) c.res = res;
  };
}

export const publicCors = middleware(PUBLIC);
export const adminCors = middleware(ADMIN);
