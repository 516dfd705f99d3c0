// `moviesnow smoke` against the Worker under wrangler dev on the local stack: every check passes on
// a healthy API with a published movie (file + stream) and series, nothing in Postgres changes,
// and a broken deployment (storage unreachable, or no API at all) exits 1 naming what failed.
import { spawn } from "node:child_process";
import { createHash, randomUUID } from "node:crypto";
import { resolve } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../../scripts/stack/proc.ts";
import { pseudoBytes } from "../../support/bytes.ts";
import { adminOverHttp, adminWorkerVars } from "../../support/http-admin.ts";
import { type HttpWorker, startHttpWorker } from "../../support/http-worker.ts";
import { testDatabaseUrl } from "../../support/stack-env.ts";

const root = resolve(import.meta.dirname, "../../..");
const ADMIN_KEY = `smoke-${randomUUID()}`;
let worker: HttpWorker;
const db = new pg.Client({ connectionString: testDatabaseUrl });

interface Report {
  ok: boolean;
  checks: { check: string; outcome: "ok" | "skip" | "fail"; detail: string }[];
}

const smoke = (api: string) =>
  new Promise<{ status: number | null; report: Report; stderr: string }>((done) => {
    const child = spawn(process.execPath, [resolve(root, "bin/moviesnow.cjs"), "smoke", "--api", api, "--json", "--timeout-ms", "30000"], {
      cwd: root,
      env: { ...process.env, MOVIESNOW_ADMIN_KEY: "", MOVIESNOW_PUBLIC_API_KEY: "" },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (status) => done({ status, report: JSON.parse(stdout || "{}") as Report, stderr }));
  });

/** Rows and the newest write of every table the API writes to. */
async function footprint(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const t of ["titles", "seasons", "episodes", "media_assets", "bundles", "audit_logs"]) {
    const col = t === "audit_logs" ? "at" : "updated_at";
    const r = await db.query(`select count(*)::text as n, coalesce(max(${col})::text, '') as newest from ${t}`);
    out[t] = `${r.rows[0]?.n} ${r.rows[0]?.newest}`;
  }
  return out;
}

beforeAll(async () => {
  await db.connect();
  worker = await startHttpWorker(adminWorkerVars(ADMIN_KEY));
  const admin = adminOverHttp(worker.api, ADMIN_KEY);
  const upload = async (titleId: string, body: Record<string, unknown>, bytes: Uint8Array) => {
    const c = await admin<{ asset: { id: string }; upload: { url: string; headers: Record<string, string> } }>(
      "POST",
      `/admin/titles/${titleId}/assets`,
      { ...body, size_bytes: bytes.length },
    );
    const put = await fetch(c.upload.url, { method: "PUT", body: Buffer.from(bytes), headers: c.upload.headers });
    await put.body?.cancel();
    if (put.status !== 200) throw new Error(`PUT ${put.status}`);
    await admin("GET", `/admin/assets/${c.asset.id}/head`);
    return c.asset.id;
  };
  // Popular enough to be on the first catalog page whatever else the test database holds.
  const movie = await admin<{ id: string }>("POST", "/admin/titles", {
    kind: "movie",
    name: `Smoke movie ${randomUUID()}`,
    popularity: 1e9,
  });
  await upload(movie.id, { kind: "ORIGINAL", filename: "smoke.mkv" }, pseudoBytes(4096, 7));
  const playlist = "#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXTINF:4.0,\nseg0.m4s\n#EXT-X-ENDLIST\n";
  const playlistBytes = new TextEncoder().encode(playlist);
  const tier = await upload(
    movie.id,
    { kind: "HLS", filename: "index.m3u8", stream_tier: 720, is_streamable: true, content_type: "application/vnd.apple.mpegurl" },
    playlistBytes,
  );
  // As an operator does: the tier's segment beside its playlist, then finalize (only a finalized tier is offered).
  const files = await admin<{ files: { url: string; headers: Record<string, string> }[] }>("POST", `/admin/assets/${tier}/files`, {
    paths: ["seg0.m4s"],
  });
  for (const f of files.files) {
    const put = await fetch(f.url, { method: "PUT", body: Buffer.from(pseudoBytes(2048, 8)), headers: f.headers });
    await put.body?.cancel();
    if (put.status !== 200) throw new Error(`PUT ${put.status}`);
  }
  await admin("POST", `/admin/assets/${tier}/finalize`, {
    size_bytes: playlistBytes.length,
    content_type: "application/vnd.apple.mpegurl",
    sha256: createHash("sha256").update(playlistBytes).digest("hex"),
  });
  await admin("POST", `/admin/titles/${movie.id}/publish?force=true`);
  const series = await admin<{ id: string }>("POST", "/admin/titles", {
    kind: "series",
    name: `Smoke series ${randomUUID()}`,
    popularity: 1e9,
  });
  await admin("POST", `/admin/titles/${series.id}/episodes`, { season_number: 1, episode_number: 1 });
  await admin("POST", `/admin/titles/${series.id}/publish?force=true`);
}, 120_000);
afterAll(async () => {
  await worker?.stop();
  await db.end();
});

describe("moviesnow smoke", () => {
  it("passes every check against a healthy API and changes nothing", async () => {
    const before = await footprint();
    const r = await smoke(worker.api);
    expect(r.status, JSON.stringify(r.report.checks, null, 2) + r.stderr).toBe(0);
    expect(r.report.ok).toBe(true);
    expect(r.report.checks.map((c) => [c.check, c.outcome])).toEqual([
      ["health", "ok"],
      ["ready", "ok"],
      ["catalog", "ok"],
      ["title detail", "ok"],
      ["download", "ok"],
      ["stream playlist", "ok"],
      ["bundle status", "ok"],
    ]);
    expect(r.report.checks.find((c) => c.check === "download")?.detail).toMatch(/: 206, 1024 bytes from 127\.0\.0\.1:/);
    expect(r.report.checks.find((c) => c.check === "title detail")?.detail).toMatch(/^Smoke (movie|series) .* \(\d+ seasons\)$/);
    expect(await footprint()).toEqual(before);
  }, 120_000);

  it("exits 1 and names the failures when storage is unreachable", async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    const broken = await startHttpWorker(
      adminWorkerVars(ADMIN_KEY, { S3_ENDPOINT: dead, DEPENDENCY_TIMEOUT_MS: "1000", READY_TIMEOUT_MS: "500" }),
    );
    try {
      const r = await smoke(broken.api);
      expect(r.status).toBe(1);
      expect(r.report.ok).toBe(false);
      const byName = Object.fromEntries(r.report.checks.map((c) => [c.check, c]));
      expect(byName.health?.outcome).toBe("ok");
      expect(byName.ready).toMatchObject({ outcome: "fail", detail: expect.stringMatching(/503 DEPENDENCY_UNAVAILABLE: .*s3/i) });
      expect(byName.download?.outcome).toBe("fail");
    } finally {
      await broken.stop();
    }
  }, 120_000);

  it("exits 1 when there is no API at the address", async () => {
    const r = await smoke(`http://127.0.0.1:${await freePort()}/api/v1`);
    expect(r.status).toBe(1);
    expect(r.report.checks[0]).toMatchObject({ check: "health", outcome: "fail", detail: expect.stringMatching(/ECONNREFUSED/) });
  }, 60_000);
});
