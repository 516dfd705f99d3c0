// The build gate under concurrency: however many seasons are asked for at once, at most
// BUNDLE_MAX_CONCURRENT_BUILDS builds start, and public callers start at most
// BUNDLE_DAILY_BUILD_BUDGET a day; the rest are refused (503/429 + Retry-After), never queued.
// One client (a network) holds at most its share of slots and of the budget, so another client
// still starts a build; a season with nothing to build takes neither; admin rebuilds skip the gate.
// The job service is paused (SIGSTOP) meanwhile, so no build can finish and free its slot while
// the requests are being decided. In the faults project: no other test's builds run beside these.
import { env } from "cloudflare:test";
import { afterAll, describe, expect, it } from "vitest";
import { buildsRunning, buildsStartedToday } from "../../src/features/bundles/build-gate";
import { createApp } from "../../src/http/app";
import { createRedis } from "../../src/platform/redis";
import { bearer, config, freshIp, newAdmin, signIn } from "../support/admin";
import { adminClient, pseudoBytes } from "../support/admin-client";
import { waitReady } from "../support/bundles";
import { control } from "../support/control";
import { expectProblem } from "../support/problem";

type Created = { asset: { id: string }; upload: { url: string; headers: Record<string, string> } };

/** A published series with `count` seasons of one small episode each (and `empty` seasons whose episode has no file). */
async function seriesWithSeasons(count: number, empty = 0) {
  const token = await signIn(await newAdmin());
  const admin = adminClient(token);
  const t = await admin.ok(201, admin.post<{ id: string }>("/admin/titles", { kind: "series", name: `Gate ${crypto.randomUUID()}` }));
  for (let season = 1; season <= count; season++) {
    const ep = await admin.ok(
      201,
      admin.post<{ id: string }>(`/admin/titles/${t.id}/episodes`, { season_number: season, episode_number: 1 }),
    );
    const bytes = pseudoBytes(1000 + season, season);
    const c = await admin.ok(
      201,
      admin.post<Created>(`/admin/titles/${t.id}/assets`, {
        kind: "ORIGINAL",
        episode_id: ep.id,
        filename: `s${season}.mkv`,
        size_bytes: bytes.length,
      }),
    );
    const put = await fetch(c.upload.url, { method: "PUT", body: bytes, headers: c.upload.headers });
    await put.body?.cancel();
    expect(put.status).toBe(200);
    await admin.ok(200, admin.get(`/admin/assets/${c.asset.id}/head`));
  }
  for (let season = count + 1; season <= count + empty; season++)
    await admin.ok(201, admin.post(`/admin/titles/${t.id}/episodes`, { season_number: season, episode_number: 1 }));
  await admin.ok(200, admin.post(`/admin/titles/${t.id}/publish?force=true`));
  return { titleId: t.id, token };
}

const redis = createRedis(config);
const app = createApp({ logSink: () => {} });
const ask = (vars: Record<string, string>, titleId: string, season: number, ip = freshIp()) =>
  app.request(
    "/api/v1/delivery/request-bundle",
    {
      method: "POST",
      headers: { "content-type": "application/json", "cf-connecting-ip": ip },
      body: JSON.stringify({ title_id: titleId, season_number: season }),
    },
    { ...env, ...vars },
  );

