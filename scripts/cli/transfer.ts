// Moving bytes between this machine and presigned S3 URLs.
import { createReadStream } from "node:fs";
import http from "node:http";
import https from "node:https";

/**
 * PUTs `length` bytes of `file` from `start` to a presigned URL, streamed from disk (a 5 GiB file
 * never sits in memory). Answers the part's ETag; an HTTP error carries its status, so
 * withRetry retries 5xx and network failures but not a refused (4xx) URL.
 */
export function putFile(url: string, file: string, start: number, length: number, headers: Record<string, string> = {}): Promise<string> {
  const u = new URL(url);
  const mod = u.protocol === "https:" ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request(u, { method: "PUT", headers: { ...headers, "content-length": String(length) } }, (res) => {
      res.resume();
      const status = res.statusCode ?? 0;
      if (status >= 200 && status < 300) resolve(String(res.headers.etag ?? ""));
      else reject(Object.assign(new Error(`PUT answered ${status}`), { status }));
    });
    req.on("error", reject);
    if (length === 0) req.end();
    else
      createReadStream(file, { start, end: start + length - 1 })
        .on("error", reject)
        .pipe(req);
  });
}
