// Writes a byte stream into an S3 multipart upload with bounded memory: one part fills while
// up to `concurrency` others upload; each part is retried on its own. abort() removes the upload.
// Part buffers are reused (at most concurrency + 1 exist), so memory stays flat however long the
// bundle is, instead of waiting on the GC to free a new 8+ MiB buffer per part.
import type { ObjectStore, UploadedPart } from "../../src/platform/s3.ts";
import { withRetry } from "./retry.ts";

export class MultipartWriter {
  private buf: Uint8Array<ArrayBuffer>;
  private filled = 0;
  private partNumber = 0;
  private readonly parts: UploadedPart[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private readonly spare: Uint8Array<ArrayBuffer>[] = [];
  private failure: unknown = null;
  bytesUploaded = 0;

  constructor(
    private readonly s3: ObjectStore,
    private readonly key: string,
    private readonly uploadId: string,
    private readonly partSize: number,
    private readonly concurrency: number,
    private readonly signal: AbortSignal,
  ) {
    this.buf = new Uint8Array(partSize);
  }

  async write(chunk: Uint8Array): Promise<void> {
    let off = 0;
    while (off < chunk.length) {
      const n = Math.min(this.partSize - this.filled, chunk.length - off);
      this.buf.set(chunk.subarray(off, off + n), this.filled);
      this.filled += n;
      off += n;
      if (this.filled === this.partSize) await this.flush();
    }
  }

  private async flush(): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.filled === 0) return;
    while (this.inFlight.size >= this.concurrency) await Promise.race(this.inFlight);
    if (this.failure) throw this.failure;
    const full = this.buf;
    const body = this.filled === full.length ? full : full.subarray(0, this.filled);
    const number = ++this.partNumber;
    this.buf = this.spare.pop() ?? new Uint8Array(this.partSize);
    this.filled = 0;
    const p = withRetry(`upload part ${number}`, () => this.s3.uploadPart(this.key, this.uploadId, number, body, body.length), {
      signal: this.signal,
    })
      .then((part) => {
        this.parts.push(part);
        this.bytesUploaded += body.length;
      })
      .catch((e: unknown) => {
        this.failure ??= e;
      })
      .finally(() => {
        this.inFlight.delete(p);
        this.spare.push(full);
      });
    this.inFlight.add(p);
  }

  /** Uploads what is left and completes the upload. */
  async complete(): Promise<void> {
    await this.flush();
    await Promise.all(this.inFlight);
    if (this.failure) throw this.failure;
    await withRetry("complete upload", () => this.s3.completeMultipart(this.key, this.uploadId, this.parts), { signal: this.signal });
  }

  async abort(): Promise<void> {
    await Promise.allSettled(this.inFlight);
    await withRetry("abort upload", () => this.s3.abortMultipart(this.key, this.uploadId), { attempts: 3 }).catch(() => undefined);
  }
}
