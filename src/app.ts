// The app factory: typed OpenAPIHono, middleware order, error handling, 404/405, the OpenAPI
// document and the docs page. worker.ts and the tests both build the app here.

import { swaggerUI } from "@hono/swagger-ui";
import { OpenAPIHono } from "@hono/zod-openapi";
import { AppError } from "./lib/errors";
import type { LogSink } from "./lib/logger";
import { defaultDeps, init } from "./middleware/init";
import { onError } from "./middleware/on-error";
import { requestContext } from "./middleware/request-context";
import { healthRoutes } from "./routes/system/health";
import type { AppEnv, DepsFactory } from "./types";

export const API_PREFIX = "/api/v1";
const OPENAPI_PATH = `${API_PREFIX}/openapi.json`;

export interface AppOptions {
  deps?: DepsFactory;
  logSink?: LogSink;
}

/** Paths that must answer without configuration or clients (liveness, docs). */
const NO_INIT = new Set([`${API_PREFIX}/health`, OPENAPI_PATH, "/docs"]);

export function createApp(opts: AppOptions = {}) {
  const app = new OpenAPIHono<AppEnv>();
  const initDeps = init(opts.deps ?? defaultDeps);

  app.use("*", requestContext(opts.logSink));
  app.use("*", async (c, next) => (NO_INIT.has(c.req.path) ? next() : initDeps(c, next)));

  app.route(API_PREFIX, healthRoutes);

  app.doc31(OPENAPI_PATH, {
    openapi: "3.1.0",
    info: {
      title: "MoviesNow API",
      version: "1.0.0",
      description: "Catalog, streaming and download delivery, season bundles and admin operations. Errors are RFC 9457 problem+json.",
    },
  });
  app.get("/docs", swaggerUI({ url: OPENAPI_PATH, title: "MoviesNow API" }));

  app.notFound((c) => {
    const path = c.req.path;
    const allowed = [
      ...new Set(app.routes.filter((r) => r.method !== "ALL" && routeMatches(r.path, path)).map((r) => r.method.toUpperCase())),
    ];
    if (allowed.length > 0) {
      if (allowed.includes("GET")) allowed.push("HEAD");
      throw new AppError("METHOD_NOT_ALLOWED", `${c.req.method} is not allowed on ${path}; allowed: ${allowed.join(", ")}`, {
        headers: { allow: allowed.join(", ") },
      });
    }
    throw new AppError("NOT_FOUND", `No route for ${c.req.method} ${path}`);
  });
  app.onError(onError);
  return app;
}

function routeMatches(pattern: string, path: string): boolean {
  const re = pattern
    .split("/")
    .map((seg) => (seg.startsWith(":") ? "[^/]+" : seg === "*" ? ".*" : seg.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
    .join("/");
  return new RegExp(`^${re}/?$`).test(path);
}
