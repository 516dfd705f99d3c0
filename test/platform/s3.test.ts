import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { parseEnv } from "../../src/platform/env";
import { createS3, encodeKey } from "../../src/platform/s3";
import { uid } from "../support/ids";

const config = parseEnv(env);
const s3 = createS3(config);
const MiB = 1024 * 1024;

const bytes = (n: number, seed = 1) => {
  const b = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
};
const hex = async (data: ArrayBuffer | Uint8Array) =>
  [...new Uint8Array(await crypto.subtle.digest("SHA-256", data))].map((b) => b.toString(16).padStart(2, "0")).join("");

describe("S3 through aws4fetch against a server that verifies SigV4", () => {
  it("encodes keys once, with + as %2B", () => {
    expect(encodeKey("originals/t/a+b c(1)!.mkv")).toBe("originals/t/a%2Bb%20c%281%29%21.mkv");
  });

  it("puts, heads, gets, lists, copies and deletes, keys with + and spaces included", async () => {
    const prefix = `${uid("test")}/`;
    const key = `${prefix}Episode 1 + extras ✓.txt`;
    await s3.put(key, "hello bytes", { contentType: "text/plain", metadata: { sha256: "abc" } });
    const head = await s3.head(key);
    expect(head).toMatchObject({ size: 11, contentType: "text/plain", metadata: { sha256: "abc" } });
    expect(await (await s3.get(key))?.text()).toBe("hello bytes");

    await s3.copy(key, `${prefix}copy.txt`);
    const listed = await s3.list(prefix);
    expect(listed.objects.map((o) => o.key).sort()).toEqual([key, `${prefix}copy.txt`].sort());

    await s3.delete(key);
    expect(await s3.head(key)).toBeNull();
    expect(await s3.get(key)).toBeNull();
    await s3.delete(`${prefix}copy.txt`);
  });

  it("serves byte ranges", async () => {
    const key = `${uid("range")}/data.bin`;
    const data = bytes(1000);
    await s3.put(key, data);
    const res = await s3.get(key, { range: { start: 100, end: 199 } });
    expect(res?.status).toBe(206);
    expect(new Uint8Array(await (res as Response).arrayBuffer())).toEqual(data.slice(100, 200));
  });

  it("pages through listings with continuation tokens", async () => {
    const prefix = `${uid("page")}/`;
    await Promise.all([0, 1, 2, 3, 4].map((i) => s3.put(`${prefix}${i}`, String(i))));
    const first = await s3.list(prefix, { maxKeys: 2 });
    expect(first.objects).toHaveLength(2);
    expect(first.nextContinuationToken).not.toBeNull();
    const keys = [...first.objects.map((o) => o.key)];
    let token = first.nextContinuationToken;
    while (token) {
      const page = await s3.list(prefix, { maxKeys: 2, continuationToken: token });
      keys.push(...page.objects.map((o) => o.key));
      token = page.nextContinuationToken;
    }
    expect(keys).toEqual([0, 1, 2, 3, 4].map((i) => `${prefix}${i}`));
  });

  it("assembles a multipart upload, lists its parts and aborts another", async () => {
    const key = `${uid("mp")}/big.bin`;
    const part1 = bytes(5 * MiB, 7);
    const part2 = bytes(1234, 9);
    const uploadId = await s3.createMultipart(key, { contentType: "application/octet-stream" });
    const p1 = await s3.uploadPart(key, uploadId, 1, part1, part1.length);
    const p2 = await s3.uploadPart(key, uploadId, 2, part2, part2.length);
    expect((await s3.listParts(key, uploadId)).map((p) => [p.partNumber, p.size])).toEqual([
      [1, part1.length],
      [2, part2.length],
    ]);
    await s3.completeMultipart(key, uploadId, [p2, p1]);
    expect((await s3.head(key))?.size).toBe(part1.length + part2.length);
    const whole = new Uint8Array(part1.length + part2.length);
    whole.set(part1);
    whole.set(part2, part1.length);
    expect(await hex(await ((await s3.get(key)) as Response).arrayBuffer())).toBe(await hex(whole));
    const seam = await s3.get(key, { range: { start: part1.length - 2, end: part1.length + 1 } });
    expect([...new Uint8Array(await (seam as Response).arrayBuffer())]).toEqual([...whole.slice(part1.length - 2, part1.length + 2)]);

    const other = `${uid("mp")}/aborted.bin`;
    const abortId = await s3.createMultipart(other);
    await s3.uploadPart(other, abortId, 1, part2, part2.length);
    await s3.abortMultipart(other, abortId);
    await expect(s3.listParts(other, abortId)).rejects.toMatchObject({ status: 404 });
    expect(await s3.head(other)).toBeNull();
  });

  it("a presigned GET downloads with the requested disposition; tampered or expired, the server refuses it", async () => {
    const key = `${uid("presign")}/movie file+1.mp4`;
    await s3.put(key, "movie bytes", { contentType: "video/mp4" });
    const disposition = `attachment; filename="movie.mp4"; filename*=UTF-8''movie.mp4`;
    const url = await s3.presignGet(key, { expiresIn: 120, responseContentDisposition: disposition });
    expect(url).toContain("X-Amz-Expires=120");

    const ok = await fetch(url);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe("movie bytes");
    expect(ok.headers.get("content-disposition")).toBe(disposition);

    const longer = url.replace("X-Amz-Expires=120", "X-Amz-Expires=99999");
    const tamperedExpiry = await fetch(longer);
    expect(tamperedExpiry.status).toBe(403);
    await tamperedExpiry.body?.cancel();
    const otherKey = url.replace("movie%20file%2B1.mp4", "movie%20file%2B2.mp4");
    const tamperedKey = await fetch(otherKey);
    expect(tamperedKey.status).toBe(403);
    await tamperedKey.body?.cancel();

    // Signed two hours ago for 60 s: long expired by the server's clock.
    const past = createS3(config, { clock: { now: () => new Date(Date.now() - 2 * 3600 * 1000) } });
    const expired = await fetch(await past.presignGet(key, { expiresIn: 60 }));
    expect(expired.status).toBe(403);
    expect(await expired.text()).toMatch(/expired/i);
  });

  it("a presigned PUT uploads without credentials", async () => {
    const key = `${uid("upload")}/S01.zip`;
    const { url, headers } = await s3.presignPut(key, { expiresIn: 300 });
    expect(headers).toEqual({});
    const put = await fetch(url, { method: "PUT", body: "zip bytes" });
    expect(put.status).toBe(200);
    expect(await (await s3.get(key))?.text()).toBe("zip bytes");
  });

  it("signs the content type (and SSE when asked) into a presigned PUT: other headers are refused", async () => {
    const key = `${uid("upload")}/E01.mp4`;
    const { url, headers } = await s3.presignPut(key, { expiresIn: 300, contentType: "video/mp4" });
    expect(new URL(url).searchParams.get("X-Amz-SignedHeaders")).toBe("content-type;host");
    const wrongType = await fetch(url, { method: "PUT", body: "x", headers: { "content-type": "text/plain" } });
    expect(wrongType.status).toBe(403);
    await wrongType.body?.cancel();
    const ok = await fetch(url, { method: "PUT", body: "mp4 bytes", headers });
    expect(ok.status).toBe(200);
    expect((await s3.head(key))?.contentType).toBe("video/mp4");

    // Production asks for SSE-S3; the header is signed in (Swift itself has no SSE to test against).
    const sse = await s3.presignPut(key, { expiresIn: 300, contentType: "video/mp4", sse: "AES256" });
    expect(new URL(sse.url).searchParams.get("X-Amz-SignedHeaders")).toBe("content-type;host;x-amz-server-side-encryption");
    expect(sse.headers).toEqual({ "content-type": "video/mp4", "x-amz-server-side-encryption": "AES256" });
  });
});
