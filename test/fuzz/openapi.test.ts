// Fuzzing every operation of the generated OpenAPI document against the real stack: valid and
// hostile requests (fast-check, fixed seed), with and without credentials. Every answer must be
// a status the document lists for that operation, never a 5xx; every error is problem+json; and
// a request answered 4xx changes nothing in Postgres.
//
// Replay: FUZZ_SEED=<seed printed below> npx vitest run --project fuzz; FUZZ_REQUESTS changes the
// count, FUZZ_OP (a regular expression over "METHOD /path") picks operations, FUZZ_TRACE=1 logs each.
import { randomUUID } from "node:crypto";
import fc from "fast-check";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pseudoBytes } from "../support/bytes.ts";
import { adminOverHttp, adminWorkerVars } from "../support/http-admin.ts";
import { type HttpWorker, startHttpWorker } from "../support/http-worker.ts";
import { type Known, type OpenApiDoc, operationsOf, requestArbitrary, SchemaArbitraries } from "../support/openapi-fuzz.ts";
import { testDatabaseUrl } from "../support/stack-env.ts";

const SEED = Number(process.env.FUZZ_SEED || 20261125);
const TRACE = process.env.FUZZ_TRACE === "1";
const REQUESTS = Number(process.env.FUZZ_REQUESTS || 10_000);
const ONLY = process.env.FUZZ_OP ? new RegExp(process.env.FUZZ_OP) : null;
const ADMIN_KEY = `fuzz-${randomUUID()}`;
const OVERSIZED = 2 * 1024 * 1024;

let worker: HttpWorker;
const db = new pg.Client({ connectionString: testDatabaseUrl });

/**
 * What a request could have written in Postgres: row counts and latest updates per table. Left
 * out on purpose: audit records of failed sign-ins (a 401 is recorded, by design), and the bundle
 * rows and "bundle.built" records that a season's Durable Object writes in the background after
 * an earlier 202. `builds` counts those background builds: one that lands while a request runs
 * also expires the season's older bundles (uploaded ones included), so that request's writes
 * can't be told apart and it is not judged.
 */
async function fingerprint(): Promise<{ fp: string; builds: string }> {
  const r = await db.query<{ fp: string; builds: string }>(`select concat_ws('|',
    (select count(*) || '/' || coalesce(max(updated_at)::text, '') from titles),
    (select count(*) || '/' || coalesce(max(updated_at)::text, '') from seasons),
    (select count(*) || '/' || coalesce(max(updated_at)::text, '') from episodes),
    (select count(*) || '/' || coalesce(max(updated_at)::text, '') from media_assets),
    (select count(*) || '/' || coalesce(max(updated_at)::text, '') from admin_users),
    (select count(*) || '/' || coalesce(max(updated_at)::text, '') from bundles where source <> 'rebuild'),
    (select coalesce(max(id), 0) from audit_logs where action not in ('auth.login_failed', 'auth.mfa_failed', 'auth.login_denied', 'bundle.built'))
  ) as fp, (select count(*)::text from audit_logs where action = 'bundle.built') as builds`);
  return { fp: r.rows[0]?.fp ?? "", builds: r.rows[0]?.builds ?? "" };
}

/** A published movie and a published series, each with a real file in S3: ids worth guessing. */
async function fixtures(): Promise<Known> {
  const admin = adminOverHttp(worker.api, ADMIN_KEY);
  const uuids: string[] = [];
  const slugs: string[] = [];
  for (const kind of ["movie", "series"] as const) {
    const t = await admin<{ id: string; slug: string }>("POST", "/admin/titles", { kind, name: `Fuzz ${kind} ${randomUUID()}` });
    uuids.push(t.id);
    slugs.push(t.slug);
    let episodeId: string | undefined;
    if (kind === "series") {
      episodeId = (await admin<{ id: string }>("POST", `/admin/titles/${t.id}/episodes`, { season_number: 1, episode_number: 1 })).id;
      uuids.push(episodeId);
    }
    const bytes = pseudoBytes(4096, 9);
    const c = await admin<{ asset: { id: string }; upload: { url: string; headers: Record<string, string> } }>(
      "POST",
      `/admin/titles/${t.id}/assets`,
      { kind: kind === "movie" ? "DOWNLOAD" : "ORIGINAL", filename: `fuzz-${kind}.mp4`, size_bytes: bytes.length, episode_id: episodeId },
    );
    const put = await fetch(c.upload.url, { method: "PUT", body: bytes, headers: c.upload.headers });
    await put.body?.cancel();
    if (put.status !== 200) throw new Error(`upload: ${put.status}`);
    await admin("GET", `/admin/assets/${c.asset.id}/head`); // confirmed in the bucket: offered and signable
    uuids.push(c.asset.id);
    await admin("POST", `/admin/titles/${t.id}/publish?force=true`);
  }
  return { uuids, slugs, ints: [1] };
}

