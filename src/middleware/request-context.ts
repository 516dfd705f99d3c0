// Outermost middleware: request id (accepted from X-Request-Id when sane, else made), echoed on
// the response, bound to the logger, and one structured log line per request.
import { createMiddleware } from "hono/factory";
import { matchedRoutes } from "hono/route";
import { createLogger, type LogSink } from "../lib/logger";
import type { AppEnv } from "../types";

const SANE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export const requestContext = (sink?: LogSink) =>
  createMiddleware<AppEnv>(async (c, next) => {
    const started = performance.now();
    const given = c.req.header("x-request-id");
    const requestId = given && SANE_ID.test(given) ? given : crypto.randomUUID();
    const logger = createLogger({ request_id: requestId }, sink);
    c.set("requestId", requestId);
    c.set("clientIp", c.req.header("cf-connecting-ip") ?? null);
    c.set("logger", logger);
    try {
      await next();
    } finally {
      c.res.headers.set("x-request-id", requestId);
      // The route template (e.g. /api/v1/titles/:id), not the raw path: bounded cardinality.
      const route = [...matchedRoutes(c)].reverse().find((r) => r.method !== "ALL")?.path ?? null;
      logger.info("request", {
        method: c.req.method,
        route,
        path: new URL(c.req.url).pathname,
        status: c.res.status,
        duration_ms: Math.round((performance.now() - started) * 100) / 100,
      });
    }
  });
