// The job service as the Durable Object drives it: a bundle job over HTTP against real S3.
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as zlib from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../container/src/config.ts";
import { checkArchiveFile } from "../../scripts/stack/archive-check.ts";
import { jobService } from "../../scripts/stack/config.ts";
import { bundleManifestSchema } from "../../src/features/bundles/contract.ts";
import { JOB_AUTH_HEADERS, signJobRequest } from "../../src/lib/job-auth.ts";
import { pseudoBytes } from "../support/bytes.ts";
import { jobClient, jobKeys } from "../support/job-service.ts";
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

const jobs = jobClient(jobService.url, jobService.secret);
async function post(body: unknown) {
  const r = await jobs.post(body);
  return { status: r.status, job: (await r.json()) as Job };
}
async function waitJob(id: string): Promise<Job> {
  for (let i = 0; i < 600; i++) {
    const j = (await (await jobs.get(id)).json()) as Job;
    if (j.state !== "running") return j;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("job did not finish");
}

describe("bundle job", () => {
  const prefix = `originals/${crypto.randomUUID()}`;
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
      const { sources: _s, ...out } = jobKeys(n);
      const zip_key = out.zip_key;
      const { status } = await post({ id, type: "bundle", ...out, items });
      expect(status).toBe(202);
      const job = await waitJob(id);
      expect(job.state, job.error ?? "").toBe("succeeded");
      const zip = Buffer.from(await ((await s3.get(zip_key)) as Response).arrayBuffer());
      return { job, zip, manifest: JSON.parse(await ((await s3.get(out.manifest_key)) as Response).text()) };
    };
    const a = await run(1);
    expect(a.zip.length).toBe(a.job.result?.size);
    expect(sha(a.zip)).toBe(a.job.result?.sha256);
    expect(a.manifest.archive).toMatchObject({ size: a.zip.length, sha256: sha(a.zip) });
    expect(bundleManifestSchema.safeParse(a.manifest).error).toBeUndefined();
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
    const { sources: _s, ...out } = jobKeys();
    const body = { id, type: "bundle", ...out, items: items.slice(2) };
    const results = await Promise.all(Array.from({ length: 10 }, () => post(body)));
    expect(results.filter((r) => r.status === 202)).toHaveLength(1);
    expect((await waitJob(id)).state).toBe("succeeded");
    expect((await jobs.list<Job>()).filter((j) => j.id === id)).toHaveLength(1);
  });

  it("a failure aborts the multipart upload, leaving nothing behind", async () => {
    const id = `fail-${crypto.randomUUID()}`;
    const { sources: _s, ...out } = jobKeys();
    const zip_key = out.zip_key;
    await s3.put(`${prefix}/fail/ok.mkv`, pseudoBytes(9 * 1024 * 1024, 4));
    const broken = [
      { source_key: `${prefix}/fail/ok.mkv`, name: "a.mkv", size: 9 * 1024 * 1024, crc32: null, mtime: "2026-01-01T00:00:00Z" },
      { source_key: `${prefix}/fail/missing.mkv`, name: "b.mkv", size: 10, crc32: 1, mtime: "2026-01-01T00:00:00Z" },
    ];
    await post({ id, type: "bundle", ...out, items: broken });
    const j = await waitJob(id);
    expect(j.state).toBe("failed");
    expect(j.error).toMatch(/missing/);
    expect(await s3.listMultipartUploads(zip_key)).toEqual([]);
    expect(await s3.head(zip_key)).toBeNull();
  });

  it("a source that changed since its CRC was recorded fails the job instead of writing a corrupt archive", async () => {
    const id = `crc-${crypto.randomUUID()}`;
    await s3.put(`${prefix}/crc/a.mkv`, Buffer.from("changed content"));
    const { sources: _s, ...out } = jobKeys();
    await post({
      id,
      type: "bundle",
      ...out,
      items: [{ source_key: `${prefix}/crc/a.mkv`, name: "a.mkv", size: 15, crc32: 12345, mtime: "2026-01-01T00:00:00Z" }],
    });
    const j = await waitJob(id);
    expect(j.state).toBe("failed");
    expect(j.error).toMatch(/CRC-32/);
    expect(await s3.listMultipartUploads(out.zip_key)).toEqual([]);
  });

  it("hashes a member whose SHA-256 an operator gave (no CRC-32 recorded with it): other bytes fail the job", async () => {
    const key = `${prefix}/given/a.mkv`;
    const body = pseudoBytes(3 * 1024 * 1024 + 7, 31);
    const { etag } = await s3.put(key, body);
    const { sources: _s, ...out } = jobKeys();
    const id = `given-${crypto.randomUUID()}`;
    const item = {
      source_key: key,
      name: "a.mkv",
      size: body.length,
      crc32: null,
      sha256: sha(pseudoBytes(16, 32)),
      etag,
      mtime: "2026-01-01T00:00:00Z",
    };
    await post({ id, type: "bundle", ...out, items: [item] });
    const j = await waitJob(id);
    expect(j.state).toBe("failed");
    expect(j.error).toMatch(/SHA-256 is not the one recorded/);
    expect(await s3.listMultipartUploads(out.zip_key)).toEqual([]);
    expect(await s3.head(out.zip_key)).toBeNull();
  });

  it("takes the SHA-256 the service recorded with a CRC-32 and an ETag as that version's own, without hashing it again; the CRC-32 is still checked", async () => {
    const key = `${prefix}/checksummed/a.mkv`;
    const body = pseudoBytes(3 * 1024 * 1024 + 11, 33);
    const { etag } = await s3.put(key, body);
    // A stand-in for the recorded value, so the manifest shows which one the job used.
    const recorded = sha(pseudoBytes(16, 34));
    const item = {
      source_key: key,
      name: "a.mkv",
      size: body.length,
      crc32: zlib.crc32(body),
      sha256: recorded,
      etag,
      mtime: "2026-01-01T00:00:00Z",
    };
    const { sources: _src, ...built } = jobKeys();
    const id = `checksummed-${crypto.randomUUID()}`;
    await post({ id, type: "bundle", ...built, items: [item] });
    const j = await waitJob(id);
    expect(j.state, j.error ?? "").toBe("succeeded");
    expect(j.result?.items[0]?.sha256).toBe(recorded);
    const manifest = bundleManifestSchema.parse(await ((await s3.get(built.manifest_key)) as Response).json());
    expect(manifest.items[0]?.sha256).toBe(recorded);

    const { sources: _s, ...out } = jobKeys();
    const bad = `checksummed-crc-${crypto.randomUUID()}`;
    await post({ id: bad, type: "bundle", ...out, items: [{ ...item, crc32: (zlib.crc32(body) ^ 1) >>> 0, sha256: sha(body) }] });
    const failed = await waitJob(bad);
    expect(failed.state).toBe("failed");
    expect(failed.error).toMatch(/CRC-32/);
    expect(await s3.listMultipartUploads(out.zip_key)).toEqual([]);
  });

  it("reads each source only as the version its checksums came from: a same-size replacement fails the job at once (412)", async () => {
    const key = `${prefix}/etag/a.mkv`;
    const before = pseudoBytes(64 * 1024, 21);
    const { etag } = await s3.put(key, before);
    await s3.put(key, pseudoBytes(before.length, 22)); // another version, same size
    const { sources: _s, ...out } = jobKeys();
    const id = `etag-${crypto.randomUUID()}`;
    const item = { source_key: key, name: "a.mkv", size: before.length, crc32: zlib.crc32(before), etag, mtime: "2026-01-01T00:00:00Z" };
    await post({ id, type: "bundle", ...out, items: [item] });
    const j = await waitJob(id);
    expect(j.state).toBe("failed");
    expect(j.error).toMatch(/412/);
    expect(await s3.listMultipartUploads(out.zip_key)).toEqual([]);
    // A checksum job asked for that version fails the same way rather than hash the replacement.
    const sumId = `sum-etag-${crypto.randomUUID()}`;
    await post({ id: sumId, type: "checksum", key, if_match: etag });
    const sum = await waitJob(sumId);
    expect(sum.state).toBe("failed");
    expect(sum.error).toMatch(/412/);
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

  it("runs a minor collection for every 2 MiB it reads from S3, as the image's node flags let it", async () => {
    const pacedGcs = async () =>
      Number(/^moviesnow_paced_gc_total\{kind="minor"\} (\d+)$/m.exec(await (await jobs.call("GET", "/metrics")).text())?.[1]);
    const b = pseudoBytes(5 * 1024 * 1024, 7);
    const key = `${prefix}/src/paced.mkv`;
    await s3.put(key, b);
    const before = await pacedGcs();
    const id = `test-${crypto.randomUUID()}`;
    const { sources: _s, ...out } = jobKeys();
    const item = { source_key: key, name: "S01E01.mkv", size: b.length, crc32: zlib.crc32(b), mtime: "2026-03-04T05:06:07Z" };
    expect((await post({ id, type: "bundle", ...out, items: [item] })).status).toBe(202);
    expect((await waitJob(id)).state).toBe("succeeded");
    expect((await pacedGcs()) - before).toBeGreaterThanOrEqual(2);
  });

  it("answers health, metrics, and validation errors", async () => {
    expect(((await (await fetch(`${jobService.url}/healthz`)).json()) as { ok: boolean }).ok).toBe(true);
    const m = await (await jobs.call("GET", "/metrics")).text();
    expect(m).toMatch(/^moviesnow_jobs_started_total \d+$/m);
    expect(m).toMatch(/moviesnow_process_resident_memory_bytes \d+/);
    expect((await post({ id: "x", type: "bundle", items: [] })).status).toBe(400);
  });
});

