// Exactly-once under contention, at ten times the counts of the Worker tests, over real HTTP
// against wrangler dev on the local stack: 1,000 redemptions of one download token, 500 admin
// writes with one Idempotency-Key, 2,000 requests for one missing season bundle (the
// redemptions and the season's requests 200 in flight at a time: wrangler dev's proxy is the limit).
//
// A burst this size queues behind one local workerd, so how many requests the service sheds
// (503 + Retry-After, when Redis or Postgres cannot answer within its timeout) depends on the
// machine. What must hold whatever the speed: a shed request changed nothing and says when to
// come back, and a client that comes back with the same request gets the one result.
import { randomUUID } from "node:crypto";
import pg from "pg";
import { Agent, fetch as undiciFetch } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jobService } from "../../scripts/stack/config.ts";
import { pseudoBytes } from "../support/bytes.ts";
import { adminWorkerVars } from "../support/http-admin.ts";
import { type HttpWorker, startHttpWorker } from "../support/http-worker.ts";
import { jobClient } from "../support/job-service.ts";
import { testDatabaseUrl } from "../support/stack-env.ts";

const ADMIN_KEY = `races-${randomUUID()}`;
const MiB = 1024 * 1024;
// Every request on its own connection at once: the contention is real, not queued client-side.
const dispatcher = new Agent({ connections: null, pipelining: 0, keepAliveTimeout: 1000 });
let worker: HttpWorker;
const db = new pg.Client({ connectionString: testDatabaseUrl });

beforeAll(async () => {
  await db.connect();
  // The service's own timeouts: shedding under this burst is part of what is tested.
  worker = await startHttpWorker(adminWorkerVars(ADMIN_KEY));
}, 120_000);
afterAll(async () => {
  await worker?.stop();
  await db.end();
  await dispatcher.close();
});

