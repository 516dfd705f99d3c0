// Outermost middleware: request id (accepted from X-Request-Id when sane, else made), echoed on
// the response, bound to the logger, and one structured log line and one metrics data point per
// request.
import { createMiddleware } from "hono/factory";
import { matchedRoutes } from "hono/route";
import { createLogger, type LogSink } from "../../lib/logger";
import { analyticsSink, createMetrics, type Metrics, type RequestPoint } from "../../platform/metrics";
import { tripTotals } from "../../platform/round-trips";
import type { AppEnv } from "../context";

/** Builds the metrics writer from the Worker's bindings (tests pass one that records). */
/** Paths that carry a secret (a one-time token): logged with the secret replaced. */
const SECRET_IN_PATH = /(\/delivery\/download\/)[^/]+/;
export const redactPath = (path: string) => path.replace(SECRET_IN_PATH, "$1[token]");

export type MetricsFactory = (bindings: object) => Metrics;
export const defaultMetrics: MetricsFactory = (bindings) => createMetrics(analyticsSink(bindings));

const CACHE_STATES = new Set<RequestPoint["cache"]>(["HIT", "MISS", "BYPASS"]);

const SANE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export const requestContext = (sink?: LogSink, metricsOf: MetricsFactory = defaultMetrics) =>
  createMiddleware<AppEnv>(async (c, next) => {
    const started = performance.now();
    const given = c.req.header("x-request-id");
    const requestId = given && SANE_ID.test(given) ? given : crypto.randomUUID();
    const logger = createLogger({ request_id: requestId }, sink);
    c.set("requestId", requestId);
    c.set("clientIp", c.req.header("cf-connecting-ip") ?? null);
    c.set("logger", logger);
    c.set("trips", []);
    c.set("rateLimitFailedOpen", false);
    try {
      await next();
    } finally {
      c.res.headers.set("x-request-id", requestId);
      // No answer may be sniffed into another type (a playlist or a problem rendered as HTML).
      c.res.headers.set("x-content-type-options", "nosniff");
      // The route template (e.g. /api/v1/titles/:id), not the raw path: bounded cardinality.
      const route = [...matchedRoutes(c)].reverse().find((r) => r.method !== "ALL")?.path ?? null;
      const durationMs = Math.round((performance.now() - started) * 100) / 100;
      logger.info("request", {
        method: c.req.method,
        route,
        path: redactPath(new URL(c.req.url).pathname),
        status: c.res.status,
        duration_ms: durationMs,
      });
      const cache = c.res.headers.get("x-cache") as RequestPoint["cache"] | null;
      const colo = (c.req.raw.cf as { colo?: unknown } | undefined)?.colo;
      // What Server-Timing shows outside production, kept in production as metrics.
      const totals = tripTotals(c.var.trips);
      metricsOf(c.env ?? {}).request({
        method: c.req.method,
        route,
        status: c.res.status,
        cache: cache && CACHE_STATES.has(cache) ? cache : "NONE",
        durationMs,
        colo: typeof colo === "string" ? colo : null,
        originMs: totals.ms,
        roundTrips: totals.count,
        timeouts: totals.timeouts,
        rateLimitFailedOpen: c.var.rateLimitFailedOpen,
      });
    }
  });
