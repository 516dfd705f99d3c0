// An HTTP proxy on loopback in front of one of our services that passes every request on and may
// rewrite the answer's body, as a forged, confused or hostile middle would (a lying job service, a
// hostile --api). Bodies are asked for uncompressed so they can be read; the length is set again.
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface RewritingProxy {
  /** The proxy's origin, http://127.0.0.1:PORT. */
  origin: string;
  close(): void;
}

export async function startRewritingProxy(
  target: string,
  o: {
    /** The answer's new body, or the same one. */
    rewrite: (req: IncomingMessage, status: number, body: Buffer) => Buffer;
    /** Answers a request itself instead of passing it on (true when it did). */
    intercept?: (req: IncomingMessage, res: ServerResponse) => boolean;
  },
): Promise<RewritingProxy> {
  const to = new URL(target);
  const server: Server = createServer((req, res) => {
    if (o.intercept?.(req, res)) return;
    const { "accept-encoding": _encodings, ...asked } = req.headers;
    const up = request({ host: to.hostname, port: to.port, method: req.method, path: req.url, headers: asked }, (upRes) => {
      const chunks: Buffer[] = [];
      upRes.on("data", (c: Buffer) => chunks.push(c));
      upRes.on("end", () => {
        const status = upRes.statusCode ?? 502;
        const body = o.rewrite(req, status, Buffer.concat(chunks));
        const { "transfer-encoding": _chunked, ...headers } = upRes.headers;
        res.writeHead(status, { ...headers, "content-length": String(body.length) }).end(body);
      });
    });
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
}
