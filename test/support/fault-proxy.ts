// An HTTP proxy on loopback in front of the real S3 server, for fault injection: each request
// may be passed on, answered with an error status, or passed on and its response cut off after
// some bytes (a dropped connection). The Host header goes through untouched, so SigV4
// signatures made for the proxy's address still verify at S3.
import { createServer, type IncomingMessage, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export type Fault =
  | { kind: "pass" }
  | { kind: "status"; status: number }
  | { kind: "cut"; afterBytes: number }
  /** Passed on after a pause (a slow or stuck S3). */
  | { kind: "delay"; ms: number };

export interface FaultProxy {
  url: string;
  /** Every request seen, with the fault applied to it. */
  log: { method: string; path: string; fault: Fault["kind"] }[];
  close(): Promise<void>;
}

export async function startFaultProxy(target: string, decide: (req: IncomingMessage) => Fault): Promise<FaultProxy> {
  const to = new URL(target);
  const log: FaultProxy["log"] = [];
  const server: Server = createServer((req, res) => {
    const fault = decide(req);
    log.push({ method: req.method ?? "", path: req.url ?? "", fault: fault.kind });
    if (fault.kind === "status") {
      req.resume();
      req.on("end", () =>
        res.writeHead(fault.status, { "content-type": "application/xml" }).end("<Error><Code>InternalError</Code></Error>"),
      );
      return;
    }
    const cutAfter = fault.kind === "cut" ? fault.afterBytes : null;
    if (fault.kind === "delay") {
      req.pause();
      const t = setTimeout(() => forward(), fault.ms);
      res.on("close", () => clearTimeout(t));
      return;
    }
    forward();
    function forward() {
      const up = request({ host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers }, (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        if (cutAfter === null) {
          upRes.pipe(res);
          return;
        }
        let sent = 0;
        upRes.on("data", (chunk: Buffer) => {
          const room = cutAfter - sent;
          if (room <= 0) return;
          res.write(room >= chunk.length ? chunk : chunk.subarray(0, room));
          sent += Math.min(room, chunk.length);
          if (sent >= cutAfter) {
            upRes.destroy();
            res.socket?.destroy(); // the connection drops mid-body
          }
        });
      });
      up.on("error", () => res.socket?.destroy());
      req.pipe(up);
      req.resume();
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    log,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
