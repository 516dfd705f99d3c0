// The checksum job: SHA-256 and CRC-32 of one object in one streaming pass.
import type { ChecksumJobResult } from "../../../src/features/bundles/contract.ts";
import type { JobServiceConfig } from "../config.ts";
import { crc32, sha256 } from "../hashing.ts";

export type ChecksumResult = ChecksumJobResult;

export async function runChecksum(
  cfg: JobServiceConfig,
  key: string,
  etag: string | null,
  progress: (done: number, total: number) => void,
  signal: AbortSignal,
): Promise<ChecksumResult> {
  // The version the caller HEADed: a replacement answers 412 and fails the job, never hashed in its place.
  const res = await cfg.s3.get(key, { signal, ifMatch: etag });
  if (!res?.body) throw new Error(`${key} does not exist`);
  const total = Number(res.headers.get("content-length") ?? 0);
  const h = sha256();
  let c = 0;
  let size = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    h.update(value);
    c = crc32(c, value);
    size += value.length;
    progress(size, total);
  }
  return { key, size, sha256: h.digest("hex"), crc32: c >>> 0 };
}
