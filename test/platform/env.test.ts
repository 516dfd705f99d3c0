import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/http/app";
import { ConfigError, parseEnv } from "../../src/platform/env";
import { expectProblem } from "../support/problem";

const without = (name: string) => {
  const copy: Record<string, unknown> = { ...env };
  delete copy[name];
  return copy;
};

describe("configuration is parsed at the entry", () => {
  it("names every missing required variable", () => {
    const bad = without("DATABASE_URL");
    delete bad.UPSTASH_REDIS_REST_TOKEN;
    try {
      parseEnv(bad);
      expect.unreachable("parseEnv accepted a config without DATABASE_URL");
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      const vars = (e as ConfigError).problems.map((p) => p.variable);
      expect(vars).toEqual(expect.arrayContaining(["DATABASE_URL", "UPSTASH_REDIS_REST_TOKEN"]));
      expect((e as ConfigError).message).toContain("DATABASE_URL: is required but not set");
    }
  });

  it("rejects inconsistent presign TTL bounds and half-configured CloudFront", () => {
    expect(() => parseEnv({ ...env, PRESIGN_TTL_MIN_SECONDS: "600", PRESIGN_TTL_DEFAULT_SECONDS: "300" })).toThrow(
      /PRESIGN_TTL_DEFAULT_SECONDS/,
    );
    expect(() => parseEnv({ ...env, CLOUDFRONT_DOMAIN: "d111.cloudfront.net" })).toThrow(/CLOUDFRONT_DOMAIN/);
  });

  it("refuses a short ADMIN_API_KEY and a job runner without the secret it signs with", () => {
    expect(() => parseEnv({ ...env, ADMIN_API_KEY: "short-admin-key" })).toThrow(/ADMIN_API_KEY: must be at least 32 characters/);
    expect(parseEnv({ ...env, ADMIN_API_KEY: "k".repeat(32) }).ADMIN_API_KEY).toBe("k".repeat(32));
    expect(() => parseEnv({ ...env, JOB_SERVICE_SECRET: "" })).toThrow(/JOB_SERVICE_SECRET: is required with JOB_RUNNER_URL/);
    expect(() => parseEnv({ ...env, JOB_SERVICE_SECRET: "too-short" })).toThrow(/JOB_SERVICE_SECRET: must be at least 32/);
  });

  it("applies the documented defaults", () => {
    const cfg = parseEnv({ ...env, BUNDLE_REBUILD_COOLDOWN_SECONDS: undefined, BATCH_DOWNLOAD_MAX_ITEMS: undefined });
    expect(cfg.BUNDLE_REBUILD_COOLDOWN_SECONDS).toBe(3600);
    expect(cfg.BATCH_DOWNLOAD_MAX_ITEMS).toBe(50);
  });

  it("a request against a misconfigured Worker gets CONFIG_INVALID naming the variable (outside production)", async () => {
    const app = createApp({ logSink: () => {} });
    const res = await app.request("/api/v1/ready", {}, { ...without("AWS_SECRET_ACCESS_KEY"), ENVIRONMENT: "development" });
    const p = await expectProblem(res, 500, "CONFIG_INVALID");
    expect(p.detail).toContain("AWS_SECRET_ACCESS_KEY");
  });

  it("does not reveal variable names in production", async () => {
    const app = createApp({ logSink: () => {} });
    const res = await app.request("/api/v1/ready", {}, { ...without("AWS_SECRET_ACCESS_KEY"), ENVIRONMENT: "production" });
    const p = await expectProblem(res, 500, "CONFIG_INVALID");
    expect(p.detail).not.toContain("AWS_SECRET_ACCESS_KEY");
  });
});

describe("request log", () => {
  it("writes one JSON line per request with method, route, status, duration and request id", async () => {
    const lines: string[] = [];
    const app = createApp({ logSink: (l) => lines.push(l) });
    const res = await app.request("/api/v1/health", { headers: { "x-request-id": "log-test-1" } }, env);
    expect(res.status).toBe(200);
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0] ?? "{}");
    expect(line).toMatchObject({ msg: "request", method: "GET", route: "/api/v1/health", status: 200, request_id: "log-test-1" });
    expect(typeof line.duration_ms).toBe("number");
  });
});
