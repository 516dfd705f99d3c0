// The security contract every admin route keeps. Later issues call this once per admin route
// they add: checkAdminRouteSecurity({ method: "POST", path: "/admin/…", body: () => ({…}) }).
import { env } from "cloudflare:test";
import { sign } from "hono/jwt";
import { describe, expect, it } from "vitest";
import { setAdminDisabled } from "../../src/features/auth/admins-service";
import { JWT_AUDIENCE, JWT_ISSUER } from "../../src/features/auth/service";
import { createApp } from "../../src/http/app";
import { api, bearer, config, db, freshIp, newAdmin, signIn } from "./admin";
import { expectProblem } from "./problem";

export interface AdminRouteUnderTest {
  method: "GET" | "POST" | "PATCH" | "PUT" | "DELETE";
  /** Path under /api/v1, e.g. "/admin/audit-logs". */
  path: string | (() => Promise<string> | string);
  body?: () => unknown;
  /** Admin-account routes: a signed-in session only, X-Admin-Key is refused (403). */
  sessionOnly?: boolean;
}

const now = () => Math.floor(Date.now() / 1000);

export function checkAdminRouteSecurity(route: AdminRouteUnderTest): void {
  const label = `${route.method} ${typeof route.path === "string" ? route.path : "(dynamic path)"}`;
  const request = async (headers: Record<string, string>, envOverride?: Record<string, unknown>) => {
    const path = typeof route.path === "string" ? route.path : await route.path();
    const init: RequestInit = {
      method: route.method,
      headers: { "cf-connecting-ip": freshIp(), ...(route.body ? { "content-type": "application/json" } : {}), ...headers },
      ...(route.body ? { body: JSON.stringify(route.body()) } : {}),
    };
    if (!envOverride) return api(path, init);
    return createApp({ logSink: () => {} }).request(`/api/v1${path}`, init, { ...env, ...envOverride });
  };
  const claims = (sub: string, overrides: Record<string, unknown> = {}) => ({
    sub,
    amr: ["pwd", "otp"],
    iat: now(),
    exp: now() + 600,
    jti: crypto.randomUUID(),
    iss: JWT_ISSUER,
    aud: JWT_AUDIENCE,
    ...overrides,
  });

  describe(`admin route security: ${label}`, () => {
    it("no credentials → 401", async () => {
      await expectProblem(await request({}), 401, "UNAUTHORIZED");
    });

    it("malformed, forged, expired, wrong-audience or password-only tokens → 401", async () => {
      const a = await newAdmin();
      const tokens = [
        "not-a-jwt",
        await sign(claims(a.id), "a-different-secret-that-is-long-enough-000", "HS256"),
        await sign(claims(a.id, { iat: now() - 3600, exp: now() - 60 }), config.ADMIN_JWT_SECRET, "HS256"),
        await sign(claims(a.id, { aud: "someone-else" }), config.ADMIN_JWT_SECRET, "HS256"),
        await sign(claims(a.id, { amr: ["pwd"] }), config.ADMIN_JWT_SECRET, "HS256"),
        await sign(claims(crypto.randomUUID()), config.ADMIN_JWT_SECRET, "HS256"),
      ];
      for (const t of tokens) await expectProblem(await request(bearer(t)), 401, "UNAUTHORIZED");
    });

    it("a revoked (signed-out) session → 401", async () => {
      const token = await signIn(await newAdmin());
      expect(
        (await api("/admin/auth/logout", { method: "POST", headers: { ...bearer(token), "cf-connecting-ip": freshIp() } })).status,
      ).toBe(204);
      await expectProblem(await request(bearer(token)), 401, "UNAUTHORIZED");
    });

    it("a disabled admin's session → 403", async () => {
      const a = await newAdmin();
      const token = await signIn(a);
      await setAdminDisabled(db, a.id, true, { actor: null, requestId: "test", ip: null });
      await expectProblem(await request(bearer(token)), 403, "FORBIDDEN");
    });

    it("X-Admin-Key is ignored while ADMIN_API_KEY is unset", async () => {
      await expectProblem(await request({ "x-admin-key": "anything" }, { ADMIN_API_KEY: "" }), 401, "UNAUTHORIZED");
    });

    it(
      route.sessionOnly
        ? "with ADMIN_API_KEY set, a wrong key is refused and even the right one is forbidden: a session is needed"
        : "with ADMIN_API_KEY set, the right key is let in and a wrong one is refused",
      async () => {
        const key = `key-${crypto.randomUUID()}`;
        await expectProblem(await request({ "x-admin-key": `${key}x` }, { ADMIN_API_KEY: key }), 401, "UNAUTHORIZED");
        const ok = await request({ "x-admin-key": key }, { ADMIN_API_KEY: key });
        if (route.sessionOnly) {
          await expectProblem(ok, 403, "FORBIDDEN");
          return;
        }
        expect([401, 403]).not.toContain(ok.status);
        expect(ok.status).toBeLessThan(500);
      },
    );
  });
}
