// For Node tests: an S3 client on the local stack, and deterministic test bytes.
import { s3Env } from "../../scripts/stack/config.ts";
import { createS3 } from "../../src/adapters/s3.ts";

export const stackS3 = () => createS3(s3Env);

/** n pseudo-random bytes, the same for the same seed. */
export function seededBytes(n: number, seed: number): Buffer<ArrayBuffer> {
  const b = Buffer.alloc(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}
