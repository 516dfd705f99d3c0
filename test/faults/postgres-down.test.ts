// Postgres stopped: catalog and admin calls answer 503 problem+json quickly (no hang), /ready
// names Postgres, a write attempted meanwhile leaves nothing behind, and all recover after.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/http/app";
import { parseEnv } from "../../src/platform/env";
import { appWithAdminKey } from "../support/admin";
import { control, startAgainAfterAll } from "../support/control";
import { movieWithToken } from "../support/delivery";
import { expectProblem } from "../support/problem";

describe("with Postgres stopped", () => {
  startAgainAfterAll("postgres");

  it("catalog and admin answer 503 within a bounded time, /ready names Postgres, nothing is written", async () => {
    const { app, env: e, adminHeaders: admin } = appWithAdminKey();
    // No hang: an answer by the dependency timeout at the latest (a stopped Postgres is refused
    // at once; a stuck one is given up on), with room for the runner being busy.
    const bound = parseEnv(e).DEPENDENCY_TIMEOUT_MS + 2000;
    const name = `Written while down ${crypto.randomUUID()}`;
    expect((await control("postgres/stop")).status).toBe(204);

    const timed = async (path: string, init: RequestInit = {}) => {
      const t0 = Date.now();
      const res = await app.request(path, init, e);
      return { res, ms: Date.now() - t0 };
    };
    const ready = await timed("/api/v1/ready");
    const p = await expectProblem(ready.res, 503, "DEPENDENCY_UNAVAILABLE");
    expect(p.failed).toEqual(["postgres"]);

    // A search nobody made before: not in the edge cache, so it reaches Postgres.
    const calls = [
      await timed(`/api/v1/titles?q=${crypto.randomUUID()}`),
      await timed(`/api/v1/titles/${crypto.randomUUID()}`),
      await timed("/api/v1/admin/titles", { headers: admin }),
      await timed("/api/v1/admin/titles", { method: "POST", headers: admin, body: JSON.stringify({ kind: "movie", name }) }),
    ];
    for (const { res, ms } of calls) {
      const detail = (await expectProblem(res, 503, "DEPENDENCY_UNAVAILABLE")).detail;
      expect(detail).toMatch(/Postgres/);
      // What went wrong inside (hosts, ports, driver messages) goes to the log, not to the caller.
      expect(detail).not.toMatch(/127\.0\.0\.1|ECONNREFUSED|refused|fetch failed|:\d{4,5}\b/i);
      expect(ms).toBeLessThan(bound);
    }

    expect((await control("postgres/start")).status).toBe(204);
    expect((await app.request("/api/v1/ready", {}, e)).status).toBe(200);
    const list = await app.request(`/api/v1/admin/titles?q=${encodeURIComponent(name)}`, { headers: admin }, e);
    expect(list.status).toBe(200);
    expect(((await list.json()) as { items: unknown[] }).items).toEqual([]);
  });

  it("a one-time token redeemed while Postgres is down is not spent: the link works once it is back", async () => {
    const { token } = await movieWithToken("pg-down.mkv", 6);
    const app = createApp({ logSink: () => {} });
    const redeem = () => app.request(`/api/v1/delivery/download/${token}`, { redirect: "manual" }, env);
    expect((await control("postgres/stop")).status).toBe(204);
    await expectProblem(await redeem(), 503, "DEPENDENCY_UNAVAILABLE");
    expect((await control("postgres/start")).status).toBe(204);
    expect((await redeem()).status).toBe(302);
    expect((await redeem()).status).toBe(410);
  });
});
