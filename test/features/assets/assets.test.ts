// Asset registration rules, uploads, checksum limits and finalize contradictions.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { partSizeFor } from "../../../src/features/assets/service";
import { createApp } from "../../../src/http/app";
import { crc32Update } from "../../../src/lib/crc32";
import { createS3 } from "../../../src/platform/s3";
import { bearer, config, freshIp, newAdmin, signIn } from "../../support/admin";
import { adminClient, pseudoBytes, sha256Hex } from "../../support/admin-client";
import { jobClient } from "../../support/job-service";

const MiB = 1024 * 1024;
type Created = {
  asset: { id: string; storage_key: string };
  upload: { method: string; url: string; headers: Record<string, string>; part_size: number; part_count: number };
};

async function movieWithAdmin() {
  const admin = adminClient(await signIn(await newAdmin()));
  const t = await admin.ok(201, admin.post<{ id: string }>("/admin/titles", { kind: "movie", name: `Assets ${crypto.randomUUID()}` }));
  return { admin, titleId: t.id };
}

describe("media assets", () => {
  it("chooses a part size so 10,000 parts always suffice", () => {
    expect(partSizeFor(11 * MiB)).toBe(5 * MiB);
    expect(partSizeFor(6 * 1024 ** 3)).toBe(5 * MiB);
    for (const size of [60 * 1024 ** 3, 500 * 1024 ** 3, 5 * 1024 ** 4]) {
      const p = partSizeFor(size);
      expect(Math.ceil(size / p)).toBeLessThanOrEqual(10_000);
      expect(p % MiB).toBe(0);
    }
  });

  it("goes multipart above 5 GiB and refuses a single PUT that large", async () => {
    const { admin, titleId } = await movieWithAdmin();
    const big = await admin.ok(
      201,
      admin.post<Created>(`/admin/titles/${titleId}/assets`, { kind: "ORIGINAL", filename: "huge.mkv", size_bytes: 60 * 1024 ** 3 }),
    );
    expect(big.upload).toMatchObject({ method: "multipart", part_size: partSizeFor(60 * 1024 ** 3) });
    expect(big.upload.part_count).toBeLessThanOrEqual(10_000);
    await admin.ok(204, admin.del(`/admin/assets/${big.asset.id}/upload`));
    const single = await admin.post<{ errors: { path: string }[] }>(`/admin/titles/${titleId}/assets`, {
      kind: "ORIGINAL",
      filename: "h2.mkv",
      size_bytes: 6 * 1024 ** 3,
      upload_method: "single",
    });
    expect(single.status).toBe(400);
    expect(single.body.errors[0]?.path).toBe("json.upload_method");
  });

  it("enforces the streaming policy and key rules at registration, naming the field", async () => {
    const { admin, titleId } = await movieWithAdmin();
    const cases: [Record<string, unknown>, string][] = [
      [{ kind: "AUDIO", filename: "a.m4a", is_streamable: true }, "json.is_streamable"],
      [{ kind: "DOWNLOAD", filename: "a.mp4", stream_tier: 720 }, "json.stream_tier"],
      [{ kind: "HLS", filename: "index.m3u8" }, "json.stream_tier"],
      [{ kind: "ORIGINAL", filename: ".." }, "json.filename"],
      [{ kind: "ORIGINAL", filename: "line\nbreak.mkv" }, "json.filename"],
      [{ kind: "ORIGINAL", filename: "nul\u0000.mkv" }, "json.filename"],
      [{ kind: "ORIGINAL", filename: "x.mkv", episode_id: crypto.randomUUID() }, ""],
    ];
    for (const [body, path] of cases) {
      const r = await admin.post<{ errors?: { path: string }[]; status: number }>(`/admin/titles/${titleId}/assets`, {
        size_bytes: 1,
        ...body,
      });
      if (path) {
        expect(r.status, JSON.stringify(body)).toBe(400);
        expect(r.body.errors?.[0]?.path).toBe(path);
      } else {
        expect(r.status).toBe(404);
      }
    }
    const dup = { kind: "ORIGINAL", filename: "same.mkv", size_bytes: 1 };
    await admin.ok(201, admin.post(`/admin/titles/${titleId}/assets`, dup));
    expect((await admin.post(`/admin/titles/${titleId}/assets`, dup)).status).toBe(409);
  });

  it("checksums inline under the limit; above it the job service hashes the object, or a given sha256 is taken", async () => {
    const { admin, titleId } = await movieWithAdmin();
    const bytes = pseudoBytes(70_000, 5);
    const c = await admin.ok(
      201,
      admin.post<Created>(`/admin/titles/${titleId}/assets`, {
        kind: "DOWNLOAD",
        filename: "m.mp4",
        size_bytes: bytes.length,
        content_type: "video/mp4",
      }),
    );
    expect((await fetch(c.upload.url, { method: "PUT", body: bytes, headers: c.upload.headers })).status).toBe(200);
    const wrong = await admin.post(`/admin/assets/${c.asset.id}/checksum`, { sha256: "f".repeat(64) });
    expect(wrong.status).toBe(409);

    const token = await signIn(await newAdmin());
    const small = { ...env, CHECKSUM_INLINE_MAX_BYTES: "1000" };
    const app = createApp({ logSink: () => {} });
    const post = (body?: unknown) =>
      app.request(
        `/api/v1/admin/assets/${c.asset.id}/checksum`,
        {
          method: "POST",
          headers: { ...bearer(token), "cf-connecting-ip": freshIp(), ...(body ? { "content-type": "application/json" } : {}) },
          ...(body ? { body: JSON.stringify(body) } : {}),
        },
        small,
      );
    const sha = await sha256Hex(bytes);
    const badHex = await post({ sha256: "xyz" });
    expect(badHex.status).toBe(400);

    // Over the inline limit: 202 while the job service hashes it, then asking again stores it.
    const first = await post();
    expect(first.status).toBe(202);
    expect(first.headers.get("retry-after")).toBe("2");
    const running = (await first.json()) as { state: string; job_id: string };
    expect(running).toMatchObject({ state: "running", job_id: expect.stringContaining(c.asset.id) });
    let stored: Response | null = null;
    for (let i = 0; i < 100 && !stored; i++) {
      const r = await post();
      if (r.status === 200) stored = r;
      else expect(r.status).toBe(202);
      if (!stored) await new Promise((ok) => setTimeout(ok, 50));
    }
    const crc = crc32Update(0, bytes);
    expect(await (stored as Response).json()).toMatchObject({
      computed: true,
      asset: { sha256: sha, crc32: crc, size_bytes: bytes.length },
    });
    // The same object version is not hashed twice: its job is answered as it stands.
    const jobs = { items: await jobClient(config.JOB_RUNNER_URL ?? "", config.JOB_SERVICE_SECRET ?? "").list() };
    expect(jobs.items.filter((j) => j.id === running.job_id)).toHaveLength(1);

    // A given sha256 above the limit is taken as the operator's (it must agree with the stored one).
    const given = await post({ sha256: sha });
    expect(given.status).toBe(200);
    expect(await given.json()).toMatchObject({ computed: false, asset: { sha256: sha } });
    expect((await post({ sha256: "e".repeat(64) })).status).toBe(409);
  });

  it("over the inline limit with the job service unreachable: 503 problem, nothing stored", async () => {
    const { admin, titleId } = await movieWithAdmin();
    const bytes = pseudoBytes(5_000, 9);
    const c = await admin.ok(
      201,
      admin.post<Created>(`/admin/titles/${titleId}/assets`, { kind: "DOWNLOAD", filename: "d.mp4", size_bytes: bytes.length }),
    );
    expect((await fetch(c.upload.url, { method: "PUT", body: bytes, headers: c.upload.headers })).status).toBe(200);
    const token = await signIn(await newAdmin());
    const res = await createApp({ logSink: () => {} }).request(
      `/api/v1/admin/assets/${c.asset.id}/checksum`,
      { method: "POST", headers: { ...bearer(token), "cf-connecting-ip": freshIp() } },
      { ...env, CHECKSUM_INLINE_MAX_BYTES: "1000", JOB_RUNNER_URL: "http://127.0.0.1:9" },
    );
    expect(res.status).toBe(503);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    expect(await res.json()).toMatchObject({ code: "DEPENDENCY_UNAVAILABLE" });
    expect(await admin.ok(200, admin.get(`/admin/assets/${c.asset.id}`))).toMatchObject({ sha256: null, crc32: null });
  });

  it("keeps the ETag of the version it checksummed: the same bytes re-uploaded pass, a same-size replacement can't be finalized", async () => {
    const { admin, titleId } = await movieWithAdmin();
    const bytes = pseudoBytes(40_000, 11);
    const c = await admin.ok(
      201,
      admin.post<Created>(`/admin/titles/${titleId}/assets`, {
        kind: "DOWNLOAD",
        filename: "e.mp4",
        size_bytes: bytes.length,
        content_type: "video/mp4",
      }),
    );
    expect((await fetch(c.upload.url, { method: "PUT", body: bytes, headers: c.upload.headers })).status).toBe(200);
    const s3 = createS3(config);
    const etag = (await s3.head(c.asset.storage_key))?.etag;
    expect(etag).toMatch(/^"[0-9a-f]{32}"$/);
    const sum = (await admin.ok(200, admin.post(`/admin/assets/${c.asset.id}/checksum`))) as { asset: { object_etag: string } };
    expect(sum.asset.object_etag).toBe(etag);

    // Other bytes of the same size behind the catalog's back: finalize names the replacement, changes nothing.
    await s3.put(c.asset.storage_key, pseudoBytes(bytes.length, 12), { contentType: "video/mp4" });
    const finalize = { size_bytes: bytes.length, content_type: "video/mp4", sha256: await sha256Hex(bytes) };
    const refused = await admin.post(`/admin/assets/${c.asset.id}/finalize`, finalize);
    expect(refused.status).toBe(409);
    expect(refused.body.contradictions).toEqual([expect.stringMatching(/replaced since it was checksummed/)]);
    expect(await admin.ok(200, admin.get(`/admin/assets/${c.asset.id}`))).toMatchObject({ upload_state: "pending", object_etag: etag });

    // The original bytes again (the same ETag): finalize goes through and keeps it.
    await s3.put(c.asset.storage_key, bytes, { contentType: "video/mp4" });
    const done = await admin.ok(200, admin.post(`/admin/assets/${c.asset.id}/finalize`, finalize));
    expect(done).toMatchObject({ upload_state: "finalized", object_etag: etag });
  });

  it("finalize without an upload is a conflict; head of nothing is 404", async () => {
    const { admin, titleId } = await movieWithAdmin();
    const c = await admin.ok(
      201,
      admin.post<Created>(`/admin/titles/${titleId}/assets`, { kind: "VIDEO", filename: "v.mp4", size_bytes: 5 }),
    );
    expect((await admin.get(`/admin/assets/${c.asset.id}/head`)).status).toBe(404);
    expect(
      (await admin.post(`/admin/assets/${c.asset.id}/finalize`, { size_bytes: 5, content_type: "video/mp4", sha256: "a".repeat(64) }))
        .status,
    ).toBe(409);
    expect((await admin.post(`/admin/assets/${c.asset.id}/upload/complete`, { parts: [{ part_number: 1, etag: "x" }] })).status).toBe(409);
  });

  it("a presigned PUT carries its content type: a different one is refused by S3", async () => {
    const { admin, titleId } = await movieWithAdmin();
    const c = await admin.ok(
      201,
      admin.post<Created>(`/admin/titles/${titleId}/assets`, {
        kind: "SUBTITLE",
        filename: "en.vtt",
        size_bytes: 6,
        content_type: "text/vtt",
        language: "en",
      }),
    );
    expect(c.upload.headers).toEqual({ "content-type": "text/vtt" });
    const wrong = await fetch(c.upload.url, { method: "PUT", body: "WEBVTT", headers: { "content-type": "text/plain" } });
    expect(wrong.status).toBe(403);
  });
});
