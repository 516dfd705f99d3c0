// One-time download tokens: minted by an admin, redeemed exactly once.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createApp } from "../../../src/http/app";
import { defaultDeps } from "../../../src/http/middleware/init";
import { systemClock } from "../../../src/platform/clock";
import { api, freshIp } from "../../support/admin";
import { pseudoBytes, publishedMovieWith } from "../../support/delivery";
import { expectProblem } from "../../support/problem";

type Minted = { items: { token: string; storage_key: string; expires_at: string; redeem_url: string }[] };

describe("one-time download tokens", () => {
  it("mints tokens by asset id or key, returned once; redemption redirects to the file and spends the token", async () => {
    const bytes = pseudoBytes(5000, 9);
    const { admin, assets } = await publishedMovieWith([
      { kind: "ORIGINAL", filename: "premium.mkv", bytes },
      { kind: "SUBTITLE", filename: "en.vtt", bytes: pseudoBytes(10, 1), extra: { language: "en" } },
    ]);
    const minted = await admin.ok(
      201,
      admin.post<Minted>("/admin/delivery/download-tokens/batch", {
        items: [{ asset_id: assets[0]?.id }, { storage_key: assets[1]?.storage_key }],
        ttl_seconds: 600,
        label: "promo",
      }),
    );
    expect(minted.items.map((i) => i.storage_key)).toEqual([assets[0]?.storage_key, assets[1]?.storage_key]);
    const [first] = minted.items;
    if (!first) throw new Error("no token");
    expect(first.token).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const redeemed = await api(`/delivery/download/${first.token}`, { redirect: "manual" });
    expect(redeemed.status).toBe(302);
    expect(redeemed.headers.get("cache-control")).toBe("no-store");
    const file = await fetch(redeemed.headers.get("location") ?? "");
    expect(new Uint8Array(await file.arrayBuffer())).toEqual(bytes);
    expect(file.headers.get("content-disposition")).toContain("premium.mkv");

    const again = await api(`/delivery/download/${first.token}`, { redirect: "manual" });
    expect((await expectProblem(again, 410, "GONE")).detail).toMatch(/already been used/);
  });

  it("100 concurrent redemptions of one token give exactly one 302", async () => {
    const { admin, assets } = await publishedMovieWith([{ kind: "ORIGINAL", filename: "race.mkv", bytes: pseudoBytes(10, 2) }]);
    const minted = await admin.ok(
      201,
      admin.post<Minted>("/admin/delivery/download-tokens/batch", { items: [{ asset_id: assets[0]?.id }], ttl_seconds: 600 }),
    );
    const token = minted.items[0]?.token ?? "";
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        api(`${i % 2 ? "/admin" : ""}/delivery/download/${token}`, { redirect: "manual", headers: { "cf-connecting-ip": freshIp() } }).then(
          (r) => r.status,
        ),
      ),
    );
    expect(results.filter((s) => s === 302)).toHaveLength(1);
    expect(results.filter((s) => s === 410)).toHaveLength(99);
  });

  it("the older path under /admin redeems without admin credentials", async () => {
    const { admin, assets } = await publishedMovieWith([{ kind: "ORIGINAL", filename: "legacy.mkv", bytes: pseudoBytes(10, 3) }]);
    const minted = await admin.ok(
      201,
      admin.post<Minted>("/admin/delivery/download-tokens/batch", { items: [{ asset_id: assets[0]?.id }], ttl_seconds: 600 }),
    );
    expect((await api(`/admin/delivery/download/${minted.items[0]?.token}`, { redirect: "manual" })).status).toBe(302);
  });

  it("an expired token answers 410", async () => {
    const { admin, assets } = await publishedMovieWith([{ kind: "ORIGINAL", filename: "late.mkv", bytes: pseudoBytes(10, 4) }]);
    const minted = await admin.ok(
      201,
      admin.post<Minted>("/admin/delivery/download-tokens/batch", { items: [{ asset_id: assets[0]?.id }], ttl_seconds: 60 }),
    );
    const later = { now: () => new Date(systemClock.now().getTime() + 120_000) };
    const app = createApp({ logSink: () => {}, deps: (c, b) => ({ ...defaultDeps(c, b), clock: later }) });
    const res = await app.request(`/api/v1/delivery/download/${minted.items[0]?.token}`, { redirect: "manual" }, env);
    expect((await expectProblem(res, 410, "GONE")).detail).toMatch(/expired/);
    await expectProblem(await api("/delivery/download/not-a-token-at-all-xxxxxxxxxxx"), 410, "GONE");
  });

  it("only downloadable files of published titles get tokens; TTL is bounded", async () => {
    const { admin, assets } = await publishedMovieWith([
      { kind: "HLS", filename: "index.m3u8", bytes: pseudoBytes(10, 5), extra: { stream_tier: 480 } },
    ]);
    const draft = await publishedMovieWith([{ kind: "ORIGINAL", filename: "d.mkv", bytes: pseudoBytes(10, 6) }], false);
    const r = await admin.post<{ errors: { path: string }[] }>("/admin/delivery/download-tokens/batch", {
      items: [
        { asset_id: assets[0]?.id },
        { asset_id: draft.assets[0]?.id },
        { storage_key: "originals/x/../y" },
        { asset_id: crypto.randomUUID() },
      ],
      ttl_seconds: 600,
    });
    expect(r.status).toBe(404);
    expect(r.body.errors.map((e) => e.path)).toEqual(["json.items.0", "json.items.1", "json.items.2", "json.items.3"]);
    const long = await admin.post<{ errors: { path: string }[] }>("/admin/delivery/download-tokens/batch", {
      items: [{ asset_id: draft.assets[0]?.id }],
      ttl_seconds: 60 * 24 * 3600,
    });
    expect(long.status).toBe(400);
    expect(long.body.errors[0]?.path).toBe("json.ttl_seconds");
  });

  it("HEAD says whether a token is good without spending it", async () => {
    const { admin, assets } = await publishedMovieWith([{ kind: "ORIGINAL", filename: "peek.mkv", bytes: pseudoBytes(10, 7) }]);
    const minted = await admin.ok(
      201,
      admin.post<Minted>("/admin/delivery/download-tokens/batch", { items: [{ asset_id: assets[0]?.id }], ttl_seconds: 600 }),
    );
    const path = `/delivery/download/${minted.items[0]?.token}`;
    for (let i = 0; i < 3; i++) {
      const head = await api(path, { method: "HEAD", redirect: "manual" });
      expect(head.status).toBe(200);
      expect(head.headers.get("location")).toBeNull();
    }
    expect((await api(path, { redirect: "manual" })).status).toBe(302);
    expect((await api(path, { method: "HEAD", redirect: "manual" })).status).toBe(410);
  });

  it("a token link works without X-API-Key when PUBLIC_API_KEY is set (the link is its own credential)", async () => {
    const { admin, assets } = await publishedMovieWith([{ kind: "ORIGINAL", filename: "keyed.mkv", bytes: pseudoBytes(10, 8) }]);
    const minted = await admin.ok(
      201,
      admin.post<Minted>("/admin/delivery/download-tokens/batch", { items: [{ asset_id: assets[0]?.id }], ttl_seconds: 600 }),
    );
    const app = createApp({ logSink: () => {} });
    const keyed = { ...env, PUBLIC_API_KEY: `public-${crypto.randomUUID()}` };
    const ip = { "cf-connecting-ip": freshIp() };
    await expectProblem(await app.request("/api/v1/titles", { headers: ip }, keyed), 401, "UNAUTHORIZED");
    const res = await app.request(`/api/v1/delivery/download/${minted.items[0]?.token}`, { redirect: "manual", headers: ip }, keyed);
    expect(res.status).toBe(302);
  });

  it("the request log names the route, never the token", async () => {
    const { admin, assets } = await publishedMovieWith([{ kind: "ORIGINAL", filename: "logged.mkv", bytes: pseudoBytes(10, 9) }]);
    const minted = await admin.ok(
      201,
      admin.post<Minted>("/admin/delivery/download-tokens/batch", {
        items: [{ asset_id: assets[0]?.id }, { asset_id: assets[0]?.id }],
        ttl_seconds: 600,
      }),
    );
    const lines: string[] = [];
    const app = createApp({ logSink: (l) => lines.push(l) });
    const [a, b] = minted.items.map((i) => i.token);
    await app.request(`/api/v1/delivery/download/${a}`, { redirect: "manual" }, env);
    await app.request(`/api/v1/admin/delivery/download/${b}`, { redirect: "manual" }, env);
    await app.request(`/api/v1/delivery/download/${a}`, { redirect: "manual" }, env); // spent: an error line too
    expect(lines.length).toBeGreaterThanOrEqual(3);
    for (const t of [a, b]) expect(lines.join("\n")).not.toContain(t);
    expect(lines.join("\n")).toContain("/api/v1/delivery/download/[token]");
  });
});
