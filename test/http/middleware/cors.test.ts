// Browsers on other sites: which origins may call the API, what a preflight answers and what it
// costs, and that the edge cache never hands one origin's CORS answer to another.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createApp } from "../../../src/http/app";
import { CORS_EXPOSED_HEADERS, CORS_MAX_AGE_SECONDS } from "../../../src/http/middleware/cors";
import { ConfigError, parseEnv } from "../../../src/platform/env";
import { freshIp } from "../../support/admin";

const SITE = "https://www.catalog-site.test";
const OTHER = "https://evil.example.test";
const CONSOLE = "https://console.moviesnow.test";

const app = createApp({ logSink: () => {} });
// A deps factory that fails: a preflight that built a client (Postgres, Redis, S3) would be a 500.
const noClients = createApp({
  logSink: () => {},
  deps: () => {
    throw new Error("a preflight must not build clients");
  },
});
const bindings = (over: Record<string, string>) => ({ ...env, ...over });
const withSite = bindings({ CORS_ALLOWED_ORIGINS: `${SITE} https://app.catalog-site.test` });

const preflight = (origin: string, method: string, headers: string) => ({
  method: "OPTIONS",
  headers: { origin, "access-control-request-method": method, "access-control-request-headers": headers, "cf-connecting-ip": freshIp() },
});
const from = (origin: string | null, extra: Record<string, string> = {}) => ({
  headers: { ...(origin ? { origin } : {}), "cf-connecting-ip": freshIp(), ...extra },
});
const list = (header: string | null) => (header ?? "").split(",").map((s) => s.trim().toLowerCase());

