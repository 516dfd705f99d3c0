// Objects of several GiB in the local stack's S3 without writing gigabytes: a Swift static large
// object (SLO) whose manifest names one stored segment many times, then a short tail. Through the
// S3 API it is one object like any other (HEAD, ranged GET, If-Match on its ETag); its CRC-32 is
// worked out from the segment's (crc32_combine), so the test knows every byte without reading them.

import { createHash } from "node:crypto";
import { crc32 } from "node:zlib";
import { s3 as stackS3 } from "../../scripts/stack/config.ts";
import { crc32Combine } from "../../src/lib/crc32.ts";
import type { ObjectStore } from "../../src/platform/s3.ts";
import { pseudoBytes } from "./bytes.ts";

export interface RepeatedObject {
  key: string;
  size: number;
  crc32: number;
  /** The object's bytes [start, end), as the manifest lays them out. */
  slice(start: number, end: number): Uint8Array;
  /** Removes the manifest and its segments. */
  remove(): Promise<void>;
}

async function swiftToken(): Promise<{ token: string; storage: string }> {
  const res = await fetch(`${stackS3.endpoint}/auth/v1.0`, {
    headers: { "x-auth-user": stackS3.accessKeyId, "x-auth-key": stackS3.secretAccessKey },
  });
  await res.body?.cancel();
  const token = res.headers.get("x-auth-token");
  const storage = res.headers.get("x-storage-url");
  if (res.status !== 200 || !token || !storage) throw new Error(`Swift auth answered ${res.status}`);
  return { token, storage };
}

/** `count` copies of one `segmentBytes`-long segment, then `tailBytes` more, stored at `key`. */
export async function repeatedObject(
  s3: ObjectStore,
  key: string,
  opts: { segmentBytes: number; count: number; tailBytes: number; seed: number; contentType: string },
): Promise<RepeatedObject> {
  const segment = pseudoBytes(opts.segmentBytes, opts.seed);
  const tail = pseudoBytes(opts.tailBytes, opts.seed + 1);
  const segKey = `${key}.segments/segment`;
  const tailKey = `${key}.segments/tail`;
  await s3.put(segKey, segment);
  await s3.put(tailKey, tail);
  const md5 = (b: Uint8Array) => createHash("md5").update(b).digest("hex");
  const entry = (k: string, b: Uint8Array) => ({ path: `/${stackS3.bucket}/${k}`, etag: md5(b), size_bytes: b.length });
  const manifest = [...Array.from({ length: opts.count }, () => entry(segKey, segment)), entry(tailKey, tail)];
  const { token, storage } = await swiftToken();
  const put = await fetch(`${storage}/${stackS3.bucket}/${key}?multipart-manifest=put`, {
    method: "PUT",
    headers: { "x-auth-token": token, "content-type": opts.contentType },
    body: JSON.stringify(manifest),
  });
  if (put.status !== 201) throw new Error(`SLO manifest PUT answered ${put.status}: ${await put.text()}`);

  const segCrc = crc32(segment);
  let c = 0;
  for (let i = 0; i < opts.count; i++) c = crc32Combine(c, segCrc, segment.length);
  c = crc32Combine(c, crc32(tail), tail.length);
  const body = opts.segmentBytes * opts.count;
  return {
    key,
    size: body + tail.length,
    crc32: c >>> 0,
    slice(start, end) {
      const out = new Uint8Array(end - start);
      for (let at = start; at < end; ) {
        const [src, off] = at < body ? [segment, at % segment.length] : [tail, at - body];
        const n = Math.min(src.length - off, end - at);
        out.set(src.subarray(off, off + n), at - start);
        at += n;
      }
      return out;
    },
    async remove() {
      const del = await fetch(`${storage}/${stackS3.bucket}/${key}`, { method: "DELETE", headers: { "x-auth-token": token } });
      await del.body?.cancel();
      await s3.deleteMany([segKey, tailKey]);
    },
  };
}