/** Names in many scripts (and generated graphemes): cursors and sorts must carry any of them. */
const UNICODE_NAMES = [
  "東京物語",
  "Москва слезам не верит",
  "Ωmega Ĳssel",
  "🎬🍿 Première",
  "محمد رسول الله",
  "שלום",
  "e\u0301le\u0300ve",
  "Zero\u200Bwidth",
  "𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
  "한국 영화",
  "ÆØÅ",
];

/** Published titles named in many scripts, under one genre of their own: their ids. */
async function unicodeCatalog(genre: string): Promise<string[]> {
  const admin = adminOverHttp(worker.api, ADMIN_KEY);
  const generated = fc
    .sample(fc.string({ unit: "grapheme", minLength: 1, maxLength: 40 }), { seed: SEED, numRuns: 25 })
    .filter((s) => s.trim() !== "");
  const ids: string[] = [];
  for (const [i, name] of [...UNICODE_NAMES, ...generated].entries()) {
    try {
      const t = await admin<{ id: string }>("POST", "/admin/titles", {
        kind: i % 2 ? "series" : "movie",
        name: `${name} ${i}`,
        genres: [genre],
        year: 1990 + (i % 7),
        popularity: i % 5,
      });
      await admin("POST", `/admin/titles/${t.id}/publish?force=true`);
      ids.push(t.id);
    } catch {
      // A generated name the API refuses (4xx) is fine: the fuzz run checks those answers.
    }
  }
  return ids;
}

/** GETs first, deletes last: fixtures stay alive for as long as possible. */
const ORDER: Record<string, number> = { GET: 0, POST: 1, PUT: 1, PATCH: 2, DELETE: 3 };

const UNICODE_GENRE = `fuzz-${randomUUID().slice(0, 8)}`;

