// Per-client rate limits. Public reads and presigning are decided in the isolate (they never wait
// on Redis, and with Redis down each isolate limits on its own counts); admin calls and sign-in
// are decided in Redis and fail closed when it can't answer.
import { createMiddleware } from "hono/factory";
import { clientNetwork } from "../../lib/client-network";
import type { RateLimitClass } from "../../platform/rate-limit";
import { assertAllowed, rateLimitHeaders } from "../../platform/rate-limit-policy";
import type { AppEnv } from "../context";

export const FAIL_OPEN: Record<RateLimitClass, boolean> = {
  public: true,
  presign: true,
  admin: false,
  login_ip: false,
  login_account: false,
  login_account_all: false,
};

export const rateLimit = (cls: RateLimitClass) =>
  createMiddleware<AppEnv>(async (c, next) => {
    const id = clientNetwork(c.var.clientIp);
    const d = await c.var.limiter.hit(cls, id);
    if (d.unavailable && FAIL_OPEN[cls]) {
      c.var.logger.warn("rate limiter unavailable; allowing", { class: cls });
      c.set("rateLimitFailedOpen", true);
      return next();
    }
    assertAllowed(d, c.var.clock);
    await next();
    for (const [k, v] of Object.entries(rateLimitHeaders(d, c.var.clock))) c.res.headers.set(k, v);
  });