describe("the global build gate", () => {
  afterAll(async () => {
    await control("job/resume");
  });

  it("caps concurrent builds and the daily budget under concurrency; admins skip the budget; slots come back when builds end", async () => {
    const { titleId, token } = await seriesWithSeasons(10);
    const before = await buildsRunning(redis, new Date());
    expect((await control("job/pause")).status).toBe(204);

    // Six seasons at once, two slots free: two builds start, four are told to come back.
    const capVars = { BUNDLE_MAX_CONCURRENT_BUILDS: String(before + 2), BUNDLE_DAILY_BUILD_BUDGET: "1000000" };
    const capped = await Promise.all([1, 2, 3, 4, 5, 6].map((s) => ask(capVars, titleId, s)));
    const started = capped.filter((r) => r.status === 202);
    const busy = capped.filter((r) => r.status === 503);
    expect(started.length + busy.length).toBe(6);
    expect(started.length).toBeGreaterThanOrEqual(2);
    expect(started.length).toBeLessThanOrEqual(2 + before); // more only if an older build ended meanwhile
    for (const r of busy) {
      await expectProblem(r, 503, "AT_CAPACITY");
      expect(Number(r.headers.get("retry-after"))).toBeGreaterThan(0);
    }
    for (const r of started) await r.body?.cancel();

    // The budget: one more build may start today; of three asked at once, one starts.
    const budgetVars = {
      BUNDLE_MAX_CONCURRENT_BUILDS: "1000",
      BUNDLE_DAILY_BUILD_BUDGET: String((await buildsStartedToday(redis, new Date())) + 1),
    };
    const budgeted = await Promise.all([7, 8, 9].map((s) => ask(budgetVars, titleId, s)));
    expect(budgeted.map((r) => r.status).sort()).toEqual([202, 429, 429]);
    const secondsToMidnight =
      (Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate() + 1) - Date.now()) / 1000;
    for (const r of budgeted.filter((x) => x.status === 429)) {
      await expectProblem(r, 429, "RATE_LIMITED");
      const wait = Number(r.headers.get("retry-after"));
      expect(wait).toBeGreaterThan(0);
      expect(wait).toBeLessThanOrEqual(Math.ceil(secondsToMidnight) + 1);
    }
    // An admin's rebuild is not counted against the public budget.
    const adminRebuild = await app.request(
      `/api/v1/admin/titles/${titleId}/rebuild-bundle?season_number=10`,
      { method: "POST", headers: { ...bearer(token), "cf-connecting-ip": freshIp() } },
      { ...env, ...budgetVars },
    );
    expect(adminRebuild.status).toBe(202);

    // Builds end (the job service answers again): every slot they held is given back.
    expect((await control("job/resume")).status).toBe(204);
    const seasonsStarted = [
      ...capped.flatMap((r, i) => (r.status === 202 ? [i + 1] : [])),
      ...budgeted.flatMap((r, i) => (r.status === 202 ? [i + 7] : [])),
      10,
    ];
    for (const s of seasonsStarted) await waitReady(titleId, s, 60_000);
    expect(await buildsRunning(redis, new Date())).toBeLessThanOrEqual(before);
  }, 120_000);

  it("one client holds only its share of slots and of the budget: another client still starts a build; nothing to build takes nothing; admins skip the gate", async () => {
    const { titleId, token } = await seriesWithSeasons(9, 1);
    expect((await control("job/pause")).status).toBe(204);
    const running = await buildsRunning(redis, new Date());
    const vars = {
      BUNDLE_MAX_CONCURRENT_BUILDS: String(running + 3),
      BUNDLE_DAILY_BUILD_BUDGET: "1000000",
      BUNDLE_CLIENT_MAX_CONCURRENT_BUILDS: "2",
      BUNDLE_CLIENT_DAILY_BUILD_BUDGET: "3",
    };
    const walker = freshIp();
    // One client walks six seasons at once: two start, the rest are told it is its own limit.
    const walked = await Promise.all([1, 2, 3, 4, 5, 6].map((s) => ask(vars, titleId, s, walker)));
    expect(walked.filter((r) => r.status === 202)).toHaveLength(2);
    for (const r of walked.filter((x) => x.status !== 202)) {
      const p = await expectProblem(r, 429, "RATE_LIMITED");
      expect(p.detail).toMatch(/network/);
      expect(Number(r.headers.get("retry-after"))).toBeGreaterThan(0);
    }
    // Another client still starts one: the walker did not take every slot.
    const other = await ask(vars, titleId, 7);
    expect(other.status).toBe(202);
    await other.body?.cancel();
    // A season with nothing to build is refused before the gate: no slot, no budget spent.
    const today = await buildsStartedToday(redis, new Date());
    await expectProblem(await ask(vars, titleId, 10), 409, "CONFLICT");
    expect(await buildsStartedToday(redis, new Date())).toBe(today);
    // Every slot is taken now (running + 3): an admin's rebuild still starts.
    await expectProblem(await ask(vars, titleId, 8), 503, "AT_CAPACITY");
    const adminRebuild = await app.request(
      `/api/v1/admin/titles/${titleId}/rebuild-bundle?season_number=9`,
      { method: "POST", headers: { ...bearer(token), "cf-connecting-ip": freshIp() } },
      { ...env, ...vars },
    );
    expect(adminRebuild.status).toBe(202);

    // The walker's builds end: its share comes back, until its daily budget (3) is spent.
    expect((await control("job/resume")).status).toBe(204);
    for (const s of [...walked.flatMap((r, i) => (r.status === 202 ? [i + 1] : [])), 7, 9]) await waitReady(titleId, s, 60_000);
    const third = walked.findIndex((r) => r.status !== 202) + 1;
    const again = await ask(vars, titleId, third, walker);
    expect(again.status).toBe(202);
    await again.body?.cancel();
    await waitReady(titleId, third, 60_000);
    const spent = await ask(vars, titleId, walked.findLastIndex((r) => r.status !== 202) + 1, walker);
    expect((await expectProblem(spent, 429, "RATE_LIMITED")).detail).toMatch(/today/);
  }, 120_000);
});
