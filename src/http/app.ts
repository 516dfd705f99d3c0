// The app factory: typed OpenAPIHono, middleware order, error handling, 404/405, the OpenAPI
// document and the docs page. worker.ts and the tests both build the app here.

import { OpenAPIHono } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { every, except } from "hono/combine";
import { adminAssetRoutes } from "../features/assets/routes";
import { auditLogRoutes } from "../features/audit/routes";
import { adminAuthRoutes } from "../features/auth/routes";
import { adminAccountRoutes } from "../features/auth/routes-admins";
import { publicBundleRoutes } from "../features/bundles/routes";
import { adminBundleRoutes } from "../features/bundles/routes-admin";
import { bundleDeliveryRoutes } from "../features/bundles/routes-delivery";
import { instantZipRoutes } from "../features/bundles/routes-instant";
import { publicTitleRoutes } from "../features/catalog/routes";
import { adminTitleRoutes } from "../features/catalog/routes-admin";
import { adminEpisodeRoutes } from "../features/catalog/routes-admin-episodes";
import { downloadRoutes } from "../features/delivery/routes";
import { downloadTokenRoutes } from "../features/delivery/routes-admin";
import { hlsRoutes } from "../features/delivery/routes-hls";
import { tokenRedemptionRoutes } from "../features/delivery/routes-tokens";
import { healthRoutes } from "../features/system/routes";
import { docsRoutes } from "../features/system/routes-docs";
import { AppError } from "../lib/errors";
import type { LogSink } from "../lib/logger";
import type { AppEnv, DepsFactory } from "./context";
import { adminAuth } from "./middleware/admin-auth";
import { bumpCatalogOnWrite, catalogCache } from "./middleware/catalog-cache";
import { adminCors, CORS_EXPOSED_HEADERS, CORS_MAX_AGE_SECONDS, publicCors } from "./middleware/cors";
import { idempotency } from "./middleware/idempotency";
import { defaultDeps, init } from "./middleware/init";
import { onError } from "./middleware/on-error";
import { publicApiKey } from "./middleware/public-api-key";
import { rateLimit } from "./middleware/rate-limit";
import { type MetricsFactory, requestContext } from "./middleware/request-context";
import { addStandardResponses, type PathPolicy } from "./openapi";

export const API_PREFIX = "/api/v1";
const OPENAPI_PATH = `${API_PREFIX}/openapi.json`;
const ADMIN = `${API_PREFIX}/admin`;
const HEALTH = `${API_PREFIX}/health`;
const READY = `${API_PREFIX}/ready`;
/**
 * Admin paths that need no admin credentials: sign-in (it has rate limits of its own,
 * services/auth.ts) and the older token redemption path under /admin (the token is the credential).
 */
const ADMIN_PUBLIC = [`${ADMIN}/auth/login`, `${ADMIN}/auth/mfa`, `${ADMIN}/delivery/download/*`];
/** Every body the API takes is small JSON; anything larger is refused before it is read. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** What the middleware below does to a path, for the statuses the OpenAPI document lists. */
function pathPolicy(path: string, method: string): PathPolicy {
  const admin = path.startsWith(`${ADMIN}/`);
  const adminPublic = ADMIN_PUBLIC.some((p) => (p.endsWith("/*") ? path.startsWith(p.slice(0, -1)) : path === p));
  const probe = path === HEALTH || path === OPENAPI_PATH;
  return {
    dependencies: !probe,
    rateLimited: !probe,
    // A one-time token link is its own credential (the X-API-Key middleware skips it).
    publicApiKey: !admin && !probe && path !== READY && !path.startsWith(`${API_PREFIX}/delivery/download/`),
    idempotent: admin && !adminPublic && method !== "GET",
    // As the catalog cache middleware is mounted below: /titles and /titles/*, not the signed ones.
    cached:
      (path === `${API_PREFIX}/titles` || path.startsWith(`${API_PREFIX}/titles/`)) &&
      !/\/(media\/|streams$|bundles\/[^/]+\/manifest$)/.test(path),
  };
}

