// What stops anonymous callers from starting unbounded paid work: request-bundle and bundle-status
// are under the presign limit, and a failed build backs off longer than the cooldown. (The global
// build gate, cap and daily budget, is tested in test/faults/build-gate.test.ts: it needs the
// whole stack to itself.)
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { type SeasonBundle, seasonBundleStub } from "../../../src/features/bundles/season-bundle";
import { createApp } from "../../../src/http/app";
import { createS3 } from "../../../src/platform/s3";
import { config, freshIp } from "../../support/admin";
import { bundleStatus, requestBundle, seriesWithSeason } from "../../support/bundles";
import { expectProblem } from "../../support/problem";

/**
 * A published series whose season 1 has a file the catalog knows but S3 no longer holds (removed
 * behind the service's back): the season plans, and every build of it fails reading the file.
 */
async function seasonThatFailsToBuild() {
  const { title, files } = await seriesWithSeason([64]);
  for (const f of files) await s3.delete(f.key);
  return title.id;
}

async function waitFailed(titleId: string) {
  for (let i = 0; i < 400; i++) {
    const s = await bundleStatus(titleId, 1);
    if (s.status.state === "failed") return s;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("the build never failed");
}

const s3 = createS3(config);

describe("limits on season builds", () => {
  it("request-bundle and bundle-status count against the per-client presign limit", async () => {
    // An unknown title: the limit is counted before the handler looks anything up.
    const title = { id: crypto.randomUUID() };
    const app = createApp({ logSink: () => {} });
    const vars = { ...env, RATE_LIMIT_PRESIGN: "2/60s" };
    for (const [path, init] of [
      ["/api/v1/delivery/request-bundle", { method: "POST", body: JSON.stringify({ title_id: title.id, season_number: 1 }) }],
      [`/api/v1/delivery/bundle-status?title_id=${title.id}&season_number=1`, { method: "GET" }],
    ] as const) {
      const ip = freshIp();
      const send = () => app.request(path, { ...init, headers: { "content-type": "application/json", "cf-connecting-ip": ip } }, vars);
      const answers = [await send(), await send()];
      for (const a of answers) await a.body?.cancel();
      expect(answers.map((a) => a.status)).toEqual([404, 404]);
      const third = await send();
      await expectProblem(third, 429, "RATE_LIMITED");
      expect(Number(third.headers.get("retry-after"))).toBeGreaterThan(0);
    }
  });

  it("a failed build backs off longer than the cooldown, doubling with each failure in a row; the refusal tells no internals", async () => {
    const titleId = await seasonThatFailsToBuild();
    expect((await requestBundle(titleId, 1)).status).toBe(202);
    // The public status says the build failed, not the job's own words.
    expect((await waitFailed(titleId)).status.error).toBe("The last build failed.");
    const backoff = Math.max(config.BUNDLE_FAILURE_BACKOFF_SECONDS, 2 * config.BUNDLE_REBUILD_COOLDOWN_SECONDS);
    expect(backoff).toBeGreaterThan(config.BUNDLE_REBUILD_COOLDOWN_SECONDS);

    const refused = await requestBundle(titleId, 1);
    const p = await expectProblem(refused, 429, "RATE_LIMITED");
    const wait = Number(refused.headers.get("retry-after"));
    expect(wait).toBeGreaterThan(backoff - 60);
    expect(wait).toBeLessThanOrEqual(backoff);
    expect(p.detail).not.toMatch(/uploaded|job|S3|attempt/i);

    // Once the backoff has passed, one more build may start; it fails too, and the next wait doubles.
    const stub = seasonBundleStub(env.SEASON_BUNDLE, { titleId, seasonNumber: 1 });
    await runInDurableObject(stub, (_o: SeasonBundle, state) => {
      state.storage.sql.exec("UPDATE bundle_state SET last_built_at = ? WHERE id = 1", Date.now() - backoff * 1000 - 1);
    });
    expect((await requestBundle(titleId, 1)).status).toBe(202);
    await waitFailed(titleId);
    const second = await requestBundle(titleId, 1);
    await expectProblem(second, 429, "RATE_LIMITED");
    expect(Number(second.headers.get("retry-after"))).toBeGreaterThan(2 * backoff - 60);
  }, 60_000);
});
