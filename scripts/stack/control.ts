// A loopback control server for fault injection in tests: Worker tests (running inside workerd,
// which cannot spawn processes) ask it to stop and start the real services.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { host, ports } from "./config.ts";
import { upJobService } from "./index.ts";
import { portOpen, stopDaemon, waitFor } from "./proc.ts";
import { upRedis } from "./redis.ts";

const actions: Record<string, () => Promise<unknown>> = {
  "redis/stop": () => stopDaemon("redis"),
  "redis/start": () => upRedis(),
  // SIGKILL: the job gets no chance to clean up, as when a container is lost.
  "job/kill": () => stopDaemon("job-service", "SIGKILL"),
  "job/start": async () => {
    upJobService();
    await waitFor("job service", () => portOpen(ports.jobService));
  },
};

export async function startControlServer(): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer((req, res) => {
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
