// What happens when Redis is unreachable: public reads fail open (the request runs, unlimited),
// sign-in and admin calls fail closed (503), and everything recovers when Redis is back.
import { env } from "cloudflare:test";
import { afterAll, describe, expect, inject, it } from "vitest";
import { createApp } from "../../src/app";
import { expectProblem } from "../support/problem";

const control = (action: string) => fetch(`${inject("controlUrl")}/services/${action}`, { method: "POST" });
const json = (body: unknown, headers: Record<string, string> = {}) => ({
  method: "POST",
  headers: { "content-type": "application/json", ...headers },
  body: JSON.stringify(body),
});

describe("with Redis stopped", () => {
  afterAll(async () => {
    await control("redis/start");
  });

  it("public reads fail open; sign-in and admin calls fail closed; all recover when Redis returns", async () => {
    const adminKey = `k-${crypto.randomUUID()}`;
    const e = { ...env, ADMIN_API_KEY: adminKey };
    const app = createApp({ logSink: () => {} });
    expect((await control("redis/stop")).status).toBe(204);

    // /ready runs (the limiter let it through) and reports Redis itself as the failure.
    const ready = await app.request("/api/v1/ready", {}, e);
    const p = await expectProblem(ready, 503, "DEPENDENCY_UNAVAILABLE");
    expect(p.failed).toEqual(["redis"]);

    const login = await app.request("/api/v1/admin/auth/login", json({ email: "ops@moviesnow.test", password: "whatever-it-is" }), e);
    expect((await expectProblem(login, 503, "DEPENDENCY_UNAVAILABLE")).detail).toMatch(/rate limiting/i);

    const admin = await app.request("/api/v1/admin/admins", { headers: { "x-admin-key": adminKey } }, e);
    await expectProblem(admin, 503, "DEPENDENCY_UNAVAILABLE");

    expect((await control("redis/start")).status).toBe(204);
    expect((await app.request("/api/v1/ready", {}, e)).status).toBe(200);
    expect((await app.request("/api/v1/admin/admins", { headers: { "x-admin-key": adminKey } }, e)).status).toBe(200);
  });
});
