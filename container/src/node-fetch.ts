// A small fetch for the job's S3 traffic over node:http(s). undici's fetch copies every request
// body it is given (8 MiB a part) and reads response bodies ahead of the consumer; both leave
// megabytes of garbage ArrayBuffers that the GC frees late, which took the job's peak RSS past
// 200 MiB. Here a part's buffer goes to the socket as it is, and a response body is read only
// as fast as the job consumes it (one socket chunk at a time), so memory stays flat.
import http from "node:http";
import https from "node:https";
import type { GcPacer } from "./gc-pacer.ts";

export interface NodeFetchOptions {
  /** Sockets kept open per host (parts upload in parallel). */
  maxSockets?: number;
  /**
   * A request whose socket stays silent this long (no answer, or a body that stopped) fails, so
   * a stalled S3 is retried instead of holding the job forever.
   */
  idleTimeoutMs?: number;
  /** Told of every response body chunk read, so the dead socket buffers behind it are freed soon. */
  gcPacer?: GcPacer;
}

export function createNodeFetch(opts: NodeFetchOptions = {}): typeof fetch {
  const agents = {
    "http:": new http.Agent({ keepAlive: true, maxSockets: opts.maxSockets ?? 16 }),
    "https:": new https.Agent({ keepAlive: true, maxSockets: opts.maxSockets ?? 16 }),
  };
  const nodeFetch = (input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> => {
    if (input instanceof Request) throw new TypeError("node fetch: pass a URL and init, not a Request");
    const url = new URL(String(input));
    const body = init.body;
    let payload: Uint8Array | string | undefined;
    if (body === undefined || body === null) payload = undefined;
    else if (typeof body === "string" || body instanceof Uint8Array) payload = body;
    else if (body instanceof ArrayBuffer) payload = new Uint8Array(body);
    else throw new TypeError("node fetch: body must be a string, Uint8Array or ArrayBuffer");
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((v, k) => {
      headers[k] = v;
    });
    if (payload !== undefined && headers["content-length"] === undefined)
      headers["content-length"] = String(typeof payload === "string" ? Buffer.byteLength(payload) : payload.byteLength);
    const mod = url.protocol === "https:" ? https : http;
    const agent = url.protocol === "https:" ? agents["https:"] : agents["http:"];
    return new Promise<Response>((resolve, reject) => {
      const req = mod.request(
        url,
        { method: init.method ?? "GET", headers, agent, ...(init.signal ? { signal: init.signal } : {}) },
        (res) => {
          const status = res.statusCode ?? 500;
          const resHeaders = new Headers();
          for (const [k, v] of Object.entries(res.headers)) {
            if (Array.isArray(v)) for (const x of v) resHeaders.append(k, x);
            else if (v !== undefined) resHeaders.set(k, v);
          }
          const noBody = init.method === "HEAD" || status === 204 || status === 304;
          if (noBody) {
            res.resume();
            resolve(new Response(null, { status, headers: resHeaders }));
            return;
          }
          const it = res[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
          const stream = new ReadableStream<Uint8Array>(
            {
              async pull(c) {
                const { done, value } = await it.next();
                if (done) c.close();
                else {
                  opts.gcPacer?.read(value.byteLength);
                  c.enqueue(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
                }
              },
              cancel() {
                res.destroy();
              },
            },
            { highWaterMark: 0 },
          );
          resolve(new Response(stream, { status, headers: resHeaders }));
        },
      );
      const idle = opts.idleTimeoutMs ?? 30_000;
      req.setTimeout(idle, () => req.destroy(new Error(`S3 sent nothing for ${idle} ms`)));
      req.on("error", reject);
      req.end(payload);
    });
  };
  return nodeFetch as typeof fetch;
}
