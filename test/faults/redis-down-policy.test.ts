import { describe, expect, it } from "vitest";
import { appWithAdminKey } from "../support/admin";
import { control, startAgainAfterAll } from "../support/control";
import { pseudoBytes, publishedMovieWith } from "../support/delivery";
import { expectProblem } from "../support/problem";

const json = (body: unknown, headers: Record<string, string> = {}) => ({
  method: "POST",
  headers: { "content-type": "application/json", ...headers },
  body: JSON.stringify(body),
});

describe("with Redis stopped", () => {
  startAgainAfterAll("redis");

  it("public reads fail open; sign-in and admin calls fail closed; all recover when Redis returns", async () => {
    const { app, env: e, adminKey } = appWithAdminKey();
    expect((await control("redis/stop")).status).toBe(204);

    // /ready runs (the limiter let it through) and reports Redis itself as the failure.
    const ready = await app.request("/api/v1/ready", {}, e);
    const p = await expectProblem(ready, 503, "DEPENDENCY_UNAVAILABLE");
    expect(p.failed).toEqual(["redis"]);

    const login = await app.request("/api/v1/admin/auth/login", json({ email: "ops@moviesnow.test", password: "whatever-it-is" }), e);
    expect((await expectProblem(login, 503, "DEPENDENCY_UNAVAILABLE")).detail).toMatch(/rate limiting/i);

    const admin = await app.request("/api/v1/admin/titles", { headers: { "x-admin-key": adminKey } }, e);
    await expectProblem(admin, 503, "DEPENDENCY_UNAVAILABLE");

    expect((await control("redis/start")).status).toBe(204);
    expect((await app.request("/api/v1/ready", {}, e)).status).toBe(200);
    expect((await app.request("/api/v1/admin/titles", { headers: { "x-admin-key": adminKey } }, e)).status).toBe(200);
  });

  it("a one-time token is neither spent nor lost while Redis is down; an Idempotency-Key write is refused, not run", async () => {
    const { admin, assets, title } = await publishedMovieWith([{ kind: "ORIGINAL", filename: "down.mkv", bytes: pseudoBytes(64, 5) }]);
    const minted = await admin.ok(
      201,
      admin.post<{ items: { token: string }[] }>("/admin/delivery/download-tokens/batch", {
        items: [{ asset_id: assets[0]?.id }],
        ttl_seconds: 600,
      }),
    );
    const token = minted.items[0]?.token ?? "";
    const { app, env: e, adminHeaders } = appWithAdminKey();
    const redeem = () => app.request(`/api/v1/delivery/download/${token}`, { redirect: "manual" }, e);
    const patch = () =>
      app.request(
        `/api/v1/admin/titles/${title.id}`,
        {
          method: "PATCH",
          headers: { ...adminHeaders, "idempotency-key": `idem-${crypto.randomUUID()}` },
          body: JSON.stringify({ overview: "changed while Redis was down" }),
        },
        e,
      );
    expect((await control("redis/stop")).status).toBe(204);

    // The token can't be checked, so it is not honoured, and not spent either.
    expect((await expectProblem(await redeem(), 503, "DEPENDENCY_UNAVAILABLE")).detail).toMatch(/Redis/);
    // Admin writes fail closed (no limits, no Idempotency-Key snapshot): refused before running.
    await expectProblem(await patch(), 503, "DEPENDENCY_UNAVAILABLE");

    expect((await control("redis/start")).status).toBe(204);
    expect((await redeem()).status).toBe(302);
    expect((await redeem()).status).toBe(410);
    const after = await admin.ok(200, admin.get<{ title: { overview: string | null } }>(`/admin/titles/${title.id}`));
    expect(after.title.overview).toBeNull();
  });
});
