// The job service as the Durable Object drives it: a bundle job over HTTP against real S3.
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as zlib from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { checkArchiveFile } from "../../scripts/stack/archive-check.ts";
import { jobService } from "../../scripts/stack/config.ts";
import { pseudoBytes } from "../support/bytes.ts";
import { stackS3 } from "../support/node-stack.ts";

const s3 = stackS3();
const dir = mkdtempSync(join(tmpdir(), "mn-job-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
type Job = {
  id: string;
  state: string;
  error: string | null;
  result: { size: number; sha256: string; items: { name: string; sha256: string; size: number; source_key: string }[] } | null;
};

async function post(body: unknown) {
  const r = await fetch(`${jobService.url}/jobs`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: r.status, job: (await r.json()) as Job };
}
async function waitJob(id: string): Promise<Job> {
  for (let i = 0; i < 600; i++) {
    const j = (await (await fetch(`${jobService.url}/jobs/${id}`)).json()) as Job;
    if (j.state !== "running") return j;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("job did not finish");
}

describe("bundle job", () => {
  const prefix = `jobtest/${crypto.randomUUID()}`;
  const sources = [pseudoBytes(9 * 1024 * 1024 + 5, 1), pseudoBytes(7 * 1024 * 1024, 2), pseudoBytes(1234, 3)];
  const items = sources.map((b, i) => ({
    source_key: `${prefix}/src/E0${i + 1} source+name.mkv`,
    name: `S01E0${i + 1} - Épisode ${i + 1}.mkv`,
    size: b.length,
    crc32: i === 0 ? null : zlib.crc32(b), // the first is measured by the job
    mtime: "2026-03-04T05:06:07Z",
  }));

  it("streams a season into a ZIP that passes unzip -t and Python's zipfile, with a manifest matching the sources; a rebuild is byte-identical", async () => {
    for (const [i, b] of sources.entries()) await s3.put(items[i]?.source_key ?? "", b);
    const run = async (n: number) => {
      const id = `test-${crypto.randomUUID()}`;
      const zip_key = `${prefix}/run${n}/S01.zip`;
      const { status } = await post({
        id,
        type: "bundle",
        zip_key,
        manifest_key: `${prefix}/run${n}/S01.manifest.json`,
        title_id: "t",
        season_number: 1,
        items,
      });
      expect(status).toBe(202);
      const job = await waitJob(id);
      expect(job.state, job.error ?? "").toBe("succeeded");
      const zip = Buffer.from(await ((await s3.get(zip_key)) as Response).arrayBuffer());
      return { job, zip, manifest: JSON.parse(await ((await s3.get(`${prefix}/run${n}/S01.manifest.json`)) as Response).text()) };
    };
    const a = await run(1);
    expect(a.zip.length).toBe(a.job.result?.size);
    expect(sha(a.zip)).toBe(a.job.result?.sha256);
    expect(a.manifest.archive).toMatchObject({ size: a.zip.length, sha256: sha(a.zip) });
    expect(a.manifest.items.map((i: { sha256: string }) => i.sha256)).toEqual(sources.map(sha));
    expect(a.manifest.items.map((i: { source_key: string }) => i.source_key)).toEqual(items.map((i) => i.source_key));
    const f = join(dir, "season.zip");
    writeFileSync(f, a.zip);
    const check = checkArchiveFile(f);
    expect(check.unzip, check.unzip.output).toMatchObject({ ok: true });
    expect(check.python, check.python.output).toMatchObject({ ok: true });
    expect(check.members.map((m) => m.sha256)).toEqual(sources.map(sha));
    expect(check.members.map((m) => m.name)).toEqual(items.map((i) => i.name));

    const b = await run(2);
    expect(sha(b.zip)).toBe(sha(a.zip));
  }, 120_000);

  it("runs a job id once, however often it is posted", async () => {
    for (const [i, b] of sources.entries()) await s3.put(items[i]?.source_key ?? "", b);
    const id = `once-${crypto.randomUUID()}`;
    const body = {
      id,
      type: "bundle",
      zip_key: `${prefix}/once/S01.zip`,
      manifest_key: `${prefix}/once/m.json`,
      title_id: "t",
      season_number: 1,
      items: items.slice(2),
    };
    const results = await Promise.all(Array.from({ length: 10 }, () => post(body)));
    expect(results.filter((r) => r.status === 202)).toHaveLength(1);
    expect((await waitJob(id)).state).toBe("succeeded");
    const list = (await (await fetch(`${jobService.url}/jobs`)).json()) as { items: Job[] };
    expect(list.items.filter((j) => j.id === id)).toHaveLength(1);
  });

  it("a failure aborts the multipart upload, leaving nothing behind", async () => {
    const id = `fail-${crypto.randomUUID()}`;
    const zip_key = `${prefix}/fail/S01.zip`;
    await s3.put(`${prefix}/fail/ok.mkv`, pseudoBytes(9 * 1024 * 1024, 4));
    const broken = [
      { source_key: `${prefix}/fail/ok.mkv`, name: "a.mkv", size: 9 * 1024 * 1024, crc32: null, mtime: "2026-01-01T00:00:00Z" },
      { source_key: `${prefix}/fail/missing.mkv`, name: "b.mkv", size: 10, crc32: 1, mtime: "2026-01-01T00:00:00Z" },
    ];
    await post({ id, type: "bundle", zip_key, manifest_key: `${prefix}/fail/m.json`, title_id: "t", season_number: 1, items: broken });
    const j = await waitJob(id);
    expect(j.state).toBe("failed");
    expect(j.error).toMatch(/missing/);
    expect(await s3.listMultipartUploads(`${prefix}/fail/`)).toEqual([]);
    expect(await s3.head(zip_key)).toBeNull();
  });

  it("a source that changed since its CRC was recorded fails the job instead of writing a corrupt archive", async () => {
    const id = `crc-${crypto.randomUUID()}`;
    await s3.put(`${prefix}/crc/a.mkv`, Buffer.from("changed content"));
    await post({
      id,
      type: "bundle",
      zip_key: `${prefix}/crc/S01.zip`,
      manifest_key: `${prefix}/crc/m.json`,
      title_id: "t",
      season_number: 1,
      items: [{ source_key: `${prefix}/crc/a.mkv`, name: "a.mkv", size: 15, crc32: 12345, mtime: "2026-01-01T00:00:00Z" }],
    });
    const j = await waitJob(id);
    expect(j.state).toBe("failed");
    expect(j.error).toMatch(/CRC-32/);
    expect(await s3.listMultipartUploads(`${prefix}/crc/`)).toEqual([]);
  });

  it("a checksum job hashes one object; a failed job id may be started again, a finished one is not", async () => {
    const key = `${prefix}/sum/big.bin`;
    const id = `sum-${crypto.randomUUID()}`;
    // Nothing there yet: the job fails…
    expect((await post({ id, type: "checksum", key })).status).toBe(202);
    expect((await waitJob(id)).state).toBe("failed");
    // …and, once the object exists, the same id runs again and succeeds.
    const body = pseudoBytes(3 * 1024 * 1024 + 1, 9);
    await s3.put(key, body);
    expect((await post({ id, type: "checksum", key })).status).toBe(202);
    const done = await waitJob(id);
    expect(done.state).toBe("succeeded");
    expect(done.result).toMatchObject({ sha256: sha(body), crc32: zlib.crc32(body), size: body.length });
    expect((await post({ id, type: "checksum", key })).status).toBe(200);
  });

  it("answers health, metrics, and validation errors", async () => {
    expect(((await (await fetch(`${jobService.url}/healthz`)).json()) as { ok: boolean }).ok).toBe(true);
    const m = await (await fetch(`${jobService.url}/metrics`)).text();
    expect(m).toMatch(/^moviesnow_jobs_started_total \d+$/m);
    expect(m).toMatch(/moviesnow_process_resident_memory_bytes \d+/);
    expect((await post({ id: "x", type: "bundle", items: [] })).status).toBe(400);
  });
});
