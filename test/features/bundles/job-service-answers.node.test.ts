// What the SeasonBundle object does with the job service's answers. The Worker under wrangler
// dev, its runner a job service of this file's own (cap 1) behind a proxy that can rewrite a
// job's reported result, as a forged or confused answer would.
// - Busy: the service answers 503 with Retry-After while its one place is held by a stalled job;
//   the object waits, queued, without spending an attempt, then builds as soon as a place is free.
// - Lying: a succeeded job that reports keys other than those it was given publishes nothing.
import * as zlib from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jobService } from "../../../scripts/stack/config.ts";
import { WAITING_FOR_RUNNER } from "../../../src/features/bundles/contract.ts";
import { pseudoBytes } from "../../support/bytes.ts";
import { adminOverHttp, adminWorkerVars } from "../../support/http-admin.ts";
import { type HttpWorker, startHttpWorker } from "../../support/http-worker.ts";
import { jobKeys } from "../../support/job-service.ts";
import { jobServiceViaProxy } from "../../support/job-service-via-proxy.ts";
import { type RewritingProxy, startRewritingProxy } from "../../support/rewriting-proxy.ts";

const adminKey = `busy-${crypto.randomUUID()}`;
let svc: Awaited<ReturnType<typeof jobServiceViaProxy>>;
let worker: HttpWorker;
let liar: RewritingProxy;
/** Titles whose jobs' answers the proxy rewrites to name the title's original file as the ZIP. */
const lieFor = new Map<string, string>();

beforeAll(async () => {
  // Reads of the blocker's source stall: its job holds the service's one place until cancelled.
  svc = await jobServiceViaProxy((_method, path) => (path.includes("/blocker-") ? { kind: "delay", ms: 120_000 } : { kind: "pass" }), {
    JOB_MAX_CONCURRENT: "1",
    JOB_BUSY_RETRY_AFTER_SECONDS: "1",
    JOB_S3_IDLE_TIMEOUT_MS: "300000",
  });
  // Passes everything, rewriting GET /jobs/{id} answers for lieFor's titles.
  liar = await startRewritingProxy(svc.base, {
    rewrite: (req, status, body) => {
      if (req.method !== "GET" || !req.url?.startsWith("/jobs/") || status !== 200) return body;
      const job = JSON.parse(body.toString()) as { result?: { zip_key?: string } | null };
      for (const [titleId, original] of lieFor) if (job.result?.zip_key?.includes(titleId)) job.result.zip_key = original;
      return Buffer.from(JSON.stringify(job));
    },
  });
  const runnerUrl = liar.origin;
  worker = await startHttpWorker(adminWorkerVars(adminKey, { JOB_RUNNER_URL: runnerUrl, JOB_SERVICE_SECRET: jobService.secret }));
}, 180_000);
afterAll(async () => {
  await worker?.stop();
  await svc?.close();
  liar?.close();
});

/** A published series whose season 1 has one small episode file, made over the API. */
async function seasonOverHttp() {
  const admin = adminOverHttp(worker.api, adminKey);
  const title = await admin<{ id: string }>("POST", "/admin/titles", { kind: "series", name: `Busy ${crypto.randomUUID()}` });
  const ep = await admin<{ id: string }>("POST", `/admin/titles/${title.id}/episodes`, { season_number: 1, episode_number: 1 });
  const bytes = pseudoBytes(256 * 1024, 3);
  const created = await admin<{ asset: { id: string; storage_key: string }; upload: { url: string; headers: Record<string, string> } }>(
    "POST",
    `/admin/titles/${title.id}/assets`,
    {
      kind: "ORIGINAL",
      episode_id: ep.id,
      filename: "Pilot.mkv",
      content_type: "video/x-matroska",
      size_bytes: bytes.length,
    },
  );
  const put = await fetch(created.upload.url, { method: "PUT", body: bytes, headers: created.upload.headers });
  await put.body?.cancel();
  expect(put.status).toBe(200);
  await admin("GET", `/admin/assets/${created.asset.id}/head`);
  await admin("POST", `/admin/titles/${title.id}/publish?force=true`);
  return { titleId: title.id, originalKey: created.asset.storage_key };
}

