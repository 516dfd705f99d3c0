// A loopback control server for Worker tests (running inside workerd, which cannot spawn
// processes): POST /services/{action} stops and starts the real services (fault injection);
// POST /tools/zip-check {url} downloads an archive and checks it with unzip and Python.
import { createWriteStream, mkdtempSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { checkArchiveFile } from "./archive-check.ts";
import { host, ports } from "./config.ts";
import { upJobService } from "./index.ts";
import { downPostgres, upPostgres } from "./postgres.ts";
import { portOpen, signalDaemon, stopDaemon, waitFor } from "./proc.ts";
import { upRedis } from "./redis.ts";
import { upSwiftProxy } from "./swift.ts";

const actions: Record<string, () => Promise<unknown>> = {
  "postgres/stop": () => downPostgres(),
  "postgres/start": () => upPostgres(),
  // The S3 endpoint (Swift's proxy server) goes away; its storage servers keep their data.
  "s3/stop": () => stopDaemon("swift-proxy"),
  "s3/start": () => upSwiftProxy(),
  "redis/stop": () => stopDaemon("redis"),
  "redis/start": () => upRedis(),
  // SIGKILL: the job gets no chance to clean up, as when a container is lost.
  "job/kill": () => stopDaemon("job-service", "SIGKILL"),
  // SIGSTOP: the job service still accepts connections (the kernel queues them) but never
  // answers, as a hung container: every call to it waits for JOB_RUNNER_TIMEOUT_MS.
  "job/pause": async () => signalDaemon("job-service", "SIGSTOP"),
  "job/resume": async () => signalDaemon("job-service", "SIGCONT"),
  // SIGSTOP on the Upstash and Neon adapters: Redis or Postgres as a slow or unreachable region
  // (connections are queued, nothing answers) while the servers behind them keep their data.
  "redis/pause": async () => signalDaemon("upstash-adapter", "SIGSTOP"),
  "redis/resume": async () => signalDaemon("upstash-adapter", "SIGCONT"),
  "postgres/pause": async () => signalDaemon("neon-adapter", "SIGSTOP"),
  "postgres/resume": async () => signalDaemon("neon-adapter", "SIGCONT"),
  "job/start": async () => {
    upJobService();
    await waitFor("job service", () => portOpen(ports.jobService));
  },
};

async function readJson(req: IncomingMessage): Promise<unknown> {
  let text = "";
  for await (const chunk of req) text += chunk;
  return JSON.parse(text);
}

async function zipCheck(url: string) {
  const dir = mkdtempSync(join(tmpdir(), "mn-zipcheck-"));
  try {
    const res = await fetch(url);
    if (!res.ok || !res.body) return { status: res.status, error: `GET answered ${res.status}` };
    const file = join(dir, "archive.zip");
    await pipeline(Readable.fromWeb(res.body as import("node:stream/web").ReadableStream), createWriteStream(file));
    return { status: res.status, ...checkArchiveFile(file) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function startControlServer(): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer((req, res) => {
    if (req.method === "POST" && req.url === "/tools/zip-check") {
      readJson(req)
        .then((b) => zipCheck((b as { url: string }).url))
        .then(
          (r) => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(r)),
          (e: Error) => res.writeHead(500, { "content-type": "text/plain" }).end(e.message),
        );
      return;
    }
    const action = actions[(req.url ?? "").replace(/^\/services\//, "")];
    if (req.method !== "POST" || !action) {
      res.writeHead(404).end();
      return;
    }
    action().then(
      () => res.writeHead(204).end(),
      (e: Error) => res.writeHead(500, { "content-type": "text/plain" }).end(e.message),
    );
  });
  await new Promise<void>((r) => server.listen(0, host, () => r()));
  const { port } = server.address() as AddressInfo;
  return { url: `http://${host}:${port}`, close: () => new Promise<void>((r) => server.close(() => r())) };
}
