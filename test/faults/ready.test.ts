import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/http/app";
import { control, startAgainAfterAll } from "../support/control";
import { expectProblem } from "../support/problem";

describe("/ready follows the real dependencies", () => {
  startAgainAfterAll("redis");

  it("is 200 with every dependency up, 503 naming Redis while it is stopped, 200 again once it is back", async () => {
    const up = await SELF.fetch("http://api.test/api/v1/ready");
    expect(up.status).toBe(200);
    expect(await up.json()).toMatchObject({ status: "ready", checks: { postgres: { ok: true }, redis: { ok: true }, s3: { ok: true } } });

    expect((await control("redis/stop")).status).toBe(204);
    const down = await SELF.fetch("http://api.test/api/v1/ready");
    const p = await expectProblem(down, 503, "DEPENDENCY_UNAVAILABLE");
    expect(p.failed).toEqual(["redis"]);
    expect(p.detail).toContain("redis");
    expect(p.checks).toMatchObject({ postgres: { ok: true }, redis: { ok: false }, s3: { ok: true } });

    // In production the details are for admins only: anyone else learns that it is not ready.
    const adminKey = `ready-${crypto.randomUUID()}`;
    const prod = { ...env, ENVIRONMENT: "production", ADMIN_API_KEY: adminKey };
    const app = createApp({ logSink: () => {} });
    const anon = await app.request("/api/v1/ready", {}, prod);
    const text = await anon.clone().text();
    const q = await expectProblem(anon, 503, "DEPENDENCY_UNAVAILABLE");
    expect(q.failed).toBeUndefined();
    expect(q.checks).toBeUndefined();
    expect(text).not.toMatch(/redis|127\.0\.0\.1|ECONNREFUSED|latency/i);
    const forged = await expectProblem(
      await app.request("/api/v1/ready", { headers: { "x-admin-key": `${adminKey}x` } }, prod),
      503,
      "DEPENDENCY_UNAVAILABLE",
    );
    expect(forged.checks).toBeUndefined();
    const admin = await expectProblem(
      await app.request("/api/v1/ready", { headers: { "x-admin-key": adminKey } }, prod),
      503,
      "DEPENDENCY_UNAVAILABLE",
    );
    expect(admin.failed).toEqual(["redis"]);

    expect((await control("redis/start")).status).toBe(204);
    const back = await SELF.fetch("http://api.test/api/v1/ready");
    expect(back.status).toBe(200);
    expect(await (await app.request("/api/v1/ready", {}, prod)).json()).toEqual({ status: "ready" });
  });
});
