// The edge keeps what it holds when an origin stalls. The Upstash and the Neon adapters are paused
// (SIGSTOP: connections queue, nothing answers, as a slow or unreachable region), alone and
// together, after a catalog page, a title's detail and a presign were answered once warm. Per
// request class: warm answers wait on nothing (no round trip in their Server-Timing: a request that
// waited on a stalled origin lists the trip that timed out);
// once the catalog version in hand is older than VERSION_STALE_LIMIT_MS, presigns are computed
// again from Postgres (or refused at once with 503 + Retry-After when it is away too) and catalog
// pages fall back to their last answer (X-Cache: STALE). The clock is the test's, moved past the
// limits; the services are real.
import { env } from "cloudflare:test";
import { afterAll, describe, expect, it } from "vitest";
import { VERSION_STALE_LIMIT_MS, VERSION_TTL_MS } from "../../src/features/catalog/catalog-version";
import { createApp } from "../../src/http/app";
import { defaultDeps } from "../../src/http/middleware/init";
import { control } from "../support/control";
import { pseudoBytes, publishedMovieWith } from "../support/delivery";
import { expectProblem } from "../support/problem";

/** Each dependency call gives up after this long: a request that waited on a stall shows it. */
const TIMEOUT_MS = 1500;
let now = Date.now();
const app = createApp({
  logSink: () => {},
  deps: (config, bindings) => ({ ...defaultDeps(config, bindings), clock: { now: () => new Date(now) } }),
});
const e = { ...env, DEPENDENCY_TIMEOUT_MS: String(TIMEOUT_MS) };
const origins = (res: Response) =>
  (res.headers.get("server-timing") ?? "")
    .split(", ")
    .map((t) => t.split(";")[0])
    .filter((o) => o !== "total");

afterAll(async () => {
  await control("redis/resume");
  await control("postgres/resume");
});

async function warmTitle() {
  const { title, assets } = await publishedMovieWith([{ kind: "ORIGINAL", filename: "stall.mkv", bytes: pseudoBytes(16, 11) }]);
  now = Date.now();
  const key = assets[0]?.storage_key as string;
  const requests = {
    page: () => app.request(`/api/v1/titles?q=${encodeURIComponent(title.slug)}`, {}, e),
    detail: () => app.request(`/api/v1/titles/${title.slug}`, {}, e),
    presign: () =>
      app.request(
        "/api/v1/delivery/download-url",
        { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ storage_key: key }) },
        e,
      ),
  };
  // Each asked three times: stored at the second miss, answered from the edge the third.
  for (const ask of Object.values(requests)) for (let i = 0; i < 3; i++) expect((await ask()).status).toBe(200);
  return requests;
}

/** Every class answered 200 with no round trip but, when Redis answers, the idle isolate's read of the catalog version. */
async function expectWarm(requests: Awaited<ReturnType<typeof warmTitle>>, redisAnswers = false) {
  for (const [name, ask] of Object.entries(requests)) {
    const res = await ask();
    expect(res.status, name).toBe(200);
    expect(
      origins(res).filter((o) => !(redisAnswers && o === "redis")),
      name,
    ).toEqual([]);
    await res.body?.cancel();
  }
}

/** Lets the read that hung on the stalled Redis give up, so the isolate knows Redis is failing. */
const letTheHangingReadFail = () => new Promise((r) => setTimeout(r, TIMEOUT_MS + 300));

describe("an origin that stalls", () => {
  it("Redis paused: warm answers wait on nothing; past the staleness limit presigns and pages are computed from Postgres", async () => {
    const requests = await warmTitle();
    expect((await control("redis/pause")).status).toBe(204);
    try {
      now += 2 * VERSION_TTL_MS; // the version in hand is older than its TTL: a read starts, no one waits for it
      await expectWarm(requests);
      await letTheHangingReadFail();
      await expectWarm(requests);

      now += VERSION_STALE_LIMIT_MS; // no version to trust any more: answers are made again
      const presign = await requests.presign();
      expect(presign.status).toBe(200);
      expect(origins(presign)).toEqual(["db"]);
      const page = await requests.page();
      expect(page.status).toBe(200);
      expect(page.headers.get("x-cache")).toBe("BYPASS");
      expect(origins(page).filter((o) => o === "redis")).toEqual([]);
    } finally {
      await control("redis/resume");
    }
  });

  it("Postgres paused: warm answers wait on nothing", async () => {
    const requests = await warmTitle();
    expect((await control("postgres/pause")).status).toBe(204);
    try {
      now += 2 * VERSION_TTL_MS;
      await expectWarm(requests, true);
    } finally {
      await control("postgres/resume");
    }
  });

  it("both paused: warm answers hold until the staleness limit; then presigns fail closed at once and pages are served stale", async () => {
    const requests = await warmTitle();
    expect((await control("redis/pause")).status).toBe(204);
    expect((await control("postgres/pause")).status).toBe(204);
    try {
      now += 2 * VERSION_TTL_MS;
      await expectWarm(requests);
      await letTheHangingReadFail();

      now += VERSION_STALE_LIMIT_MS;
      const presign = await requests.presign();
      await expectProblem(presign, 503, "DEPENDENCY_UNAVAILABLE");
      // It waited on Postgres (one trip, cut at its timeout), and not on Redis at all.
      expect(origins(presign)).toEqual(["db"]);
      for (const ask of [requests.page, requests.detail]) {
        const res = await ask();
        expect(res.status).toBe(200);
        expect(res.headers.get("x-cache")).toBe("STALE");
        expect(res.headers.get("cache-control")).toMatch(/stale-if-error=3600/);
        await res.body?.cancel();
      }
    } finally {
      await control("postgres/resume");
      await control("redis/resume");
    }
  });
});