type Status = { status: { state: string; attempt: number; error: string | null } };
const askFor = async (titleId: string) => {
  const asked = await fetch(`${worker.api}/delivery/request-bundle`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ title_id: titleId, season_number: 1 }),
  });
  expect(asked.status).toBe(202);
  await asked.body?.cancel();
};
const settled = async (titleId: string) => {
  let last: Status["status"] | undefined;
  for (let i = 0; i < 200; i++) {
    last = (await statusOf(titleId)).status;
    if (last.state === "ready" || last.state === "failed") break;
    await new Promise((r) => setTimeout(r, 150));
  }
  return last;
};
const statusOf = async (titleId: string) =>
  (await (await fetch(`${worker.api}/delivery/bundle-status?title_id=${titleId}&season_number=1`)).json()) as Status;

describe("a season asked for while the job service is full", () => {
  it("waits queued, spending no attempt, and is built once a place is free", async () => {
    const { titleId } = await seasonOverHttp();
    const { sources: _unused, ...out } = jobKeys();
    const blocker = {
      id: `blocker-${crypto.randomUUID()}`,
      type: "bundle",
      ...out,
      items: [
        {
          source_key: `originals/${crypto.randomUUID()}/blocker-source.mkv`,
          name: "S01E01.mkv",
          size: 1024,
          crc32: zlib.crc32(new Uint8Array(1024)),
          mtime: "2026-01-01T00:00:00Z",
        },
      ],
    };
    expect((await svc.jobs.post(blocker)).status).toBe(202);

    await askFor(titleId);

    // Refused again and again (Retry-After: 1 s) while the blocker runs: still queued, attempt 1,
    // and the public status says it waits rather than that something failed.
    const seen: Status["status"][] = [];
    for (let i = 0; i < 40 && seen.filter((s) => s.error === WAITING_FOR_RUNNER).length < 3; i++) {
      seen.push((await statusOf(titleId)).status);
      await new Promise((r) => setTimeout(r, 250));
    }
    const busy = seen.filter((s) => s.error === WAITING_FOR_RUNNER);
    expect(busy.length).toBeGreaterThanOrEqual(3);
    for (const s of busy) expect(s).toMatchObject({ state: "queued", attempt: 1 });
    expect(seen.every((s) => s.state !== "failed")).toBe(true);

    // The place frees up: the season is built on its first attempt.
    expect((await svc.jobs.call("DELETE", `/jobs/${encodeURIComponent(blocker.id)}`)).status).toBe(202);
    expect(await settled(titleId)).toMatchObject({ state: "ready", attempt: 1 });
  }, 120_000);
});

describe("a job that reports keys it was not given", () => {
  it("publishes nothing: the season fails, and neither the reported key nor a bundle is signed", async () => {
    const { titleId, originalKey } = await seasonOverHttp();
    // The title's original is downloadable; the lie would make it the season's public "bundle".
    lieFor.set(titleId, originalKey);
    await askFor(titleId);
    const last = await settled(titleId);
    expect(last?.state).toBe("failed");
    const url = await fetch(`${worker.api}/delivery/bundle-url`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ title_id: titleId, season_number: 1 }),
    });
    expect(url.status).toBe(404);
    await url.body?.cancel();
    const admin = adminOverHttp(worker.api, adminKey);
    const list = await admin<{ items: { storage_key: string; status: string }[] }>("GET", `/admin/titles/${titleId}/bundles`);
    expect(list.items.filter((b) => b.status === "ready")).toEqual([]);
    expect(list.items.map((b) => b.storage_key)).not.toContain(originalKey);
  }, 120_000);
});