export interface AppOptions {
  deps?: DepsFactory;
  logSink?: LogSink;
  metrics?: MetricsFactory;
}

/** Paths that must answer without configuration or clients (liveness, the document, the docs page and its assets). */
const NO_INIT = new Set([HEALTH, OPENAPI_PATH, "/docs"]);
const skipsInit = (path: string) => NO_INIT.has(path) || path.startsWith("/docs/");

export function createApp(opts: AppOptions = {}) {
  const app = new OpenAPIHono<AppEnv>();
  const initDeps = init(opts.deps ?? defaultDeps);

  app.use("*", requestContext(opts.logSink, opts.metrics));
  // Browsers on other sites: preflights answered here, before clients, limits or the cache.
  app.use(`${ADMIN}/*`, adminCors);
  app.use(`${API_PREFIX}/*`, except(`${ADMIN}/*`, publicCors));
  // Admin answers are per person and often secret (TOTP seeds, tokens): never stored by a cache.
  app.use(`${ADMIN}/*`, async (c, next) => {
    await next();
    c.res.headers.set("cache-control", "no-store");
  });
  app.use(
    `${API_PREFIX}/*`,
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: () => {
        throw new AppError("PAYLOAD_TOO_LARGE", `The body is larger than ${MAX_BODY_BYTES} bytes.`);
      },
    }),
  );
  app.use("*", async (c, next) => (skipsInit(c.req.path) ? next() : initDeps(c, next)));

  // Public side: optional X-API-Key, per-IP limits (probes and the API document are exempt).
  // A one-time token link is its own credential: it works without X-API-Key.
  app.use(
    `${API_PREFIX}/*`,
    except(
      [`${ADMIN}/*`, HEALTH, READY, OPENAPI_PATH, `${API_PREFIX}/delivery/download/*`, `${API_PREFIX}/delivery/instant-bundle/*`],
      publicApiKey,
    ),
  );
  // Public catalog reads: ETag/304 and the edge cache keyed by the catalog version. In front of
  // the rate limiter: a hit touches neither Postgres nor S3, which is what the limits protect.
  // `/titles/*` matches `/titles` itself too: mounted once (twice, a list was looked up and
  // stored twice per miss). Not the ones that hand out signed URLs (no-store).
  app.use(
    `${API_PREFIX}/titles/*`,
    except(
      [
        `${API_PREFIX}/titles/*/media/*`,
        `${API_PREFIX}/titles/*/streams`,
        `${API_PREFIX}/titles/*/episodes/*/streams`,
        `${API_PREFIX}/titles/*/bundles/*/manifest`,
      ],
      catalogCache,
    ),
  );
  app.use(`${API_PREFIX}/*`, except([`${ADMIN}/*`, HEALTH, OPENAPI_PATH], rateLimit("public")));
  // Admin side: limits, then who is acting, then Idempotency-Key (it is keyed per actor).
  // After Idempotency-Key, so a replay does not count as a write.
  app.use(`${ADMIN}/*`, except(ADMIN_PUBLIC, every(rateLimit("admin"), adminAuth, bumpCatalogOnWrite, idempotency)));
  app.use(`${ADMIN}/delivery/download/*`, rateLimit("public"));
  app.use(`${API_PREFIX}/delivery/download-url`, rateLimit("presign"));
  app.use(`${API_PREFIX}/delivery/batch-download-urls`, rateLimit("presign"));
  app.use(`${API_PREFIX}/delivery/bundle-url`, rateLimit("presign"));
  // These two may start a season build (paid work) or poll one: the same per-client limit.
  app.use(`${API_PREFIX}/delivery/request-bundle`, rateLimit("presign"));
  app.use(`${API_PREFIX}/delivery/bundle-status`, rateLimit("presign"));
  // Each start or resume of an instant season ZIP plans the archive (a query and small S3 reads).
  app.use(`${API_PREFIX}/delivery/instant-bundle/*`, rateLimit("presign"));

  app.route(API_PREFIX, healthRoutes);
  app.route(API_PREFIX, adminAuthRoutes);
  app.route(API_PREFIX, adminAccountRoutes);
  app.route(API_PREFIX, auditLogRoutes);
  app.route(API_PREFIX, adminTitleRoutes);
  app.route(API_PREFIX, adminEpisodeRoutes);
  app.route(API_PREFIX, adminAssetRoutes);
  app.route(API_PREFIX, publicTitleRoutes);
  app.route(API_PREFIX, hlsRoutes);
  app.route(API_PREFIX, downloadRoutes);
  app.route(API_PREFIX, tokenRedemptionRoutes);
  app.route(API_PREFIX, downloadTokenRoutes);
  app.route(API_PREFIX, adminBundleRoutes);
  app.route(API_PREFIX, publicBundleRoutes);
  app.route(API_PREFIX, bundleDeliveryRoutes);
  app.route(API_PREFIX, instantZipRoutes);

  app.openAPIRegistry.registerComponent("securitySchemes", "adminSession", {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
    description: "From POST /api/v1/admin/auth/mfa; valid 15 minutes",
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "adminKey", {
    type: "apiKey",
    in: "header",
    name: "X-Admin-Key",
    description: "ADMIN_API_KEY, for automation, when configured",
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "publicApiKey", {
    type: "apiKey",
    in: "header",
    name: "X-API-Key",
    description: "PUBLIC_API_KEY, required on public endpoints when configured",
  });

  const docConfig = {
    openapi: "3.1.0",
    info: {
      title: "MoviesNow API",
      version: "1.0.0",
      description:
        "Catalog, streaming and download delivery, season bundles and admin operations. Errors are RFC 9457 problem+json.\n\n" +
        "Browsers on other sites: the public API and its playlists answer CORS for the origins in CORS_ALLOWED_ORIGINS, /admin for those in CORS_ADMIN_ORIGINS. " +
        `Preflights (OPTIONS) are answered at the edge with Access-Control-Max-Age ${CORS_MAX_AGE_SECONDS}; they allow Content-Type, X-API-Key, Idempotency-Key, X-Request-Id, If-None-Match, Range and If-Range (and Authorization, X-Admin-Key on /admin), ` +
        `and answers expose ${CORS_EXPOSED_HEADERS.join(", ")}.`,
      license: { name: "Proprietary", url: "https://moviesnow.example/terms" },
    },
    // Relative: the document describes whichever instance serves it.
    servers: [{ url: "/", description: "This instance" }],
    tags: [
      { name: "system", description: "Liveness and readiness probes" },
      { name: "public: catalog", description: "Published titles: browse, search, detail, streams, subtitles, downloads, bundles" },
      { name: "public: delivery", description: "Signed URLs of files, playlists and season ZIPs; one-time token links" },
      { name: "admin: auth", description: "Sign-in with password and TOTP, sessions" },
      { name: "admin: accounts", description: "Admin accounts (a signed-in session only)" },
      { name: "admin: audit", description: "The audit trail of every admin change" },
      { name: "admin: catalog", description: "Titles, seasons and episodes; media validation and publishing" },
      { name: "admin: assets", description: "Registering, uploading, verifying and finalizing media files" },
      { name: "admin: bundles", description: "Season ZIPs: uploaded or rebuilt" },
      { name: "admin: delivery", description: "One-time download tokens" },
    ],
  };
  let document: ReturnType<typeof app.getOpenAPI31Document> | undefined;
  app.get(OPENAPI_PATH, (c) => {
    document ??= addStandardResponses(app.getOpenAPI31Document(docConfig), pathPolicy);
    return c.json(document);
  });
  app.route("/", docsRoutes(OPENAPI_PATH));

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
