import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createApp } from "../../../src/http/app";
import { systemClock } from "../../../src/platform/clock";
import { parseEnv } from "../../../src/platform/env";
import { createRateLimiter } from "../../../src/platform/rate-limit";
import { createRedis } from "../../../src/platform/redis";
import { freshIp } from "../../support/admin";
import { expectProblem } from "../../support/problem";

describe("rate limits", () => {
  it.each(["presign", "admin"] as const)("a %s limit of N per window admits exactly N of 3N concurrent hits", async (cls) => {
    const config = parseEnv({ ...env, RATE_LIMIT_PRESIGN: "7/60s", RATE_LIMIT_ADMIN: "7/60s" });
    const limiter = createRateLimiter(createRedis(config), config, { clock: systemClock, background: () => {} });
    const id = `ip-${crypto.randomUUID()}`;
    const decisions = await Promise.all(Array.from({ length: 21 }, () => limiter.hit(cls, id)));
    expect(decisions.filter((d) => d.success)).toHaveLength(7);
    expect(decisions.every((d) => !d.unavailable)).toBe(true);
  });

  it("over HTTP: N of 3N concurrent requests from one IP pass, the rest get 429 with Retry-After", async () => {
    const app = createApp({ logSink: () => {} });
    const ip = freshIp();
    const e = { ...env, RATE_LIMIT_PUBLIC: "5/60s" };
    const responses = await Promise.all(
      Array.from({ length: 15 }, () => app.request("/api/v1/ready", { headers: { "cf-connecting-ip": ip } }, e)),
    );
    const ok = responses.filter((r) => r.status === 200);
    const limited = responses.filter((r) => r.status === 429);
    expect(ok).toHaveLength(5);
    expect(limited).toHaveLength(10);
    for (const r of ok) {
      expect(r.headers.get("ratelimit-limit")).toBe("5");
      expect(Number(r.headers.get("ratelimit-remaining"))).toBeGreaterThanOrEqual(0);
    }
    const p = await expectProblem(limited[0] as Response, 429, "RATE_LIMITED");
    expect(p.detail).toMatch(/retry/i);
    expect(Number(limited[0]?.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(Number(limited[0]?.headers.get("ratelimit-reset"))).toBeLessThanOrEqual(60);
    // Another client is unaffected.
    expect((await app.request("/api/v1/ready", { headers: { "cf-connecting-ip": freshIp() } }, e)).status).toBe(200);
  });

  it("liveness is never limited", async () => {
    const app = createApp({ logSink: () => {} });
    const e = { ...env, RATE_LIMIT_PUBLIC: "1/60s" };
    const ip = freshIp();
    for (let i = 0; i < 3; i++) expect((await app.request("/api/v1/health", { headers: { "cf-connecting-ip": ip } }, e)).status).toBe(200);
  });
});

describe("PUBLIC_API_KEY", () => {
  it("when set, public endpoints need X-API-Key; probes don't", async () => {
    const app = createApp({ logSink: () => {} });
    const e = { ...env, PUBLIC_API_KEY: "public-key-1" };
    await expectProblem(await app.request("/api/v1/titles", {}, e), 401, "UNAUTHORIZED");
    await expectProblem(await app.request("/api/v1/titles", { headers: { "x-api-key": "wrong" } }, e), 401, "UNAUTHORIZED");
    expect((await app.request("/api/v1/titles", { headers: { "x-api-key": "public-key-1" } }, e)).status).toBe(200);
    expect((await app.request("/api/v1/health", {}, e)).status).toBe(200);
    expect((await app.request("/api/v1/ready", {}, e)).status).toBe(200);
  });
});