describe("fuzzing the OpenAPI document", () => {
  let doc: OpenApiDoc;
  let known: Known;
  let unicodeIds: string[] = [];

  beforeAll(async () => {
    await db.connect();
    // Its own Worker over HTTP (real request parsing), with an admin key so that writes get
    // through and rate limits out of the way (they are tested on their own).
    worker = await startHttpWorker(
      adminWorkerVars(ADMIN_KEY, {
        RATE_LIMIT_LOGIN_IP: "1000000/60s",
        RATE_LIMIT_LOGIN_ACCOUNT: "1000000/60s",
        RATE_LIMIT_LOGIN_ACCOUNT_ALL: "1000000/60s",
      }),
    );
    doc = (await (await fetch(`${worker.api}/openapi.json`)).json()) as OpenApiDoc;
    known = await fixtures();
    unicodeIds = await unicodeCatalog(UNICODE_GENRE);
  }, 120_000);
  afterAll(async () => {
    await worker?.stop();
    await db.end();
  });

  it(`answers ${REQUESTS} generated requests (seed ${SEED}) with documented statuses, problem+json errors, no 5xx, no write on a 4xx`, async () => {
    console.info(`[fuzz] seed=${SEED} requests=${REQUESTS} (replay: FUZZ_SEED=${SEED} npx vitest run --project fuzz)`);
    const arbs = new SchemaArbitraries(doc, known);
    const ops = operationsOf(doc).sort((a, b) => (ORDER[a.method] ?? 1) - (ORDER[b.method] ?? 1));
    const perOp = Math.ceil(REQUESTS / ops.length);
    const base = worker.api.replace(/\/api\/v1$/, "");
    const failures: string[] = [];
    const statusCounts = new Map<number, number>();
    let sent = 0;
    let before = await fingerprint();

    for (const [opIndex, op] of ops.entries()) {
      if (ONLY && !ONLY.test(`${op.method} ${op.path}`)) continue;
      const opSeed = SEED + opIndex;
      const samples = fc.sample(requestArbitrary(op, arbs, { base, adminKey: ADMIN_KEY, oversizedBytes: OVERSIZED }), {
        seed: opSeed,
        numRuns: perOp,
      });
      for (const [i, r] of samples.entries()) {
        const where = `${op.method} ${op.path} [seed ${opSeed}, sample ${i}, ${r.mode}, ${r.creds}] ${r.method} ${r.url.slice(0, 200)} ${r.body?.slice(0, 200) ?? ""}`;
        if (TRACE) console.info(where);
        let res: Response;
        try {
          res = await fetch(r.url, { method: r.method, headers: r.headers, body: r.body, redirect: "manual" });
        } catch (e) {
          failures.push(`${where}: threw ${(e as Error).message}`);
          continue;
        }
        sent += 1;
        if (TRACE) console.info("->", res.status);
        statusCounts.set(res.status, (statusCounts.get(res.status) ?? 0) + 1);
        const text = await res.text();
        if (res.status >= 500) failures.push(`${where}: ${res.status} ${text.slice(0, 300)}`);
        if (!op.statuses.has(res.status)) failures.push(`${where}: undocumented status ${res.status} ${text.slice(0, 200)}`);
        if (res.status >= 400) {
          const ct = res.headers.get("content-type") ?? "";
          let problem: { status?: unknown; code?: unknown; title?: unknown; type?: unknown; detail?: unknown } = {};
          try {
            problem = JSON.parse(text);
          } catch {
            failures.push(`${where}: error body is not JSON: ${text.slice(0, 120)}`);
          }
          if (!ct.startsWith("application/problem+json")) failures.push(`${where}: error content-type ${ct}`);
          if (problem.status !== res.status || typeof problem.code !== "string" || typeof problem.title !== "string") {
            failures.push(`${where}: not a problem document: ${text.slice(0, 200)}`);
          }
        }
        const after = await fingerprint();
        if (res.status >= 400 && after.builds === before.builds && after.fp !== before.fp)
          failures.push(`${where}: ${res.status} but Postgres changed (${before.fp} → ${after.fp})`);
        before = after;
      }
    }

    console.info(
      `[fuzz] sent ${sent} requests over ${ops.length} operations; statuses: ${[...statusCounts.entries()]
        .sort((a, b) => a[0] - b[0])
        .map(([s, n]) => `${s}×${n}`)
        .join(" ")}`,
    );
    if (failures.length > 0) console.info(`[fuzz] failures:\n${failures.join("\n")}`);
    expect(failures.slice(0, 25), `${failures.length} failures (seed ${SEED})`).toEqual([]);
    expect(sent).toBeGreaterThanOrEqual(ONLY ? 1 : REQUESTS);
  }, 540_000);

  it("walks every page of every sort, through the whole catalog and through names in any script, without an error, a repeat or a gap", async () => {
    expect(unicodeIds.length).toBeGreaterThanOrEqual(UNICODE_NAMES.length);
    const walk = async (query: string, limit: number): Promise<string[]> => {
      const seen: string[] = [];
      let cursor: string | null = "";
      for (let pages = 0; cursor !== null; pages++) {
        if (pages > 2000) throw new Error(`${query}: no end after 2000 pages`);
        const url = `${worker.api}/titles?${query}&limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
        const res = await fetch(url);
        const text = await res.text();
        expect(res.status, `${url}: ${text.slice(0, 300)}`).toBe(200);
        const p = JSON.parse(text) as { items: { id: string }[]; next_cursor: string | null };
        seen.push(...p.items.map((i) => i.id));
        cursor = p.next_cursor;
      }
      expect(new Set(seen).size, `${query}: a title came twice`).toBe(seen.length);
      return seen;
    };
    const queries = [
      ...UNICODE_NAMES.slice(0, 4).map((n) => `sort=relevance&q=${encodeURIComponent(n)}`),
      ...fc
        .sample(fc.string({ unit: "grapheme", minLength: 1, maxLength: 12 }), { seed: SEED + 1, numRuns: 5 })
        .map((q) => `sort=relevance&q=${encodeURIComponent(q)}`),
    ];
    for (const sort of ["popularity", "name", "year", "newest"]) {
      // One title a page through the names in any script: every page ends on one of them.
      expect((await walk(`genre=${UNICODE_GENRE}&sort=${sort}`, 1)).sort(), sort).toEqual([...unicodeIds].sort());
      // And the whole catalog, a full page at a time.
      await walk(`sort=${sort}`, 100);
    }
    for (const q of queries) await walk(q, 3);
  }, 300_000);
});