describe("who the job service answers", () => {
  const url = (path: string) => `${jobService.url}${path}`;
  const signed = (method: string, path: string, body = "", secret = jobService.secret, now = Date.now()) =>
    signJobRequest(secret, { method, path, body }, now);

  it("answers only calls signed with the shared secret: unsigned, wrongly keyed, stale, altered and replayed ones get 401", async () => {
    const status = async (init: RequestInit, path = "/jobs") => {
      const r = await fetch(url(path), init);
      await r.body?.cancel();
      return r.status;
    };
    expect(await status({})).toBe(401);
    expect(await status({ headers: await signed("GET", "/jobs", "", "another-secret-of-at-least-32-characters!") })).toBe(401);
    expect(await status({ headers: await signed("GET", "/jobs", "", jobService.secret, Date.now() - 120_000) })).toBe(401);
    // Signed for one path, sent to another.
    expect(await status({ headers: await signed("GET", "/jobs/a") }, "/jobs/b")).toBe(401);
    // Signed for one body, sent with another.
    const { sources: _s, ...out } = jobKeys();
    const honest = JSON.stringify({ id: `alter-${crypto.randomUUID()}`, type: "checksum", key: `${out.zip_key}` });
    const h = await signed("POST", "/jobs", JSON.stringify({ id: "x", type: "checksum", key: "originals/x/y" }));
    expect(await status({ method: "POST", headers: { ...h, "content-type": "application/json" }, body: honest })).toBe(401);
    // The same signed call twice: the second is a replay.
    const once = await signed("GET", "/jobs");
    expect(await status({ headers: once })).toBe(200);
    expect(await status({ headers: once })).toBe(401);
    // Health stays open (probes carry no secret) and tells nothing about jobs; metrics do, so they are signed.
    expect(await status({}, "/healthz")).toBe(200);
    expect(await status({}, "/metrics")).toBe(401);
    expect((await jobs.call("GET", "/metrics")).status).toBe(200);
    expect(Object.values(JOB_AUTH_HEADERS)).toHaveLength(3);
  });

  it("takes only application/json bodies up to its limit", async () => {
    const body = JSON.stringify({ id: `ct-${crypto.randomUUID()}`, type: "checksum", key: "originals/x/y.bin" });
    const r1 = await fetch(url("/jobs"), {
      method: "POST",
      headers: { ...(await signed("POST", "/jobs", body)), "content-type": "text/plain" },
      body,
    });
    expect(r1.status).toBe(415);
    await r1.body?.cancel();
    const big = "x".repeat(17 * 1024 * 1024);
    const r2 = await fetch(url("/jobs"), {
      method: "POST",
      headers: { ...(await signed("POST", "/jobs", big)), "content-type": "application/json" },
      body: big,
    }).catch(() => null);
    // Refused before the body is read: 413, or the connection closed while sending.
    if (r2) {
      expect(r2.status).toBe(413);
      await r2.body?.cancel();
    }
  });

  it("a job reads only uploaded originals, downloads, subtitles and artwork, and writes only its own season's bundle and manifest", async () => {
    const { sources, ...out } = jobKeys();
    const item = (source_key: string) => ({ source_key, name: "a.mkv", size: 1, crc32: null, mtime: "2026-01-01T00:00:00Z" });
    const refused = async (job: Record<string, unknown>) => {
      const r = await post({ id: `guard-${crypto.randomUUID()}`, ...job });
      return r.status;
    };
    const bundle = { type: "bundle", ...out, items: [item(`${sources}/a.mkv`)] };
    // Sources outside originals/ and downloads/: another season's bundle, a draft's bundle, traversal.
    expect(await refused({ ...bundle, items: [item(`bundles/${crypto.randomUUID()}/S01.zip`)] })).toBe(400);
    expect(await refused({ ...bundle, items: [item(`${sources}/../../bundles/x/S01.zip`)] })).toBe(400);
    expect(await refused({ ...bundle, items: [item("/etc/passwd")] })).toBe(400);
    // Outputs anywhere but the season's own keys.
    expect(await refused({ ...bundle, zip_key: `${sources}/a.mkv` })).toBe(400);
    expect(await refused({ ...bundle, zip_key: `bundles/${crypto.randomUUID()}/S01.zip` })).toBe(400);
    expect(await refused({ ...bundle, manifest_key: `${sources}/m.json` })).toBe(400);
    expect(await refused({ ...bundle, title_id: "t" })).toBe(400);
    // A DEFLATEd member is read into memory whole: a large one is refused, and only text is given inline.
    const big = { ...item(`${sources}/a.srt`), size: 8 * 1024 * 1024 + 1, method: "deflate" };
    expect(await refused({ ...bundle, items: [big] })).toBe(400);
    expect(await refused({ ...bundle, items: [{ name: "a.nfo", text: "x".repeat(256 * 1024 + 1), mtime: "2026-01-01T00:00:00Z" }] })).toBe(
      400,
    );
    expect(await refused({ ...bundle, items: [{ ...item(`${sources}/a.srt`), method: "gzip" }] })).toBe(400);
    // Checksums of asset objects only.
    expect(await refused({ type: "checksum", key: out.zip_key })).toBe(400);
    expect(await refused({ type: "checksum", key: "originals/../bundles/x" })).toBe(400);
  });

  it("listens on loopback unless told otherwise, and will not start without a long enough secret", () => {
    const base = { AWS_BUCKET_NAME: "b", AWS_REGION: "r", AWS_ACCESS_KEY_ID: "k", AWS_SECRET_ACCESS_KEY: "s" };
    expect(loadConfig({ ...base, JOB_SERVICE_SECRET: jobService.secret }).host).toBe("127.0.0.1");
    expect(() => loadConfig(base)).toThrow(/JOB_SERVICE_SECRET is required/);
    expect(() => loadConfig({ ...base, JOB_SERVICE_SECRET: "short" })).toThrow(/at least 32/);
  });
});