const send = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
  undiciFetch(`${worker.api}${path}`, {
    method,
    dispatcher,
    redirect: "manual",
    headers: { "x-admin-key": ADMIN_KEY, ...(body === undefined ? {} : { "content-type": "application/json" }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
let lostInWrangler = 0;
let shedTotal = 0;
afterAll(() => {
  // How hard this machine pushed back: it varies with its speed and is never asserted.
  console.log(
    `races: ${shedTotal} shed answers retried after Retry-After; ${lostInWrangler} requests lost in wrangler dev's proxy and sent again`,
  );
});

interface Answer {
  status: number;
  body: string;
  replayed: boolean;
  /** How many times the service shed this request before answering it. */
  shed: number;
}

/**
 * wrangler dev's own front proxy answers this (a plain-text 503) whenever its connection to the
 * local runtime fails during a non-GET request, which happens here when the CPU is saturated
 * (it says "restarted" either way). For the client it is a connection lost mid-request, whose
 * outcome it cannot know: such a request is sent again as it was (the same Idempotency-Key),
 * which is what the key is for.
 */
const LOST_IN_WRANGLER = /^Your worker restarted mid-request/;

/**
 * Sends a request as a well-behaved client does: a shed answer (503, or 409 while the same
 * Idempotency-Key is running) must be problem+json with Retry-After, and is sent again after it.
 */
async function settled(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  for (let shed = 0; ; shed++) {
    const r = await send(method, path, body, headers);
    const text = await r.text();
    const transient = r.status === 503 || (r.status === 409 && text.includes('"IDEMPOTENCY_IN_PROGRESS"'));
    if (!transient) return { status: r.status, body: text, replayed: r.headers.get("idempotent-replayed") === "true", shed };
    if (LOST_IN_WRANGLER.test(text)) {
      lostInWrangler += 1;
      await new Promise((done) => setTimeout(done, 1000 * Math.random()));
      continue;
    }
    shedTotal += 1;
    const retryAfter = Number(r.headers.get("retry-after"));
    if (!r.headers.get("content-type")?.includes("application/problem+json") || !(retryAfter >= 1)) {
      throw new Error(`${method} ${path}: shed without problem+json and Retry-After: ${r.status} ${text.slice(0, 200)}`);
    }
    // Retry-After, spread a little so the retries do not arrive as one burst again.
    await new Promise((done) => setTimeout(done, retryAfter * 1000 * (0.5 + Math.random())));
  }
}

async function ok<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await send(method, path, body);
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return (text ? JSON.parse(text) : null) as T;
}

/** A published title whose episode (series) or file (movie) is really in S3. */
async function published(kind: "movie" | "series", sizes: number[]) {
  const t = await ok<{ id: string }>("POST", "/admin/titles", { kind, name: `Race ${kind} ${randomUUID()}` });
  const assets: { id: string }[] = [];
  for (const [i, size] of sizes.entries()) {
    const episodeId =
      kind === "series"
        ? (await ok<{ id: string }>("POST", `/admin/titles/${t.id}/episodes`, { season_number: 1, episode_number: i + 1 })).id
        : undefined;
    const bytes = pseudoBytes(size, i + 1);
    const c = await ok<{ asset: { id: string }; upload: { url: string; headers: Record<string, string> } }>(
      "POST",
      `/admin/titles/${t.id}/assets`,
      { kind: "ORIGINAL", filename: `race-${i}.mkv`, size_bytes: size, episode_id: episodeId },
    );
    const put = await fetch(c.upload.url, { method: "PUT", body: bytes, headers: c.upload.headers });
    await put.body?.cancel();
    expect(put.status).toBe(200);
    await ok("GET", `/admin/assets/${c.asset.id}/head`); // records the upload
    assets.push(c.asset);
  }
  await ok("POST", `/admin/titles/${t.id}/publish?force=true`);
  return { title: t, assets };
}

/** `total` calls of `fn`, at most `limit` of them running at once. */
async function inFlight<T>(total: number, limit: number, fn: () => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  let next = 0;
  const lane = async () => {
    while (next < total) {
      next += 1;
      out.push(await fn());
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, total) }, lane));
  return out;
}

function tally(statuses: number[]): Record<number, number> {
  const m: Record<number, number> = {};
  for (const s of statuses) m[s] = (m[s] ?? 0) + 1;
  return m;
}

describe("races at 10x", () => {
  it("1,000 redemptions of one token, 200 in flight at a time: exactly one 302, 999 × 410", async () => {
    const { assets } = await published("movie", [4096]);
    const minted = await ok<{ items: { token: string }[] }>("POST", "/admin/delivery/download-tokens/batch", {
      items: [{ asset_id: assets[0]?.id }],
      ttl_seconds: 600,
    });
    const token = minted.items[0]?.token ?? "";
    // 200 at a time, as the season test below: with all 1,000 sockets open at once, wrangler dev's
    // front proxy stalled now and then (a fresh-clone run waited out the 300 s timeout), which
    // measured wrangler dev, not the atomic redemption. The Worker test redeems 100 at once in workerd.
    let i = 0;
    const answers = await inFlight(1000, 200, () => settled("GET", `${i++ % 2 ? "/admin" : ""}/delivery/download/${token}`));
    expect(tally(answers.map((a) => a.status))).toEqual({ 302: 1, 410: 999 });
  }, 300_000);

  it("500 concurrent writes with one Idempotency-Key: the mutation runs once, all get its response", async () => {
    const key = randomUUID();
    const name = `Idempotent ${randomUUID()}`;
    const responses = await Promise.all(
      Array.from({ length: 500 }, () => settled("POST", "/admin/titles", { kind: "movie", name }, { "idempotency-key": key })),
    );
    expect(tally(responses.map((r) => r.status))).toEqual({ 201: 500 });
    expect(new Set(responses.map((r) => r.body)).size).toBe(1);
    expect(responses.filter((r) => r.replayed)).toHaveLength(499);
    const rows = await db.query("select id from titles where name = $1", [name]);
    expect(rows.rowCount).toBe(1);
    const audits = await db.query("select action from audit_logs where resource_id = $1", [rows.rows[0]?.id]);
    expect(audits.rows.map((r) => r.action)).toEqual(["title.create"]);
  }, 300_000);

  it("2,000 requests (200 at a time) for one missing season bundle start exactly one job", async () => {
    const { title } = await published("series", [MiB, MiB]);
    // 2,000 requests, 200 of them in flight at any time. More at once measures wrangler dev, not
    // us: at 2,000 simultaneous connections its front proxy stalls (thousands of connections to
    // the inner workerd, a dozen answers in three minutes); from 500 on, beside the other test
    // files, it restarts the Worker mid-request for some of them.
    const others = new Set<string>();
    const statuses = await inFlight(2000, 200, () =>
      settled("POST", "/delivery/request-bundle", { title_id: title.id, season_number: 1 }).then((a) => {
        if (a.status !== 200 && a.status !== 202) others.add(`${a.status} ${a.body.slice(0, 200)}`);
        return a.status;
      }),
    );
    expect([...others]).toEqual([]);
    expect(statuses).toHaveLength(2000);
    for (let state = ""; state !== "ready"; ) {
      const r = await ok<{ status: { state: string; error?: string } }>(
        "GET",
        `/delivery/bundle-status?title_id=${title.id}&season_number=1`,
      );
      state = r.status.state;
      if (state === "failed") throw new Error(`bundle failed: ${r.status.error}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const jobs = { items: await jobClient(jobService.url, jobService.secret).list() };
    expect(jobs.items.filter((j) => j.id.startsWith(`bundle-${title.id}-S1-`))).toHaveLength(1);
  }, 300_000);
});
