// The bundle job against an S3 that misbehaves (a proxy in front of the real one): a download
// cut mid-body resumes with a Range request, a part answered 503 is uploaded again, and the
// archive still passes unzip and Python with every member intact. When S3 keeps failing, the
// job fails and its multipart upload is aborted.
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as zlib from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import type { Job } from "../../container/src/server.ts";
import { checkArchiveFile } from "../../scripts/stack/archive-check.ts";
import { pseudoBytes } from "../support/bytes.ts";
import type { Fault } from "../support/fault-proxy.ts";
import { jobKeys } from "../support/job-service.ts";
import { jobServiceViaProxy } from "../support/job-service-via-proxy.ts";
import { stackS3 } from "../support/node-stack.ts";

const MiB = 1024 * 1024;
const s3 = stackS3();
const dir = mkdtempSync(join(tmpdir(), "mn-jobfault-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

/** A job service in this process whose S3 is behind the fault proxy, and a way to run a job to its end. */
async function jobServiceVia(decide: (method: string, path: string) => Fault, env: Record<string, string> = {}) {
  const svc = await jobServiceViaProxy(decide, { JOB_MIN_PART_SIZE: String(5 * MiB), ...env });
  const run = async (body: Record<string, unknown>): Promise<Job> => {
    const id = `fault-${crypto.randomUUID()}`;
    const posted = await svc.jobs.post({ id, type: "bundle", ...body });
    expect(posted.status).toBe(202);
    for (let i = 0; i < 1200; i++) {
      const j = (await (await svc.jobs.get(id)).json()) as Job;
      if (j.state !== "running") return j;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error("job did not finish");
  };
  return { ...svc, run };
}

describe("bundle job against a faulty S3", () => {
  const prefix = `originals/${crypto.randomUUID()}`;
  const sources = [pseudoBytes(7 * MiB + 3, 11), pseudoBytes(6 * MiB, 12)];
  const items = sources.map((b, i) => ({
    source_key: `${prefix}/src/E0${i + 1}.mkv`,
    name: `S01E0${i + 1}.mkv`,
    size: b.length,
    crc32: zlib.crc32(b),
    mtime: "2026-02-03T04:05:06Z",
  }));

  /** Runs a bundle job of `sources` through `svc`; it must succeed with an archive every reader accepts. */
  async function expectSoundBuild(svc: { run: (body: Record<string, unknown>) => Promise<Job> }, name: string) {
    const { sources: _unused, ...out } = jobKeys();
    const job = await svc.run({ ...out, items });
    expect(job.state, job.error ?? "").toBe("succeeded");
    const f = join(dir, `${name}.zip`);
    writeFileSync(f, Buffer.from(await ((await s3.get(out.zip_key)) as Response).arrayBuffer()));
    const check = checkArchiveFile(f);
    expect(check.unzip, check.unzip.output).toMatchObject({ ok: true });
    expect(check.python, check.python.output).toMatchObject({ ok: true });
    expect(check.members.map((m) => m.sha256)).toEqual(sources.map(sha));
    expect(await s3.listMultipartUploads(out.zip_key)).toEqual([]);
  }

  it("resumes a download cut mid-body, re-uploads a part answered 503, and writes a sound archive", async () => {
    for (const [i, b] of sources.entries()) await s3.put(items[i]?.source_key ?? "", b);
    const cut = new Set<string>();
    let failedPart = false;
    const svc = await jobServiceVia((method, path) => {
      if (method === "GET" && path.includes("/src/") && !cut.has(path)) {
        cut.add(path);
        return { kind: "cut", afterBytes: 2 * MiB + 17 };
      }
      if (method === "PUT" && path.includes("partNumber=2&") && !failedPart) {
        failedPart = true;
        return { kind: "status", status: 503 };
      }
      return { kind: "pass" };
    });
    try {
      await expectSoundBuild(svc, "ok");
      // The faults really happened: each source was cut once and resumed with a Range request.
      expect(svc.proxy.log.filter((l) => l.fault === "cut")).toHaveLength(2);
      expect(svc.proxy.log.filter((l) => l.fault === "status")).toHaveLength(1);
      expect(svc.proxy.log.filter((l) => l.method === "PUT" && l.path.includes("partNumber=2&")).length).toBeGreaterThanOrEqual(2);
    } finally {
      await svc.close();
    }
  }, 120_000);

  it("gives up on an S3 answer that stalls (idle timeout) and retries it to a sound archive", async () => {
    for (const [i, b] of sources.entries()) await s3.put(items[i]?.source_key ?? "", b);
    const stalled = new Set<string>();
    const svc = await jobServiceVia(
      (method, path) => {
        const first = (method === "GET" && path.includes("/src/")) || (method === "PUT" && path.includes("partNumber=1&"));
        if (first && !stalled.has(`${method} ${path}`)) {
          stalled.add(`${method} ${path}`);
          return { kind: "delay", ms: 60_000 };
        }
        return { kind: "pass" };
      },
      { JOB_S3_IDLE_TIMEOUT_MS: "1000" },
    );
    try {
      await expectSoundBuild(svc, "stall");
      expect(svc.proxy.log.filter((l) => l.fault === "delay").length).toBeGreaterThanOrEqual(3);
    } finally {
      await svc.close();
    }
  }, 120_000);

  it("fails when S3 keeps answering 503 for uploads, and aborts its multipart upload", async () => {
    for (const [i, b] of sources.entries()) await s3.put(items[i]?.source_key ?? "", b);
    const svc = await jobServiceVia((method, path) =>
      method === "PUT" && path.includes("partNumber=") ? { kind: "status", status: 503 } : { kind: "pass" },
    );
    try {
      const { sources: _down, ...out } = jobKeys();
      const zipKey = out.zip_key;
      const job = await svc.run({ ...out, items });
      expect(job.state).toBe("failed");
      expect(job.error).toMatch(/503/);
      expect(await s3.listMultipartUploads(zipKey)).toEqual([]);
      expect(await s3.head(zipKey)).toBeNull();
    } finally {
      await svc.close();
    }
  }, 120_000);

  it("runs at most JOB_MAX_CONCURRENT jobs: past it a new one is answered 503 with Retry-After and nothing starts", async () => {
    for (const [i, b] of sources.entries()) await s3.put(items[i]?.source_key ?? "", b);
    // Every source read stalls, so the first job keeps running for as long as the test needs.
    const svc = await jobServiceVia(
      (method, path) => (method === "GET" && path.includes("/src/") ? { kind: "delay", ms: 60_000 } : { kind: "pass" }),
      {
        JOB_MAX_CONCURRENT: "1",
        JOB_BUSY_RETRY_AFTER_SECONDS: "7",
        JOB_S3_IDLE_TIMEOUT_MS: "120000",
      },
    );
    const job = () => {
      const { sources: _unused, ...out } = jobKeys();
      return { id: `cap-${crypto.randomUUID()}`, type: "bundle", ...out, items };
    };
    try {
      const first = job();
      const second = job();
      expect((await svc.jobs.post(first)).status).toBe(202);
      const busy = await svc.jobs.post(second);
      expect(busy.status).toBe(503);
      expect(busy.headers.get("retry-after")).toBe("7");
      expect(((await busy.json()) as { error: string }).error).toMatch(/at capacity: 1 of 1/);
      expect((await svc.jobs.get(second.id)).status).toBe(404);
      // The running job is answered as it stands, not refused.
      expect((await svc.jobs.post(first)).status).toBe(200);
      const metrics = await (await svc.jobs.call("GET", "/metrics")).text();
      expect(metrics).toMatch(/^moviesnow_jobs_refused_total 1$/m);
      expect(metrics).toMatch(/^moviesnow_jobs_max_concurrent 1$/m);

      // Once the first is done (cancelled here), the second is taken.
      expect((await svc.jobs.call("DELETE", `/jobs/${encodeURIComponent(first.id)}`)).status).toBe(202);
      for (let i = 0; i < 200 && ((await (await svc.jobs.get(first.id)).json()) as Job).state === "running"; i++)
        await new Promise((r) => setTimeout(r, 50));
      expect((await svc.jobs.post(second)).status).toBe(202);
      // What production keeps of a job: its log line, with its figures.
      expect(svc.logs.find((l) => l.msg === "job refused: at capacity")).toMatchObject({ id: second.id, running: 1, max: 1 });
      expect(svc.logs.find((l) => l.msg === "job failed" && l.id === first.id)).toMatchObject({
        type: "bundle",
        state: "cancelled",
        seconds: expect.any(Number),
        bytes: expect.any(Number),
        peak_rss_bytes: expect.any(Number),
      });
    } finally {
      await svc.close();
    }
  }, 120_000);
});