describe("CORS", () => {
  it("answers an allowed origin's preflight at the edge: no client built, the methods and headers the API takes, cached by the browser", async () => {
    for (let i = 0; i < 3; i++) {
      const res = await noClients.request(
        "/api/v1/delivery/download-url",
        preflight(SITE, "POST", "content-type, x-api-key, idempotency-key"),
        withSite,
      );
      expect(res.status).toBe(204);
      expect(res.headers.get("access-control-allow-origin")).toBe(SITE);
      expect(list(res.headers.get("access-control-allow-methods"))).toEqual(expect.arrayContaining(["get", "post"]));
      expect(list(res.headers.get("access-control-allow-headers"))).toEqual(
        expect.arrayContaining(["content-type", "x-api-key", "idempotency-key"]),
      );
      expect(res.headers.get("access-control-max-age")).toBe(String(CORS_MAX_AGE_SECONDS));
      expect(list(res.headers.get("vary"))).toContain("origin");
      // Public preflights never let a browser send admin credentials.
      expect(list(res.headers.get("access-control-allow-headers"))).not.toContain("authorization");
      expect(res.headers.get("ratelimit-remaining")).toBeNull();
    }
  });

  it("gives a foreign origin's preflight nothing to go on, so the browser refuses the request", async () => {
    const res = await noClients.request("/api/v1/delivery/download-url", preflight(OTHER, "POST", "content-type"), withSite);
    expect(res.status).toBe(204);
    for (const h of ["access-control-allow-origin", "access-control-allow-methods", "access-control-allow-headers"])
      expect(res.headers.get(h)).toBeNull();
  });

  it("lets an allowed origin read answers, errors and the headers a client needs; a foreign one gets no Allow-Origin", async () => {
    const ok = await app.request("/api/v1/titles?limit=1", from(SITE), withSite);
    expect(ok.status).toBe(200);
    expect(ok.headers.get("access-control-allow-origin")).toBe(SITE);
    expect(list(ok.headers.get("access-control-expose-headers"))).toEqual(CORS_EXPOSED_HEADERS.map((h) => h.toLowerCase()));
    for (const h of ["etag", "retry-after", "ratelimit-remaining", "x-request-id"])
      expect(list(ok.headers.get("access-control-expose-headers"))).toContain(h);
    expect(list(ok.headers.get("vary"))).toContain("origin");

    // A problem is readable too, or a page could not show why a request failed.
    const missing = await app.request("/api/v1/titles/not-a-title-id-at-all", from(SITE), withSite);
    expect(missing.status).toBeGreaterThanOrEqual(400);
    expect(missing.headers.get("access-control-allow-origin")).toBe(SITE);

    const foreign = await app.request("/api/v1/titles?limit=1", from(OTHER), withSite);
    expect(foreign.status).toBe(200);
    expect(foreign.headers.get("access-control-allow-origin")).toBeNull();
    const none = await app.request("/api/v1/titles?limit=1", from(null), withSite);
    expect(none.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("never serves one origin's Allow-Origin from the edge cache to another, or to a request without Origin", async () => {
    const path = `/api/v1/titles?limit=2&q=cors-${crypto.randomUUID().slice(0, 8)}`;
    const seen: (string | null)[] = [];
    for (const origin of [SITE, SITE, SITE, "https://app.catalog-site.test", null, OTHER]) {
      const res = await app.request(path, from(origin), withSite);
      expect(res.status).toBe(200);
      seen.push(res.headers.get("x-cache"));
      expect(res.headers.get("access-control-allow-origin"), String(origin)).toBe(origin === OTHER ? null : origin);
    }
    // The later reads were answered from the cache.
    expect(seen.slice(2)).toEqual(["HIT", "HIT", "HIT", "HIT"]);
  });

  it("keeps /admin closed to other sites unless CORS_ADMIN_ORIGINS names them", async () => {
    const closed = await noClients.request("/api/v1/admin/titles", preflight(SITE, "POST", "authorization, content-type"), withSite);
    expect(closed.headers.get("access-control-allow-origin")).toBeNull();
    const open = bindings({ CORS_ALLOWED_ORIGINS: SITE, CORS_ADMIN_ORIGINS: CONSOLE });
    const res = await noClients.request("/api/v1/admin/titles", preflight(CONSOLE, "PATCH", "authorization, content-type"), open);
    expect(res.headers.get("access-control-allow-origin")).toBe(CONSOLE);
    expect(list(res.headers.get("access-control-allow-methods"))).toEqual(expect.arrayContaining(["patch", "delete"]));
    expect(list(res.headers.get("access-control-allow-headers"))).toEqual(
      expect.arrayContaining(["authorization", "x-admin-key", "idempotency-key"]),
    );
    // The public site is not an admin origin.
    const site = await noClients.request("/api/v1/admin/titles", preflight(SITE, "POST", "authorization"), open);
    expect(site.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("allows loopback origins by default outside production, and no origin in production until configured", async () => {
    const local = "http://localhost:5173";
    const dev = await noClients.request("/api/v1/titles", preflight(local, "GET", "x-api-key"), bindings({ ENVIRONMENT: "development" }));
    expect(dev.headers.get("access-control-allow-origin")).toBe(local);
    const devOther = await noClients.request(
      "/api/v1/titles",
      preflight(SITE, "GET", "x-api-key"),
      bindings({ ENVIRONMENT: "development" }),
    );
    expect(devOther.headers.get("access-control-allow-origin")).toBeNull();
    for (const origin of [local, SITE]) {
      const prod = await noClients.request(
        "/api/v1/titles",
        preflight(origin, "GET", "x-api-key"),
        bindings({ ENVIRONMENT: "production" }),
      );
      expect(prod.headers.get("access-control-allow-origin"), origin).toBeNull();
    }
    const configured = await noClients.request(
      "/api/v1/titles",
      preflight(SITE, "GET", "x-api-key"),
      bindings({ ENVIRONMENT: "production", CORS_ALLOWED_ORIGINS: SITE }),
    );
    expect(configured.headers.get("access-control-allow-origin")).toBe(SITE);
  });

  it("refuses a setting that is not a list of origins, naming it", () => {
    for (const bad of ["https://site.test/path", "*", "https://*.site.test", "site.test", "ftp://site.test"]) {
      let err: unknown;
      try {
        parseEnv(bindings({ CORS_ALLOWED_ORIGINS: bad }));
      } catch (e) {
        err = e;
      }
      expect(err, bad).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).problems.map((p) => p.variable)).toContain("CORS_ALLOWED_ORIGINS");
    }
    expect(parseEnv(bindings({ CORS_ADMIN_ORIGINS: "https://a.test, http://localhost:8080" })).CORS_ADMIN_ORIGINS).toEqual([
      "https://a.test",
      "http://localhost:8080",
    ]);
  });
});
