// GET /api/v1/health (liveness) and GET /api/v1/ready (dependencies).
import { createRoute } from "@hono/zod-openapi";
import type { Context } from "hono";
import * as z from "zod";
import type { AppEnv } from "../../http/context";
import { problemResponse } from "../../http/openapi";
import { createRouter } from "../../http/router";
import { AppError } from "../../lib/errors";
import { authenticate } from "../auth/service";
import { checkReadiness, DEPENDENCIES } from "./readiness";

const checkSchema = z.object({ ok: z.boolean(), latency_ms: z.number(), error: z.string().optional() });
const checksSchema = z.object(
  Object.fromEntries(DEPENDENCIES.map((d) => [d, checkSchema])) as Record<(typeof DEPENDENCIES)[number], typeof checkSchema>,
);

const health = createRoute({
  method: "get",
  operationId: "getHealth",
  path: "/health",
  tags: ["system"],
  summary: "Liveness: the process is up",
  responses: {
    200: {
      description: "Up",
      content: { "application/json": { schema: z.object({ status: z.literal("ok"), time: z.string() }).meta({ id: "Health" }) } },
    },
  },
});

const ready = createRoute({
  method: "get",
  operationId: "getReadiness",
  path: "/ready",
  tags: ["system"],
  summary: "Readiness: Postgres, Redis and S3 answer",
  responses: {
    200: {
      description: "Every dependency answered in time",
      content: {
        "application/json": {
          schema: z
            .object({
              status: z.literal("ready"),
              checks: checksSchema.optional().describe("Outside production, or with admin credentials"),
            })
            .meta({ id: "Ready" }),
        },
      },
    },
    503: problemResponse(
      "At least one dependency failed; outside production or with admin credentials, `failed` names them and `checks` has the details",
    ),
  },
});

/**
 * Which dependency failed and how is for operators: outside production anyone sees it, in
 * production only a caller with admin credentials (a session or X-Admin-Key); the log has it always.
 */
async function showsDetails(c: Context<AppEnv>): Promise<boolean> {
  if (c.var.config.ENVIRONMENT !== "production") return true;
  const bearer = c.req.header("authorization")?.match(/^Bearer\s+(.+)$/i)?.[1];
  const adminKey = c.req.header("x-admin-key");
  if (!bearer && !adminKey) return false;
  return authenticate(c.var, { bearer, adminKey }).then(
    () => true,
    () => false,
  );
}

export const healthRoutes = createRouter()
  .openapi(health, (c) => c.json({ status: "ok" as const, time: new Date().toISOString() }, 200, { "cache-control": "no-store" }))
  .openapi(ready, async (c) => {
    const r = await checkReadiness(c.var, c.var.config.READY_TIMEOUT_MS);
    const details = await showsDetails(c);
    if (!r.ready) {
      c.var.logger.warn("not ready", { failed: r.failed, checks: r.checks });
      if (!details) throw new AppError("DEPENDENCY_UNAVAILABLE", "Not ready; retry shortly.");
      throw new AppError("DEPENDENCY_UNAVAILABLE", `Not ready: ${r.failed.join(", ")} failed`, { failed: r.failed, checks: r.checks });
    }
    return c.json({ status: "ready" as const, ...(details ? { checks: r.checks } : {}) }, 200, { "cache-control": "no-store" });
  });
